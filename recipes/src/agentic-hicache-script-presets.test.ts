/**
 * Agentic script presets whose SGLang HiCache differs from the generic recipe's (--hicache-size =
 * budget ÷ TP ÷ 2): the Qwen3.5 B200/B300 scripts (InferenceX
 * benchmarks/single_node/agentic/qwen3.5_*_sglang_mtp.sh) size it per rank as
 * ⌊(TOTAL_CPU_DRAM_GB − TP) × 15 ÷ TP ÷ 31⌋ GB; the DeepSeek-V4 scripts (dsv4_fp4_b200/b300_sglang_mtp.sh)
 * (and dsv4_fp4_mi355x_sglang_mtp.sh) pass no size but a host/device token ratio, direct I/O and
 * page_first_direct; the GLM-5.2 scripts
 * (glm5.2_fp4_{b200,b300,mi355x}_sglang_mtp.sh) a fixed size or a ratio whatever the budget.
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

interface Row {
  model: string;
  modelPrefix: string;
  precision: string;
  sku: "b200" | "b300" | "mi355x";
  tp: number;
  conc: number;
  /** the row's DRAM budget in GB; 0: no offload */
  dram: number;
  dpAttn?: boolean;
}
function row(r: Row): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment({
    configKey: `${r.modelPrefix}-${r.precision}-${r.sku}-sglang-agentic-mtp`,
    sku: r.sku,
    framework: "sglang",
    model: r.model,
    modelPrefix: r.modelPrefix,
    precision: r.precision,
    image: "lmsysorg/sglang:v0.5.9-cu130",
    concs: [r.conc],
    specDecoding: "mtp",
    tp: r.tp,
    ...(r.dpAttn ? { ep: r.tp, dpAttn: true } : {}),
  });
  const kvOffloading = r.dram > 0 ? ("dram" as const) : ("none" as const);
  const agentic = {
    durationS: 3600,
    kvOffloading,
    ...(r.dram > 0 ? { kvOffloadBackend: { name: "hicache" } } : {}),
    dramOffloadGb: r.dram,
  };
  return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading, agentic };
}
function argv(d: Deployment): string[] {
  return buildLaunchPlan(d, makePlacement(d), { presets, scripts })
    .nodes.flatMap((n) => n.processes)
    .find((x) => x.name === "worker-0-rank0")!.argv;
}
const flagOf = (a: string[], name: string) => (a.includes(name) ? (a[a.indexOf(name) + 1] ?? "") : undefined);

describe("Qwen3.5 B200/B300 SGLang scripts: HiCache per rank from the budget less 1 GB a rank", () => {
  const qwen = (sku: "b200" | "b300", tp: number, conc: number, dram: number) =>
    row({ model: "Qwen/Qwen3.5-397B-A17B-FP8", modelPrefix: "qwen3.5", precision: "fp8", sku, tp, conc, dram });

  it("--hicache-size ⌊(TOTAL_CPU_DRAM_GB − TP) × 15 ÷ TP ÷ 31⌋, the generic page size and policies", () => {
    const a = argv(qwen("b300", 2, 40, 599));
    expect(flagOf(a, "--hicache-size")).toBe("144");
    expect(flagOf(argv(qwen("b300", 4, 40, 1199)), "--hicache-size")).toBe("144");
    expect(flagOf(a, "--page-size")).toBe("64");
    expect(flagOf(a, "--hicache-write-policy")).toBe("write_through_selective");
    expect(flagOf(a, "--speculative-algorithm")).toBe("NEXTN");
    expect(flagOf(a, "--max-running-requests")).toBe("80");
  });

  it("CUDA graphs up to CONC capped at 64; six tokenizer workers at TP 4 on B300, at every TP on FP8 B200", () => {
    expect(flagOf(argv(qwen("b300", 4, 72, 0)), "--cuda-graph-max-bs")).toBe("64");
    expect(flagOf(argv(qwen("b300", 4, 40, 0)), "--cuda-graph-max-bs")).toBe("40");
    expect(flagOf(argv(qwen("b300", 2, 8, 0)), "--tokenizer-worker-num")).toBeUndefined();
    expect(flagOf(argv(qwen("b300", 4, 8, 0)), "--tokenizer-worker-num")).toBe("6");
    expect(flagOf(argv(qwen("b200", 2, 8, 0)), "--tokenizer-worker-num")).toBe("6");
  });

  it("without offload: no hierarchical cache", () => {
    const a = argv(qwen("b200", 4, 16, 0));
    expect(a).not.toContain("--enable-hierarchical-cache");
    expect(flagOf(a, "--hicache-size")).toBeUndefined();
  });
});

