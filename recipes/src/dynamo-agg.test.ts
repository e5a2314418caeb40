/**
 * Aggregated Dynamo serving written as a prefill pool (decode num-worker 0, the lab's `*-agg`
 * agentic entries) for dynamo-sglang and dynamo-trt: the workers serve whole requests, with no
 * disaggregation mode, KV transfer or prefill-only settings, and the frontend waits for them as
 * aggregated backends. Disaggregated entries keep all of it.
 */
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildLaunchPlan } from "./index.js";
import { goldenCases } from "./test-support/golden-cases.js";

const golden = (name: string) => {
  const c = goldenCases().find((x) => x.name === name)!;
  return buildLaunchPlan(c.deployment, c.placement);
};
const all = (p: LaunchPlan): ProcessSpec[] => p.nodes.flatMap((n) => n.processes);
const engines = (p: LaunchPlan) => all(p).filter((x) => x.gpus.length > 0);
const has = (a: string[], name: string) => a.includes(name);
function flag(a: string[], name: string): string | undefined {
  const i = a.indexOf(name);
  return i < 0 ? undefined : a[i + 1];
}
const frontendInstances = (p: LaunchPlan) => all(p).find((x) => x.role === "frontend")!.health[0]!.expectInstances;

describe("aggregated Dynamo serving written as a prefill pool", () => {
  it("dynamo-sglang: one aggregated worker sized for the whole concurrency, HiCache on", () => {
    const p = golden("dynamo-sglang-gb300-agg-tp4-agentic-hicache");
    const ws = engines(p);
    expect(ws).toHaveLength(1);
    const w = ws[0]!;
    expect(w.role).toBe("worker");
    expect(w.argv.slice(0, 3)).toEqual(["python3", "-m", "dynamo.sglang"]);
    for (const f of ["--disaggregation-mode", "--disaggregation-transfer-backend", "--disaggregation-bootstrap-port"])
      expect(has(w.argv, f), f).toBe(false);
    expect(flag(w.argv, "--max-running-requests")).toBe("16");
    expect(flag(w.argv, "--cuda-graph-max-bs")).toBe("16");
    expect(flag(w.argv, "--tensor-parallel-size")).toBe("4");
    expect(has(w.argv, "--enable-hierarchical-cache")).toBe(true);
    expect(w.ports.bootstrap).toBeUndefined();
    expect(frontendInstances(p)).toEqual([
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 1 },
    ]);
  });

  it("dynamo-trt: every node's rank of the TP8 worker runs aggregated with CUDA graphs and block reuse", () => {
    const p = golden("dynamo-trt-gb300-agg-tp8-agentic-mtp");
    const ws = engines(p);
    expect(ws).toHaveLength(2);
    for (const w of ws) {
      expect(w.role).toBe("worker");
      expect(has(w.argv, "--disaggregation-mode")).toBe(false);
      const cfg = parse(w.files[0]!.content) as Record<string, unknown>;
      expect(cfg.cache_transceiver_config).toBeUndefined();
      expect(cfg.disable_overlap_scheduler).toBeUndefined();
      expect(cfg.cuda_graph_config).toEqual({ enable_padding: true, max_batch_size: 1 });
      expect(cfg.kv_cache_config).toEqual({ enable_block_reuse: true });
      expect(cfg.tensor_parallel_size).toBe(8);
    }
    expect(frontendInstances(p)).toEqual([
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 1 },
    ]);
  });

  it("a disaggregated dynamo-sglang entry keeps its modes, transfer backend and bootstrap port", () => {
    const p = golden("dynamo-sglang-b200-1p1d");
    const prefill = engines(p).filter((x) => x.role === "prefill");
    const decode = engines(p).filter((x) => x.role === "decode");
    expect(prefill.length).toBeGreaterThan(0);
    expect(decode.length).toBeGreaterThan(0);
    for (const w of prefill) {
      expect(flag(w.argv, "--disaggregation-mode")).toBe("prefill");
      expect(flag(w.argv, "--disaggregation-bootstrap-port")).toBeDefined();
      expect(flag(w.argv, "--max-running-requests")).toBeUndefined();
    }
    for (const w of decode) expect(flag(w.argv, "--disaggregation-transfer-backend")).toBe("nixl");
  });
});
