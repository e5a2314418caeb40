/**
 * The Mooncake store as each lab script runs it: the segment sizes, eviction and rail of the
 * agentic script presets (configs/recipes/scripts/agentic/) against the numbers their scripts
 * compute (InferenceX benchmarks/single_node/agentic/minimaxm3_fp8_h100_mtp.sh, _h200_mtp.sh,
 * kimik3_fp4_b300_vllm_mtp.sh), and the scripts' other settings by concurrency and offload.
 */
import { fileURLToPath } from "node:url";
import { type Deployment, type LaunchPlan, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { mooncakeDevices, mooncakeMasterArgs, mooncakeSegment } from "./mooncake-script.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { type DeploymentInput, makeDeployment, makePlacement } from "./test-support/deployments.js";

const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
const scripts = loadScriptPresets(recipeDir);
const MLX = ["mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"];

function agentic(i: DeploymentInput, backend: string | undefined, dramOffloadGb: number, dcpSize = 1): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment(i);
  const kvOffloading = backend ? "dram" : "none";
  return {
    ...d,
    dcpSize,
    scenario: "agentic-coding",
    isl: 0,
    osl: 0,
    points: d.points.map((p) => ({ concurrency: p.concurrency, isl: 0, osl: 0, durationS: 3600 })),
    kvOffloading,
    agentic: {
      durationS: 3600,
      kvOffloading,
      ...(backend ? { kvOffloadBackend: { name: backend } } : {}),
      dramOffloadGb: backend ? dramOffloadGb : 0,
    },
  };
}
function plan(d: Deployment): LaunchPlan {
  return buildLaunchPlan(d, makePlacement(d, { rdma: MLX }), { presets, scripts });
}
const proc = (p: LaunchPlan, name: string) => p.nodes.flatMap((n) => n.processes).find((x) => x.name === name);
function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  return argv[i + 1] === undefined || argv[i + 1]!.startsWith("--") ? true : argv[i + 1];
}
function storeConfig(p: LaunchPlan): Record<string, unknown> {
  return JSON.parse(proc(p, "worker-0-rank0")!.files[0]!.content);
}

const MINIMAX = (sku: "h100" | "h200", conc: number): DeploymentInput => ({
  configKey: `minimaxm3-fp8-${sku}-vllm-agentic-mtp`,
  sku,
  framework: "vllm",
  model: "MiniMaxAI/MiniMax-M3-MXFP8",
  modelPrefix: "minimaxm3",
  precision: "fp8",
  image: "vllm/vllm-openai:v0.27.1",
  concs: [conc],
  specDecoding: "mtp",
  tp: 8,
});
const KIMI = (conc: number): DeploymentInput => ({
  configKey: "kimik3-fp4-b300-vllm-agentic-dspark",
  sku: "b300",
  framework: "vllm",
  model: "moonshotai/Kimi-K3",
  modelPrefix: "kimik3",
  precision: "fp4",
  image: "vllm/vllm-openai:nightly-dev-x86_64-cu13.0.1-5894fdf",
  concs: [conc],
  specDecoding: "mtp",
  tp: 8,
  ep: 1,
});

