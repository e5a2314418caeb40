/**
 * The ATOM agentic script presets (InferenceX benchmarks/single_node/agentic/
 * kimik3_fp4_mi355x_atom_mtp.sh, glm5.2_fp4_mi355x_atom_mtp.sh, dsv4_fp4_mi355x_atom_mtp.sh): the
 * Kimi-K3 script's LMCache of budget ÷ TP with state offload and DSpark drafts, and the settings the
 * scripts pick from tables by CONC.
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

function row(modelPrefix: string, model: string, conc: number, dram: number): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment({
    configKey: `${modelPrefix}-fp4-mi355x-atom-agentic-mtp`,
    sku: "mi355x",
    framework: "atom",
    model,
    modelPrefix,
    precision: "fp4",
    image: "rocm/atom:latest",
    concs: [conc],
    specDecoding: "mtp",
    tp: 8,
  });
  const kvOffloading = dram > 0 ? ("dram" as const) : ("none" as const);
  const agentic = {
    durationS: 3600,
    kvOffloading,
    ...(dram > 0 ? { kvOffloadBackend: { name: "lmcache" } } : {}),
    dramOffloadGb: dram,
  };
  return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading, agentic };
}
function worker(d: Deployment) {
  return buildLaunchPlan(d, makePlacement(d), { presets, scripts })
    .nodes.flatMap((n) => n.processes)
    .find((x) => x.name === "worker-0-rank0")!;
}
const flagOf = (a: string[], name: string) => (a.includes(name) ? (a[a.indexOf(name) + 1] ?? "") : undefined);

describe("ATOM agentic scripts", () => {
  const kimi = (conc: number, dram: number) => worker(row("kimik3", "amd/Kimi-K3-MXFP4", conc, dram));

  it("Kimi-K3 with LMCache: L1 = budget ÷ TP, state offload instead of OFFLOAD_MIN_LOAD_TOKENS", () => {
    const w = kimi(8, 257);
    expect(w.env.LMCACHE_MAX_LOCAL_CPU_SIZE).toBe("32");
    expect(w.env.OFFLOAD_STATE).toBe("1");
    expect(w.env.OFFLOAD_MIN_LOAD_TOKENS).toBeUndefined();
    expect(w.env.ATOM_ENABLE_REPLAYSSM).toBe("1");
    expect(flagOf(w.argv, "--method")).toBe("dspark");
    expect(flagOf(w.argv, "--state-checkpoint-slots")).toBe("16");
  });

  it("Kimi-K3 by CONC: six draft tokens at CONC 1, two above; CONC 10's smaller prefill budget", () => {
    const c1 = kimi(1, 0);
    expect(flagOf(c1.argv, "--num-speculative-tokens")).toBe("6");
    expect(flagOf(c1.argv, "--max-num-seqs")).toBe("32");
    expect(flagOf(c1.argv, "--state-checkpoint-slots")).toBeUndefined();
    expect(c1.env.OFFLOAD_STATE).toBeUndefined();
    const c10 = kimi(10, 0);
    expect(flagOf(c10.argv, "--num-speculative-tokens")).toBe("2");
    expect(flagOf(c10.argv, "--max-num-batched-tokens")).toBe("4096");
    expect(flagOf(c10.argv, "--gpu-memory-utilization")).toBe("0.90");
  });

  it("GLM-5.2: CUDA-graph capture sizes from the script's table; DeepSeek-V4: 2 × CONC sequences", () => {
    const glm = worker(row("glm5.2", "amd/GLM-5.2-MXFP4", 10, 0));
    expect(flagOf(glm.argv, "--cudagraph-capture-sizes")).toBe("[1,2,4,8,12,16,20]");
    expect(flagOf(glm.argv, "--max-num-seqs")).toBe("20");
    const dsv4 = worker(row("dsv4", "amd/DeepSeek-V4-Pro-MXFP4", 48, 0));
    expect(flagOf(dsv4.argv, "--max-num-seqs")).toBe("96");
    expect(flagOf(dsv4.argv, "--spec-decode-acceptance-length")).toBe("2.49");
  });
});
