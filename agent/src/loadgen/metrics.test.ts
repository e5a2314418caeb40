import { VllmBenchResult } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { computeMetrics, peakRates, percentile, std, summarize } from "./metrics.js";
import type { RequestRecord } from "./request-record.js";
import { buildBenchResult, perGpu, vllmDate } from "./result.js";
import { assessSaturation } from "./saturation.js";

const MS = 1e6;
function rec(over: Partial<RequestRecord>): RequestRecord {
  return {
    index: 0,
    success: true,
    scheduledNs: 0,
    startNs: 0,
    endNs: 0,
    ttftNs: 0,
    itlNs: [],
    latencyNs: 0,
    promptTokens: 100,
    targetPromptTokens: 100,
    outputTokens: 1,
    targetOutputTokens: 1,
    usageReported: true,
    queueNs: 0,
    ...over,
  };
}

describe("numpy-compatible statistics", () => {
  it("percentile uses linear interpolation like np.percentile", () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97, 12);
    expect(percentile([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 99.9)).toBeCloseTo(8.991, 12);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });
  it("std is the population standard deviation (ddof = 0)", () => {
    expect(std([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(summarize([]).mean).toBe(0);
  });
});

describe("computeMetrics (vLLM calculate_metrics)", () => {
  const records = [
    rec({
      index: 0,
      startNs: 0,
      ttftNs: 10 * MS,
      itlNs: [5 * MS, 5 * MS, 5 * MS],
      latencyNs: 25 * MS,
      outputTokens: 4,
      promptTokens: 100,
    }),
    rec({
      index: 1,
      startNs: 1 * MS,
      ttftNs: 20 * MS,
      itlNs: [10 * MS],
      latencyNs: 30 * MS,
      outputTokens: 2,
      promptTokens: 50,
    }),
    rec({ index: 2, success: false, failure: "http_503", promptTokens: 70, outputTokens: 0 }),
    rec({ index: 3, startNs: 2 * MS, ttftNs: 5 * MS, latencyNs: 5 * MS, outputTokens: 1, promptTokens: 10 }),
  ];
  const m = computeMetrics(records, 2);

  it("counts successes only in tokens and throughput", () => {
    expect(m.completed).toBe(3);
    expect(m.failed).toBe(1);
    expect(m.failures).toEqual({ http_503: 1 });
    expect(m.totalInputTokens).toBe(160);
    expect(m.totalOutputTokens).toBe(7);
    expect(m.requestThroughput).toBe(1.5);
    expect(m.outputThroughput).toBe(3.5);
    expect(m.totalTokenThroughput).toBe(83.5);
  });

  it("TPOT per request (e2el - ttft) / (out - 1), averaged over requests with out > 1; ITL pooled per chunk", () => {
    expect(m.ttftMs.mean).toBeCloseTo(35 / 3, 12);
    expect(m.tpotMs.mean).toBeCloseTo(7.5, 12);
    expect(m.tpotMs.median).toBeCloseTo(7.5, 12);
    expect(m.itlMs.mean).toBeCloseTo(6.25, 12);
    expect(m.itlMs.median).toBeCloseTo(5, 12);
    expect(m.e2elMs.mean).toBeCloseTo(20, 12);
    // interactivity: per-request 1000/TPOT = 200 and 100 tok/s/user; mean 150 (not 1000/7.5)
    expect(m.interactivity.mean).toBeCloseTo(150, 9);
  });

  it("peak rates bucket token chunks and active requests by second like vLLM", () => {
    const s = 1e9;
    const r = [
      rec({ startNs: 0, ttftNs: 0.1 * s, itlNs: [0.5 * s, 0.5 * s, 0.5 * s], latencyNs: 1.6 * s, outputTokens: 4 }),
      rec({ startNs: 0.2 * s, ttftNs: 0.1 * s, itlNs: [0.1 * s], latencyNs: 0.2 * s, outputTokens: 2 }),
    ];
    // chunks at 0.1, 0.6, 1.1, 1.6 and 0.3, 0.4 → bucket 0 has 4
    expect(peakRates(r)).toEqual({ maxTokens: 4, maxConcurrent: 2 });
  });

  it("builds the vLLM result keys, valid for the shared schema", () => {
    const bench = buildBenchResult(
      {
        date: new Date(2025, 0, 2, 3, 4, 5),
        backend: "openai",
        endpointType: "openai",
        modelId: "m",
        numPrompts: 4,
        requestRate: Number.POSITIVE_INFINITY,
        burstiness: 1,
        maxConcurrency: 2,
        startUnixS: 1,
        endUnixS: 3,
      },
      m,
      records,
      {} as never,
      true,
    ) as Record<string, unknown>;
    expect(VllmBenchResult.safeParse(bench).success).toBe(true);
    expect(bench.date).toBe("20250102-030405");
    expect(bench.request_rate).toBe("inf");
    for (const k of [
      "mean_ttft_ms",
      "median_tpot_ms",
      "std_itl_ms",
      "p90_e2el_ms",
      "p95_ttft_ms",
      "p99_itl_ms",
      "p99.9_tpot_ms",
    ])
      expect(typeof bench[k], k).toBe("number");
    expect(bench.output_lens).toEqual([4, 2, 0, 1]);
    expect(bench.itls).toEqual([[0.005, 0.005, 0.005], [0.01], [], []]);
    expect(vllmDate(new Date(2030, 11, 31, 23, 59, 58))).toBe("20301231-235958");
  });

  it("normalises per GPU; disagg splits output by decode and input by prefill GPUs", () => {
    expect(perGpu(m, { total: 8, prefill: 0, decode: 0 }).totalTokenThroughput).toBeCloseTo(83.5 / 8, 12);
    const d = perGpu(m, { total: 24, prefill: 8, decode: 16 });
    expect(d.outputThroughputPerDecodeGpu).toBeCloseTo(3.5 / 16, 12);
    expect(d.inputThroughputPerPrefillGpu).toBeCloseTo(80 / 8, 12);
  });
});

describe("client saturation", () => {
  it("flags p99 send lag over min(5 ms, 2 % of mean TTFT) but never under 1 ms, and event-loop stalls", () => {
    expect(assessSaturation({ sendLagP99Ms: 0.9, eventLoopDelayP99Ms: 1, meanTtftMs: 10 }).saturated).toBe(false);
    expect(assessSaturation({ sendLagP99Ms: 3, eventLoopDelayP99Ms: 1, meanTtftMs: 100 }).saturated).toBe(true);
    expect(assessSaturation({ sendLagP99Ms: 3, eventLoopDelayP99Ms: 1, meanTtftMs: 1000 }).saturated).toBe(false);
    expect(assessSaturation({ sendLagP99Ms: 6, eventLoopDelayP99Ms: 1, meanTtftMs: 10000 }).saturated).toBe(true);
    const s = assessSaturation({ sendLagP99Ms: 0.1, eventLoopDelayP99Ms: 50, meanTtftMs: 100 });
    expect(s.saturated).toBe(true);
    expect(s.reason).toMatch(/event-loop delay 50.00 ms/);
  });

  it("judges the first wave by its share of the run: a 20 ms ramp in a 2 s run is fine, in a 0.5 s run it is not", () => {
    const base = { sendLagP99Ms: 0.2, eventLoopDelayP99Ms: 1, meanTtftMs: 100 };
    expect(assessSaturation({ ...base, firstWaveMs: 20, durationMs: 2000 }).saturated).toBe(false);
    const s = assessSaturation({ ...base, firstWaveMs: 20, durationMs: 500 });
    expect(s.saturated).toBe(true);
    expect(s.reason).toMatch(/first wave took 20.00 ms to send > 10.00 ms \(2 % of the run's 500 ms\)/);
    // never stricter than the send-lag limit
    expect(assessSaturation({ ...base, firstWaveMs: 1.5, durationMs: 10 }).saturated).toBe(false);
  });
});