describe("Mooncake segment, eviction and rail", () => {
  it("by default: the budget ÷ GPUs in GB, eviction 0.80 / 0.10, every RDMA device", () => {
    expect(mooncakeSegment(undefined, 2249, 8, "k")).toBe(281);
    expect(mooncakeMasterArgs(undefined)).toEqual(["--eviction_high_watermark_ratio=0.80", "--eviction_ratio=0.10"]);
    expect(mooncakeDevices(undefined, MLX)).toBe("mlx5_0,mlx5_1,mlx5_2,mlx5_3");
    expect(() => mooncakeSegment(undefined, 7, 8, "k")).toThrow(/k: 7 GB over 8 GPUs is under 1 GB per GPU/);
  });

  it("as the MiniMax-M3 scripts compute it: GiB of the budget, less the page cache, ÷ TP, less the rank reserve", () => {
    // H100, TOTAL_CPU_DRAM_GB=1731: GIB 1612; (1612 − 414) / 8 = 149; 149 − 26 − 4 = 119
    expect(mooncakeSegment({ "segment-gib": { "node-reserve-gib": 414, "rank-reserve-gib": 30 } }, 1731, 8, "k")).toBe(
      119,
    );
    // H200, TOTAL_CPU_DRAM_GB=1234: GIB 1149; (1149 − 414) / 8 = 91; 91 − 4 = 87
    expect(mooncakeSegment({ "segment-gib": { "node-reserve-gib": 414, "rank-reserve-gib": 4 } }, 1234, 8, "k")).toBe(
      87,
    );
    // the script's "CPU DRAM budget is too small" exit
    expect(() =>
      mooncakeSegment({ "segment-gib": { "node-reserve-gib": 414, "rank-reserve-gib": 30 } }, 700, 8, "mm: row"),
    ).toThrow(/mm: row: 700 GB \(651 GiB\) less the script's 414 GiB node reserve, over 8 GPUs, less its 30 GiB/);
  });

  it("eviction and one rail as kimik3_fp4_b300_vllm_mtp.sh sets them; no device known leaves Mooncake to pick", () => {
    const m = { "eviction-high-watermark-ratio": 0.95, "eviction-ratio": 0.1, "rdma-devices": "first" as const };
    expect(mooncakeMasterArgs(m)).toEqual(["--eviction_high_watermark_ratio=0.95", "--eviction_ratio=0.10"]);
    expect(mooncakeDevices(m, MLX)).toBe("mlx5_0");
    expect(mooncakeDevices(m, [])).toBe("");
    expect(mooncakeDevices({ "rdma-devices": "none" }, MLX)).toBe("");
  });
});

describe("MiniMax-M3 H100/H200 scripts", () => {
  it("H100 with Mooncake: the 414 GiB page cache and 26 + 4 GiB per rank kept back, weights offloaded as the script does", () => {
    const p = plan(agentic(MINIMAX("h100", 8), "mooncake", 1731));
    expect(storeConfig(p).global_segment_size).toBe("119GB");
    expect(storeConfig(p).local_buffer_size).toBe("4GB");
    // "device_name": "": the script leaves the devices to Mooncake
    expect(storeConfig(p).device_name).toBe("");
    const w = proc(p, "worker-0-rank0")!;
    expect(flag(w.argv, "--cpu-offload-gb")).toBe("26");
    expect(flag(w.argv, "--safetensors-load-strategy")).toBe("lazy");
    expect(flag(w.argv, "--max-num-seqs")).toBe("16");
    expect(flag(w.argv, "--max-cudagraph-capture-size")).toBe("64");
    expect(w.env).toMatchObject({ PYTHONHASHSEED: "0", MC_SLICE_SIZE: "1048576", MC_WORKERS_PER_CTX: "4" });
    expect(proc(p, "infra-mooncake-master")!.argv).toContain("--eviction_high_watermark_ratio=0.80");
  });

  it("H200 with Mooncake keeps back the page cache and the local buffer only; without offload no store at all", () => {
    const p = plan(agentic(MINIMAX("h200", 14), "mooncake", 1234));
    expect(storeConfig(p).global_segment_size).toBe("87GB");
    const w = proc(p, "worker-0-rank0")!;
    expect(flag(w.argv, "--cpu-offload-gb")).toBeUndefined();
    expect(flag(w.argv, "--max-num-seqs")).toBe("28");
    expect(flag(w.argv, "--max-cudagraph-capture-size")).toBe("112");
    const none = plan(agentic(MINIMAX("h200", 10), undefined, 0));
    const r = proc(none, "worker-0-rank0")!;
    expect(proc(none, "infra-mooncake-master")).toBeUndefined();
    expect(flag(r.argv, "--kv-transfer-config")).toBeUndefined();
    expect(flag(r.argv, "--enable-prefix-caching")).toBe(true);
    expect(Object.keys(r.env).filter((k) => k.startsWith("MC_") || k === "MOONCAKE_CONFIG_PATH")).toEqual([]);
  });

  it("a budget too small for the reserves is refused with the script's reason", () => {
    expect(() => plan(agentic(MINIMAX("h100", 8), "mooncake", 700))).toThrow(RecipeError);
    expect(() => plan(agentic(MINIMAX("h100", 8), "mooncake", 700))).toThrow(
      /minimaxm3-fp8-h100-vllm-agentic-mtp: kv-offloading dram with backend "mooncake" \(benchmarks\/single_node\/agentic\/minimaxm3_fp8_h100_mtp\.sh\): 700 GB/,
    );
  });
});

describe("Kimi-K3 B300 script", () => {
  it("eviction 0.95, one rail, PYTHONHASHSEED=42 and its MC_* settings, the script's connector", () => {
    const p = plan(agentic(KIMI(16), "mooncake", 2249, 8));
    expect(proc(p, "infra-mooncake-master")!.argv).toContain("--eviction_high_watermark_ratio=0.95");
    expect(proc(p, "infra-mooncake-master")!.argv).toContain("--eviction_ratio=0.10");
    expect(storeConfig(p)).toMatchObject({ global_segment_size: "281GB", device_name: "mlx5_0" });
    const w = proc(p, "worker-0-rank0")!;
    expect(w.env).toMatchObject({
      PYTHONHASHSEED: "42",
      MC_GID_INDEX: "3",
      MC_STORE_MEMCPY: "1",
      MC_ENABLE_DEST_DEVICE_AFFINITY: "1",
      MC_SLICE_SIZE: "1048576",
      MC_WORKERS_PER_CTX: "4",
      WITH_NVIDIA_PEERMEM: "0",
      VLLM_MOONCAKE_LOAD_RECV_THREADS: "4",
    });
    expect(JSON.parse(flag(w.argv, "--kv-transfer-config") as string)).toEqual({
      kv_connector: "MooncakeStoreConnector",
      kv_role: "kv_both",
      kv_load_failure_policy: "recompute",
      kv_connector_extra_config: { load_async: true, lookup_async: true, enable_offload: false },
    });
    expect(flag(w.argv, "--decode-context-parallel-size")).toBe("8");
    expect(flag(w.argv, "--dcp-comm-backend")).toBe("a2a");
  });

  it("the arms by concurrency: DSpark 7 up to 8, DSpark 3 at 16, no drafting above; 0.90 of the GPU from 56", () => {
    const at = (conc: number) => proc(plan(agentic(KIMI(conc), "mooncake", 2249, 8)), "worker-0-rank0")!;
    const spec = (conc: number) => {
      const v = flag(at(conc).argv, "--speculative-config");
      return typeof v === "string" ? JSON.parse(v).num_speculative_tokens : v;
    };
    expect(spec(8)).toBe(7);
    expect(spec(16)).toBe(3);
    expect(spec(24)).toBeUndefined();
    expect(flag(at(48).argv, "--gpu-memory-utilization")).toBe("0.92");
    expect(flag(at(56).argv, "--gpu-memory-utilization")).toBe("0.90");
    expect(flag(at(70).argv, "--max-num-seqs")).toBe("140");
    const sizes = (conc: number) =>
      JSON.parse(flag(at(conc).argv, "--compilation-config") as string).cudagraph_capture_sizes as number[];
    expect(sizes(1)).toEqual([8, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192]);
    expect(sizes(70)).toEqual([...Array.from({ length: 128 }, (_, i) => i + 1), 256, 512, 1024, 2048, 4096, 8192]);
  });
});
