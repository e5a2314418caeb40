/**
 * Agentic script presets (configs/recipes/scripts/agentic/) whose scripts set KV offload otherwise
 * than the engine recipe derives it: the MiniMax-M3 TRT scripts (InferenceX
 * benchmarks/single_node/agentic/minimaxm3_fp4_b200_trt_mtp.sh, _b300_trt_mtp.sh) pin TensorRT-LLM's
 * host KV pool per topology (`mem_off`), whatever the row's DRAM budget; a TRT row without a
 * script keeps the budget ÷ ranks (agentic-kv.ts). And the MiniMax-M3 LMCache scripts
 * (minimaxm3_fp4_mi355x_mtp.sh, minimaxm3_fp8_mi300x_mtp.sh): their servers with the engine's flags.
 * And minimaxm3_fp4_b300_mtp.sh, whose SimpleCPUOffloadConnector takes the whole budget in GiB.
 */
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildLaunchPlan } from "./index.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";

const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
const scripts = loadScriptPresets(recipeDir);

function trtRow(
  sku: "b200" | "b300",
  tp: number,
  conc: number,
  dramOffloadGb: number,
  modelPrefix = "minimaxm3",
): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment({
    configKey: `${modelPrefix}-fp4-${sku}-trtllm-agentic-mtp`,
    sku,
    framework: "trt",
    model: "nvidia/MiniMax-M3-NVFP4",
    modelPrefix,
    precision: "fp4",
    image: "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc23.post1",
    concs: [conc],
    specDecoding: "mtp",
    tp,
  });
  const agentic = {
    durationS: 3600,
    kvOffloading: "dram" as const,
    kvOffloadBackend: { name: "native" },
    dramOffloadGb,
  };
  return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading: "dram", agentic };
}
/** the options file's keys these tests read */
type TrtOptions = Record<string, unknown> & {
  kv_cache_config: Record<string, unknown>;
  cuda_graph_config: Record<string, unknown> & { batch_sizes?: number[] };
  speculative_config: unknown;
};
function options(d: Deployment): TrtOptions {
  const p: LaunchPlan = buildLaunchPlan(d, makePlacement(d), { presets, scripts });
  const w = p.nodes[0]!.processes.find((x) => x.name === "worker-0-rank0")!;
  return parse(w.files[0]!.content) as TrtOptions;
}

describe("MiniMax-M3 TRT scripts: the host KV pool pinned per topology", () => {
  it("B200: 200 GiB per rank at TP 8, 250 GiB at TP 4, whatever the budget", () => {
    expect(options(trtRow("b200", 8, 5, 2377)).kv_cache_config.host_cache_size).toBe(200 * 1024 ** 3);
    expect(options(trtRow("b200", 4, 20, 1188)).kv_cache_config.host_cache_size).toBe(250 * 1024 ** 3);
    expect(options(trtRow("b200", 4, 20, 500)).kv_cache_config.host_cache_size).toBe(250 * 1024 ** 3);
  });

  it("B300: 288 GiB per rank at TP 8, the script's else branch (361.875 GiB) at TP 2 and 4", () => {
    expect(options(trtRow("b300", 8, 1, 2399)).kv_cache_config.host_cache_size).toBe(309237645312);
    expect(options(trtRow("b300", 4, 25, 1199)).kv_cache_config.host_cache_size).toBe(388554555392);
    expect(options(trtRow("b300", 2, 30, 599)).kv_cache_config.host_cache_size).toBe(388554555392);
  });

  it("the rest of ser.yaml: sizes in the options file, EAGLE3 draft, the script's batch sizes at each CONC", () => {
    const o = options(trtRow("b200", 4, 45, 1188));
    expect(o).toMatchObject({ max_seq_len: 1048576, max_num_tokens: 16384, max_batch_size: 45 });
    expect(o.speculative_config).toEqual({
      decoding_type: "Eagle3",
      max_draft_len: 3,
      speculative_model: "Inferact/MiniMax-M3-EAGLE3-GQA",
    });
    // ( $(seq 2 2 18) $(seq 21 3 45) )
    expect(o.cuda_graph_config).toEqual({
      enable_padding: true,
      batch_sizes: [2, 4, 6, 8, 10, 12, 14, 16, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45],
    });
    expect(o.kv_cache_config).toMatchObject({ enable_block_reuse: true, block_reuse_policy: "per_conversation" });
    expect(options(trtRow("b200", 8, 5, 2377)).cuda_graph_config.batch_sizes).toEqual([1, 2, 3, 4, 5]);
  });

  it("a TRT row without a script preset keeps the budget ÷ the server's ranks", () => {
    expect(options(trtRow("b200", 4, 20, 1188, "qwen3.5")).kv_cache_config.host_cache_size).toBe(297e9);
  });
});