describe("DeepSeek-V4 B200/B300 SGLang scripts: HiCache as a token ratio", () => {
  const dsv4 = (sku: "b200" | "b300" | "mi355x", tp: number, conc: number, dram: number, dpAttn = false) =>
    row({ model: "deepseek-ai/DeepSeek-V4-Pro", modelPrefix: "dsv4", precision: "fp4", sku, tp, conc, dram, dpAttn });

  it("B300: ratio 2 at TP 8 and 8 at TP 4, no size, write_back, direct I/O, page_first_direct, no server warm-up", () => {
    const tp8 = argv(dsv4("b300", 8, 40, 2399));
    expect(flagOf(tp8, "--hicache-ratio")).toBe("2");
    expect(flagOf(tp8, "--hicache-size")).toBeUndefined();
    expect(flagOf(tp8, "--hicache-write-policy")).toBe("write_back");
    expect(flagOf(tp8, "--hicache-io-backend")).toBe("direct");
    expect(flagOf(tp8, "--hicache-mem-layout")).toBe("page_first_direct");
    expect(flagOf(tp8, "--page-size")).toBe("256");
    expect(tp8).toContain("--skip-server-warmup");
    expect(flagOf(argv(dsv4("b300", 4, 40, 1199)), "--hicache-ratio")).toBe("8");
  });

  it("B300 DP attention: DP = TP, the script's memory fraction (0.94 from CONC 512), none of SGLang's DeepEP", () => {
    const a = argv(dsv4("b300", 8, 128, 0, true));
    expect(flagOf(a, "--data-parallel-size")).toBe("8");
    expect(flagOf(a, "--mem-fraction-static")).toBe("0.95");
    expect(flagOf(a, "--moe-a2a-backend")).toBeUndefined();
    expect(a).not.toContain("--enable-dp-lm-head");
    expect(flagOf(argv(dsv4("b300", 8, 512, 0, true)), "--mem-fraction-static")).toBe("0.94");
  });

  it("B200: ratio 8 with write_through and no page size; DP attention runs MegaMoE with 8192 × TP chunked prefill", () => {
    const a = argv(dsv4("b200", 8, 16, 2399));
    expect(flagOf(a, "--hicache-ratio")).toBe("8");
    expect(flagOf(a, "--hicache-write-policy")).toBe("write_through");
    expect(flagOf(a, "--page-size")).toBeUndefined();
    expect(a).not.toContain("--skip-server-warmup");
    const dp = argv(dsv4("b200", 8, 64, 2399, true));
    expect(flagOf(dp, "--moe-a2a-backend")).toBe("megamoe");
    expect(flagOf(dp, "--chunked-prefill-size")).toBe("65536");
    expect(flagOf(dp, "--moe-runner-backend")).toBeUndefined();
  });

  it("MI355X: ratio 1.5 with write_through and page size 256; no --dp or --ep-size at EP 1; graphs capped at 128", () => {
    const a = argv(dsv4("mi355x", 8, 48, 2399));
    expect(flagOf(a, "--hicache-ratio")).toBe("1.5");
    expect(flagOf(a, "--hicache-size")).toBeUndefined();
    expect(flagOf(a, "--hicache-write-policy")).toBe("write_through");
    expect(flagOf(a, "--page-size")).toBe("256");
    expect(flagOf(a, "--ep-size")).toBeUndefined();
    expect(flagOf(a, "--data-parallel-size")).toBeUndefined();
    expect(flagOf(a, "--max-running-requests")).toBe("96");
    expect(flagOf(argv(dsv4("mi355x", 8, 96, 2399)), "--cuda-graph-max-bs")).toBe("128");
  });
});

describe("GLM-5.2 SGLang scripts: HiCache fixed or as a ratio, whatever the budget", () => {
  const glm = (sku: "b200" | "b300" | "mi355x", conc: number, dram: number) =>
    row({ model: "nvidia/GLM-5.2-NVFP4", modelPrefix: "glm5.2", precision: "fp4", sku, tp: 8, conc, dram });

  it("B300: a 270 GB main pool a rank, write_back, direct I/O, no page size", () => {
    for (const dram of [1199, 2399]) {
      const a = argv(glm("b300", 8, dram));
      expect(flagOf(a, "--hicache-size")).toBe("270");
      expect(flagOf(a, "--hicache-ratio")).toBeUndefined();
      expect(flagOf(a, "--hicache-write-policy")).toBe("write_back");
      expect(flagOf(a, "--hicache-io-backend")).toBe("direct");
      expect(flagOf(a, "--page-size")).toBeUndefined();
    }
    expect(flagOf(argv(glm("b300", 16, 2399)), "--cuda-graph-max-bs")).toBe("32");
    expect(flagOf(argv(glm("b300", 40, 2399)), "--cuda-graph-max-bs")).toBe("64");
  });

  it("B200: ratio 0.75 but at CONC 12 and 16, which take the 270 GB pool; memory fraction 0.83", () => {
    const c8 = argv(glm("b200", 8, 2399));
    expect(flagOf(c8, "--hicache-ratio")).toBe("0.75");
    expect(flagOf(c8, "--hicache-size")).toBeUndefined();
    expect(flagOf(c8, "--mem-fraction-static")).toBe("0.83");
    for (const conc of [12, 16]) {
      const a = argv(glm("b200", conc, 2399));
      expect(flagOf(a, "--hicache-size")).toBe("270");
      expect(flagOf(a, "--hicache-ratio")).toBeUndefined();
    }
    expect(flagOf(argv(glm("b200", 14, 2399)), "--hicache-ratio")).toBe("0.75");
  });

  it("MI355X: ratio 1.5 with write_through; CONC running requests", () => {
    const a = argv(glm("mi355x", 10, 1199));
    expect(flagOf(a, "--hicache-ratio")).toBe("1.5");
    expect(flagOf(a, "--hicache-size")).toBeUndefined();
    expect(flagOf(a, "--hicache-write-policy")).toBe("write_through");
    expect(flagOf(a, "--max-running-requests")).toBe("10");
    expect(flagOf(a, "--speculative-num-steps")).toBe("5");
  });
});
