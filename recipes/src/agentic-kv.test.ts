/**
 * Agentic KV settings in launch plans: prefix caching on, and each offload backend's flags as the
 * reference lab's agentic scripts set them (the golden plans pin the whole argv; these pin the facts).
 */
import type { Deployment, LaunchPlan } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildLaunchPlan } from "./index.js";
import { DSR1_H200_SGLANG, makeDeployment, makePlacement } from "./test-support/deployments.js";
import { goldenCases } from "./test-support/golden-cases.js";

const plan = (d: Deployment): LaunchPlan => buildLaunchPlan(d, makePlacement(d));
const golden = (name: string) => {
  const c = goldenCases().find((x) => x.name === name)!;
  return buildLaunchPlan(c.deployment, c.placement);
};
const argv = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes).find((x) => x.role === "worker")!.argv;
const env = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes).find((x) => x.role === "worker")!.env;
function flag(a: string[], name: string): string | true | undefined {
  const i = a.indexOf(name);
  if (i < 0) return undefined;
  return a[i + 1] === undefined || a[i + 1]!.startsWith("--") ? true : a[i + 1];
}

function withBackend(d: Deployment, name: string | undefined, dramOffloadGb = 800): Deployment {
  return {
    ...d,
    scenario: "agentic-coding",
    isl: 0,
    osl: 0,
    agentic: {
      durationS: 3600,
      kvOffloading: name ? "dram" : "none",
      ...(name ? { kvOffloadBackend: { name } } : {}),
      dramOffloadGb: name ? dramOffloadGb : 0,
    },
  };
}

describe("agentic KV settings", () => {
  it("SGLang hicache: radix cache on, HiCache sized budget ÷ TP ÷ 2 pools", () => {
    const a = argv(golden("sglang-h200-agentic-hicache"));
    expect(flag(a, "--disable-radix-cache")).toBeUndefined();
    expect(flag(a, "--enable-hierarchical-cache")).toBe(true);
    expect(flag(a, "--hicache-size")).toBe(String(Math.floor(1651 / 8 / 2)));
    expect(flag(a, "--page-size")).toBe("64");
    expect(flag(a, "--hicache-io-backend")).toBe("kernel");
    expect(flag(a, "--hicache-mem-layout")).toBe("page_first");
    expect(flag(a, "--hicache-write-policy")).toBe("write_through_selective");
  });

  it("vLLM native offload: prefix caching on, the whole budget as kv_offloading_size", () => {
    const a = argv(golden("vllm-h200-agentic-native"));
    expect(flag(a, "--no-enable-prefix-caching")).toBeUndefined();
    expect(flag(a, "--kv_offloading_backend")).toBe("native");
    expect(flag(a, "--kv_offloading_size")).toBe("825");
    expect(flag(a, "--max-model-len")).toBeUndefined();
  });

  it("vLLM simple CPU offload: the connector with the budget per rank and a fixed hash seed", () => {
    const p = golden("vllm-b200-agentic-simple");
    const cfg = JSON.parse(String(flag(argv(p), "--kv-transfer-config")));
    expect(cfg).toEqual({
      kv_connector: "SimpleCPUOffloadConnector",
      kv_role: "kv_both",
      kv_connector_extra_config: {
        cpu_bytes_to_use_per_rank: Math.floor((1651 * 1e9) / 8),
        enable_cross_layers_blocks: "true",
        lazy_offload: false,
      },
    });
    expect(env(p).PYTHONHASHSEED).toBe("42");
  });

  it("without offloading only the prefix cache changes; fixed-seq-len plans keep it off", () => {
    const base = makeDeployment(DSR1_H200_SGLANG);
    expect(flag(argv(plan(base)), "--disable-radix-cache")).toBe(true);
    const a = argv(plan(withBackend(base, undefined)));
    expect(flag(a, "--disable-radix-cache")).toBeUndefined();
    expect(flag(a, "--enable-hierarchical-cache")).toBeUndefined();
  });

  it("refuses backends it cannot launch or that the engine lacks, naming the row", () => {
    const vllm = makeDeployment({ ...DSR1_H200_SGLANG, framework: "vllm" });
    expect(() => plan(withBackend(vllm, "hicache"))).toThrow(/not a vLLM offload backend/);
    const sglang = makeDeployment(DSR1_H200_SGLANG);
    expect(() => plan(withBackend(sglang, "lmcache"))).toThrow(/SGLang offloads KV to DRAM with hicache only/);
    expect(() => plan(withBackend(sglang, "hicache", 10))).toThrow(/under 1 GB per pool/);
  });
});

describe("agentic KV offload of TensorRT-LLM and ATOM", () => {
  const files = (p: LaunchPlan) =>
    p.nodes.flatMap((n) => n.processes).flatMap((x) => x.files.map((f) => ({ role: x.role, ...f })));

  it("TensorRT-LLM native: the host cache per rank, block reuse on; disagg decode keeps none", () => {
    const trt = makeDeployment({ ...DSR1_H200_SGLANG, framework: "trt", tp: 8 });
    const [f] = files(plan(withBackend(trt, "native", 1600)));
    const cfg = parse(f!.content) as { kv_cache_config: Record<string, unknown> };
    expect(cfg.kv_cache_config).toEqual({ enable_block_reuse: true, host_cache_size: 200_000_000_000 });
    const disagg = makeDeployment({
      ...DSR1_H200_SGLANG,
      configKey: "dsr1-fp4-gb300-dynamo-trt",
      sku: "gb300",
      framework: "dynamo-trt",
      prefill: { numWorker: 1, tp: 4 },
      decode: { numWorker: 1, tp: 4 },
    });
    const byRole = Object.fromEntries(
      files(plan(withBackend(disagg, "native", 720))).map((x) => [x.role, parse(x.content)]),
    );
    expect(byRole.prefill.kv_cache_config.host_cache_size).toBe(180_000_000_000);
    expect(byRole.decode.kv_cache_config.host_cache_size).toBe(0);
    expect(() => plan(withBackend(trt, "mooncake"))).toThrow(/dsr1-fp8-h200-sglang: .*native host cache only/);
  });

  it("ATOM lmcache: LMCache inside the engine with the whole budget as its CPU tier", () => {
    const atom = makeDeployment({ ...DSR1_H200_SGLANG, sku: "mi355x", framework: "atom", tp: 8 });
    const p = plan(withBackend(atom, "lmcache", 1200));
    expect(JSON.parse(String(flag(argv(p), "--kv-transfer-config")))).toEqual({
      kv_connector: "lmcache_offload",
      kv_role: "offload",
    });
    expect(env(p)).toMatchObject({
      PYTHONHASHSEED: "0",
      LMCACHE_LOCAL_CPU: "True",
      LMCACHE_MAX_LOCAL_CPU_SIZE: "1200",
      LMCACHE_CHUNK_SIZE: "256",
      OFFLOAD_MIN_LOAD_TOKENS: "8192",
    });
    expect(() => plan(withBackend(atom, "mooncake"))).toThrow(/ATOM offloads KV to DRAM with lmcache only/);
  });
});