describe("MiniMax-M3 LMCache scripts", () => {
  function lmcacheRow(tp: number, conc: number, backend: string | undefined, dramOffloadGb: number): Deployment {
    const { maxModelLen: _, ...d } = makeDeployment({
      configKey: "minimaxm3-fp4-mi355x-vllm-agentic-mtp",
      sku: "mi355x",
      framework: "vllm",
      model: "amd/MiniMax-M3-MXFP4",
      modelPrefix: "minimaxm3",
      precision: "fp4",
      image: "vllm/vllm-openai-rocm:v0.27.1",
      concs: [conc],
      specDecoding: "mtp",
      tp,
    });
    const kvOffloading = backend ? ("dram" as const) : ("none" as const);
    const agentic = {
      durationS: 3600,
      kvOffloading,
      ...(backend ? { kvOffloadBackend: { name: backend } } : {}),
      dramOffloadGb: backend ? dramOffloadGb : 0,
    };
    return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading, agentic };
  }
  const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d), { presets, scripts });
  const flagOf = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

  it("MI355X TP 4 with LMCache: one server per GPU with L1 = budget ÷ TP, the shuffled KV layout, 2 × CONC sequences", () => {
    const p = plan(lmcacheRow(4, 32, "lmcache", 593));
    const procs = p.nodes.flatMap((n) => n.processes);
    const servers = procs.filter((x) => x.name.startsWith("infra-lmcache-"));
    expect(servers).toHaveLength(4);
    for (const s of servers) expect(flagOf(s.argv, "--l1-size-gb")).toBe("148");
    const w = procs.find((x) => x.name === "worker-0-rank0")!;
    expect(w.env.VLLM_ROCM_SHUFFLE_KV_CACHE_LAYOUT).toBe("1");
    expect(flagOf(w.argv, "--max-num-seqs")).toBe("64");
    expect(flagOf(w.argv, "--moe-backend")).toBe("aiter");
    expect(JSON.parse(flagOf(w.argv, "--kv-transfer-config")!).kv_connector).toBe("LMCacheMPConnector");
  });

  it("MI355X TP 2 without offload: no servers, no connector, the unshuffled layout", () => {
    const p = plan(lmcacheRow(2, 5, undefined, 0));
    const procs = p.nodes.flatMap((n) => n.processes);
    expect(procs.filter((x) => x.role === "infra")).toEqual([]);
    const w = procs.find((x) => x.name === "worker-0-rank0")!;
    expect(w.env.VLLM_ROCM_SHUFFLE_KV_CACHE_LAYOUT).toBe("0");
    expect(w.argv).not.toContain("--kv-transfer-config");
  });
});

describe("MiniMax-M3 B300 vLLM script: vllm-simple sized from $TOTAL_CPU_DRAM_GB", () => {
  function row(tp: number, conc: number, backend: string | undefined, dramOffloadGb: number): Deployment {
    const { maxModelLen: _, ...d } = makeDeployment({
      configKey: "minimaxm3-fp4-b300-vllm-agentic-mtp",
      sku: "b300",
      framework: "vllm",
      model: "nvidia/MiniMax-M3-NVFP4",
      modelPrefix: "minimaxm3",
      precision: "fp4",
      image: "vllm/vllm-openai:v0.27.1",
      concs: [conc],
      specDecoding: "mtp",
      tp,
    });
    const kvOffloading = backend ? ("dram" as const) : ("none" as const);
    const agentic = {
      durationS: 3600,
      kvOffloading,
      ...(backend ? { kvOffloadBackend: { name: backend } } : {}),
      dramOffloadGb: backend ? dramOffloadGb : 0,
    };
    return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading, agentic };
  }
  const worker = (d: Deployment) =>
    buildLaunchPlan(d, makePlacement(d), { presets, scripts })
      .nodes.flatMap((n) => n.processes)
      .find((x) => x.name === "worker-0-rank0")!;
  const flagOf = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

  it("cpu_bytes_to_use = TOTAL_CPU_DRAM_GB × 2³⁰ for the server, lazy offload, no hash seed", () => {
    const w = worker(row(4, 30, "vllm-simple", 749));
    expect(JSON.parse(flagOf(w.argv, "--kv-transfer-config")!)).toEqual({
      kv_connector: "SimpleCPUOffloadConnector",
      kv_role: "kv_both",
      kv_connector_extra_config: { cpu_bytes_to_use: 804232626176, lazy_offload: true },
    });
    expect(w.env.VLLM_USE_SIMPLE_KV_OFFLOAD).toBe("1");
    expect(w.env.PYTHONHASHSEED).toBeUndefined();
    expect(flagOf(w.argv, "--max-num-seqs")).toBeUndefined();
  });

  it("without offload: no connector, no offload env", () => {
    const w = worker(row(4, 10, undefined, 0));
    expect(flagOf(w.argv, "--kv-transfer-config")).toBeUndefined();
    expect(w.env.VLLM_USE_SIMPLE_KV_OFFLOAD).toBeUndefined();
  });
});
