/**
 * Agentic lab scripts held against launches, on a script written for these tests in the lab's
 * format (fixtures/lab/benchmarks/single_node/agentic/demo_fp8_h200_mtp.sh): the trace runs it
 * under bash with the agentic env contract and records the side server and store config it
 * starts; the comparison finds a launch built from a preset that says what the script does equal
 * to it, and names each difference of a launch without one.
 */
import { fileURLToPath } from "node:url";
import { buildLaunchPlan, parseScriptPreset } from "@benchfleet/recipes";
import { makeDeployment, makePlacement } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { compareAgenticLaunch } from "./lab-agentic-scripts.js";
import { type ScriptInputs, traceLabScript } from "./lab-script-trace.js";

const SCRIPT = fileURLToPath(
  new URL("./fixtures/lab/benchmarks/single_node/agentic/demo_fp8_h200_mtp.sh", import.meta.url),
);

function inputs(conc: number, backend?: string): ScriptInputs {
  return {
    model: "org/Demo",
    isl: 0,
    osl: 0,
    tp: 8,
    ep: 1,
    dpAttn: false,
    conc,
    maxModelLen: 0,
    precision: "fp8",
    framework: "vllm",
    spec: "mtp",
    agentic: {
      kvOffloading: backend ? "dram" : "none",
      ...(backend ? { backend } : {}),
      totalCpuDramGb: 1000,
      durationS: 3600,
      dcp: 1,
    },
  };
}

function deployment(conc: number): Deployment {
  const { maxModelLen: _, ...d } = makeDeployment({
    configKey: "demo-fp8-h200-vllm-agentic-mtp",
    sku: "h200",
    framework: "vllm",
    model: "org/Demo",
    modelPrefix: "demo",
    precision: "fp8",
    image: "vllm/vllm-openai:v0.27.1",
    concs: [conc],
    specDecoding: "mtp",
    tp: 8,
  });
  const agentic = {
    durationS: 3600,
    kvOffloading: "dram" as const,
    kvOffloadBackend: { name: "mooncake" },
    dramOffloadGb: 1000,
  };
  return { ...d, scenario: "agentic-coding", isl: 0, osl: 0, kvOffloading: "dram", agentic };
}

const PRESET = parseScriptPreset(
  `script: benchmarks/single_node/agentic/demo_fp8_h200_mtp.sh
model: demo
precision: fp8
sku: h200
framework: vllm
spec: mtp
engine: vllm
mooncake:
  eviction-high-watermark-ratio: 0.90
  segment-gib: { node-reserve-gib: 100, rank-reserve-gib: 2 }
  rdma-devices: first
rules:
  - flags: { max-num-seqs: $((2 * CONC)), enable-prefix-caching: true, speculative-config: null }
    env: { DEMO_ENGINE_TIMEOUT: "600" }
  - when: { kvOffload: mooncake }
    flags: { kv-transfer-config: '{"kv_connector":"MooncakeStoreConnector","kv_role":"kv_both"}' }
    env: { DEMO_STORE_THREADS: "2", PYTHONHASHSEED: null, MC_SLICE_SIZE: null, MC_WORKERS_PER_CTX: null, MC_ENABLE_DEST_DEVICE_AFFINITY: null }
`,
  "demo_fp8_h200_mtp.yaml",
);

function launch(conc: number, withPreset: boolean) {
  const d = deployment(conc);
  const placement = makePlacement(d, { rdma: ["mlx5_0", "mlx5_1"] });
  return buildLaunchPlan(d, placement, { presets: {}, scripts: withPreset ? [PRESET] : [], point: d.points[0]! });
}

describe("traceLabScript on an agentic script", () => {
  it("without offload: the engine alone, no side server, no store", () => {
    const t = traceLabScript(SCRIPT, inputs(4));
    expect(t.command.engine).toBe("vllm");
    expect(t.command.flags["max-num-seqs"]).toBe("8");
    expect(t.command.flags["kv-transfer-config"]).toBeUndefined();
    expect(t.side).toEqual([]);
    expect(t.mooncakeConfig).toBeUndefined();
    expect(t.command.env.DEMO_ENGINE_TIMEOUT).toBe("600");
  });

  it("with Mooncake: the master's argv, the store config the engine is pointed at, the rail, the setup", () => {
    const t = traceLabScript(SCRIPT, inputs(4, "mooncake"));
    expect(t.side).toEqual([
      ["mooncake_master", "--port", "20888", "--eviction_high_watermark_ratio=0.90", "--eviction_ratio=0.10"],
    ]);
    // ⌊1000 GB in GiB⌋ = 931; (931 − 100) / 8 − 2
    expect(JSON.parse(t.mooncakeConfig!)).toMatchObject({ global_segment_size: "101GB", device_name: "mlx5_0" });
    expect(t.command.env.DEMO_STORE_THREADS).toBe("2");
    expect(t.setup).toContain("pip install demo-store==1.0");
  });

  it("a backend the script does not take is a trace error naming the point", () => {
    expect(() => traceLabScript(SCRIPT, inputs(4, "lmcache"))).toThrow(/exited 1 for .*KV_OFFLOAD_BACKEND=lmcache/);
  });
});

describe("compareAgenticLaunch", () => {
  it("a launch from a preset that says what the script does equals it: flags, env, side server, store", () => {
    const t = traceLabScript(SCRIPT, inputs(4, "mooncake"));
    expect(compareAgenticLaunch(t, launch(4, true))).toEqual([]);
  });

  it("without the preset each difference is named", () => {
    const t = traceLabScript(SCRIPT, inputs(4, "mooncake"));
    const d = compareAgenticLaunch(t, launch(4, false));
    expect(d).toContain("flag --max-num-seqs: script 8, ours 4");
    expect(d).toContain("side mooncake_master --eviction_high_watermark_ratio: script 0.90, ours 0.80");
    expect(d).toContain('mooncake store global_segment_size: script "101GB", ours "125GB"');
    expect(d).toContain('mooncake store device_name: script "mlx5_0", ours "mlx5_0,mlx5_1"');
    expect(d).toContain("env DEMO_STORE_THREADS: script 2, ours -");
    expect(d).toContain("env PYTHONHASHSEED: not in the script (ours 0)");
    expect(d.some((x) => x.startsWith("flag --speculative-config: not in the script"))).toBe(true);
  });

  it("differences a preset names as not reproduced are marked apart", () => {
    const t = traceLabScript(SCRIPT, inputs(4, "mooncake"));
    const d = compareAgenticLaunch(t, launch(4, false), ["--max-num-seqs: sized by benchfleet"]);
    expect(d).toContain("(not reproduced) flag --max-num-seqs: script 8, ours 4");
  });
});
