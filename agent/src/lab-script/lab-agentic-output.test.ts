/**
 * benchfleet's agentic replay written as the lab's aggregated agentic result, and read back by the
 * parser `results import` and script mode share (lab-agentic-result.ts in shared): the per-turn
 * latencies, throughput, request counts and the engine's hit rate survive the round trip.
 */
import { LabAgenticResultError, labAgenticEnv, labAgenticPoint, pointFromLabAgenticResult } from "@benchfleet/shared";
import { makeAgenticResult } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { labAgenticResultJson } from "./lab-agentic-output.js";

const ENV = {
  RUNNER_TYPE: "h200",
  CONC: "8",
  MODEL: "meta-llama/Llama-3.1-8B-Instruct",
  MODEL_PREFIX: "llama3-8b",
  FRAMEWORK: "vllm",
  PRECISION: "bf16",
  SPEC_DECODING: "none",
  TP: "2",
  EP_SIZE: "1",
  DP_ATTENTION: "false",
  ...labAgenticEnv({
    kvOffloading: "dram",
    backend: { name: "vllm-native", version: "0.9" },
    totalCpuDramGb: 40,
    durationS: 600,
  }),
};

describe("the lab's agentic result from benchfleet's replay", () => {
  it("round-trips per-turn latencies, throughput, counts and the hit rate", () => {
    const r = makeAgenticResult({ concurrency: 8, tputPerGpu: 500, interactivity: 40, hitRate: 0.62, gpus: 2 });
    const json = JSON.parse(JSON.stringify(labAgenticResultJson(r, ENV)));
    expect(json).toMatchObject({
      hw: "h200",
      conc: 8,
      scenario_type: "agentic-coding",
      kv_offloading: "dram",
      kv_offload_backend: { name: "vllm-native", version: "0.9" },
      allocated_cpu_dram_gb: 40,
      tp: 2,
    });
    // the lab's latencies are seconds with p50 for the median
    expect(json.request_metrics.latency.ttft.p50).toBeCloseTo(r.agentic!.ttftMs.median! / 1000);
    const point = { concurrency: 8, isl: 0, osl: 0, durationS: 600 };
    const gpus = { total: 2, prefill: 0, decode: 0 };
    const back = pointFromLabAgenticResult(json, "x.json", point, gpus, true, "2026-01-01T00:00:00.000Z");
    expect(back.measuredBy).toBe("lab-script");
    expect(back.point).toEqual(point);
    expect(back.status).toBe("ok");
    const a = back.agentic!;
    const want = r.agentic!;
    expect(a.ttftMs.median).toBeCloseTo(want.ttftMs.median!);
    expect(a.ttftMs.p90).toBeCloseTo(want.ttftMs.p90!);
    expect(a.itlMs.median).toBeCloseTo(want.itlMs.median!);
    expect(a.e2elMs.median).toBeCloseTo(want.e2elMs.median!);
    expect(a.interactivity.median).toBeCloseTo(want.interactivity.median!);
    expect(a.throughput.totalTokensPerGpu).toBeCloseTo(500);
    expect(a.requests.completed).toBe(want.requests.completed);
    expect(a.requests.failed).toBe(0);
    expect(a.trace.source).toBe("synthetic(seed=42)");
    expect(back.engineMetrics!.roles[0]!.prefixCache!.hitRate).toBeCloseTo(0.62);
  });

  it("failed turns over the lab's gate fail the point; no engine metrics leaves the cache figures out", () => {
    const r = makeAgenticResult({ concurrency: 4, tputPerGpu: 100, interactivity: 20, hitRate: null });
    const failing = { ...r, agentic: { ...r.agentic!, requests: { completed: 80, failed: 20, cutAtEnd: 0 } } };
    const json = JSON.parse(JSON.stringify(labAgenticResultJson(failing, { ...ENV, CONC: "4", TP: "8" })));
    expect(json.server_metrics.cache.gpu_cache_hit_rate).toBeNull();
    const back = labAgenticPoint(json, "y.json", "2026-01-01T00:00:00.000Z");
    expect(back.status).toBe("failed");
    expect(back.failureReason).toBe("20 of 100 requests failed (over the lab's 10 % gate)");
    expect(back.engineMetrics).toBeUndefined();
  });

  it("a file of another concurrency, or not the lab's agentic result, is refused naming the file", () => {
    const r = makeAgenticResult({ concurrency: 8, tputPerGpu: 500, interactivity: 40, hitRate: 0.5 });
    const json = labAgenticResultJson(r, ENV);
    const gpus = { total: 8, prefill: 0, decode: 0 };
    const at = "2026-01-01T00:00:00.000Z";
    expect(() => pointFromLabAgenticResult(json, "r.json", { concurrency: 4, isl: 0, osl: 0 }, gpus, true, at)).toThrow(
      "r.json: the result is for concurrency 8, the point is concurrency 4",
    );
    expect(() =>
      pointFromLabAgenticResult({ completed: 3 }, "r.json", { concurrency: 8, isl: 0, osl: 0 }, gpus, true, at),
    ).toThrow(LabAgenticResultError);
    const { request_metrics: _, ...partial } = json;
    expect(() =>
      pointFromLabAgenticResult(
        { ...partial, request_metrics: { latency: {} } },
        "r.json",
        { concurrency: 8, isl: 0, osl: 0 },
        gpus,
        true,
        at,
      ),
    ).toThrow('r.json: "request_metrics.throughput" must be an object');
  });

  it("a replay without agentic figures, or bad backend metadata, is an error", () => {
    const r = makeAgenticResult({ concurrency: 8, tputPerGpu: 500, interactivity: 40, hitRate: 0.5 });
    const { agentic: _, ...plain } = r;
    expect(() => labAgenticResultJson(plain, ENV)).toThrow("not an agentic point");
    expect(() => labAgenticResultJson(r, { ...ENV, KV_OFFLOAD_BACKEND_METADATA: "{" })).toThrow(
      "KV_OFFLOAD_BACKEND_METADATA must contain valid JSON",
    );
  });
});
