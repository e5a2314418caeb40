/**
 * The Qwen3.5 MI3xx agentic script presets (InferenceX benchmarks/single_node/agentic/
 * qwen3.5_fp8_mi300x_mtp.sh, qwen3.5_fp8_mi325x_mtp.sh, qwen3.5_fp4_mi355x_sglang_mtp.sh): AITER
 * attention, EAGLE MTP with simulated acceptance, 2 × CONC running requests, and what each script
 * sets by TP.
 */
import { fileURLToPath } from "node:url";
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";

const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
const scripts = loadScriptPresets(recipeDir);

function row(
  sku: "mi300x" | "mi325x" | "mi355x",
  precision: string,
  model: string,
  tp: number,
  conc: number,
): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment({
    configKey: `qwen3.5-${precision}-${sku}-sglang-agentic-mtp`,
    sku,
    framework: "sglang",
    model,
    modelPrefix: "qwen3.5",
    precision,
    image: "lmsysorg/sglang:v0.5.9-rocm700-mi35x",
    concs: [conc],
    specDecoding: "mtp",
    tp,
  });
  const agentic = { durationS: 3600, kvOffloading: "none" as const, dramOffloadGb: 0 };
  return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading: "none", agentic };
}
function worker(d: Deployment) {
  return buildLaunchPlan(d, makePlacement(d), { presets, scripts })
    .nodes.flatMap((n) => n.processes)
    .find((x) => x.name === "worker-0-rank0")!;
}
const flagOf = (a: string[], name: string) => (a.includes(name) ? (a[a.indexOf(name) + 1] ?? "") : undefined);

describe("Qwen3.5 MI3xx SGLang agentic scripts", () => {
  const fp8 = "Qwen/Qwen3.5-397B-A17B-FP8";
  it("MI325X: memory fraction 0.95 at TP 2 and 0.80 above, six tokenizer workers from TP 4", () => {
    const tp2 = worker(row("mi325x", "fp8", fp8, 2, 16));
    expect(flagOf(tp2.argv, "--mem-fraction-static")).toBe("0.95");
    expect(flagOf(tp2.argv, "--tokenizer-worker-num")).toBeUndefined();
    expect(flagOf(tp2.argv, "--speculative-algorithm")).toBe("EAGLE");
    expect(flagOf(tp2.argv, "--max-running-requests")).toBe("32");
    expect(tp2.env.SGLANG_USE_AITER_UNIFIED_ATTN).toBe("1");
    const tp4 = worker(row("mi325x", "fp8", fp8, 4, 96));
    expect(flagOf(tp4.argv, "--mem-fraction-static")).toBe("0.80");
    expect(flagOf(tp4.argv, "--tokenizer-worker-num")).toBe("6");
    expect(flagOf(tp4.argv, "--cuda-graph-max-bs")).toBe("64");
  });

  it("MI300X: 0.75 memory fraction, six tokenizer workers at every TP, spec v2", () => {
    const w = worker(row("mi300x", "fp8", fp8, 2, 8));
    expect(flagOf(w.argv, "--mem-fraction-static")).toBe("0.75");
    expect(flagOf(w.argv, "--tokenizer-worker-num")).toBe("6");
    expect(w.argv).not.toContain("--page-size");
    expect(w.env.SGLANG_ENABLE_SPEC_V2).toBe("1");
    expect(w.env.SGLANG_USE_AITER).toBeUndefined();
  });

  it("MI355X FP4: page size 16, FP8 KV cache, the MXFP4 tokenizer, FlyDSL forced", () => {
    const w = worker(row("mi355x", "fp4", "amd/Qwen3.5-397B-A17B-MXFP4", 4, 32));
    expect(flagOf(w.argv, "--page-size")).toBe("16");
    expect(flagOf(w.argv, "--kv-cache-dtype")).toBe("fp8_e4m3");
    expect(flagOf(w.argv, "--tokenizer-path")).toBe("amd/Qwen3.5-397B-A17B-MXFP4");
    expect(w.env.AITER_FLYDSL_FORCE).toBe("1");
  });
});
