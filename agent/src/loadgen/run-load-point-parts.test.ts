/** The pure parts of a load point (run-load-point.ts): resolved settings, send lags, the failure verdict. */
import { describe, expect, it } from "vitest";
import { resolveLoadSettings } from "./load-settings.js";
import { computeMetrics } from "./metrics.js";
import { failureVerdict, sendLags } from "./point-result.js";
import type { RequestRecord } from "./request-record.js";

const base = { baseUrl: "http://127.0.0.1:8000/prefix/", model: "m", isl: 128, osl: 32, concurrency: 4 };

function rec(index: number, more: Partial<RequestRecord> = {}): RequestRecord {
  return {
    index,
    success: true,
    scheduledNs: 0,
    startNs: 0,
    ttftNs: 10e6,
    itlNs: [5e6, 5e6],
    latencyNs: 20e6,
    promptTokens: 128,
    targetPromptTokens: 128,
    outputTokens: 3,
    targetOutputTokens: 3,
    usageReported: true,
    endNs: 20e6,
    ...more,
  } as RequestRecord;
}

describe("resolveLoadSettings", () => {
  it("fills in the defaults and splits the base URL", () => {
    const s = resolveLoadSettings(base);
    expect(s).toMatchObject({
      endpoint: "/v1/completions",
      chat: false,
      numPrompts: 40,
      warmups: 8,
      rate: Number.POSITIVE_INFINITY,
      seed: 0,
      ratio: 0.8,
      format: "ids",
      threads: 1,
      maxFail: 0.05,
      origin: "http://127.0.0.1:8000",
      prefix: "/prefix",
      path: "/prefix/v1/completions",
      backend: "openai",
    });
  });

  it("chat and multi-turn take text prompts; chat's backend is openai-chat", () => {
    expect(resolveLoadSettings({ ...base, endpoint: "/v1/chat/completions" })).toMatchObject({
      format: "text",
      backend: "openai-chat",
    });
    expect(resolveLoadSettings({ ...base, multiTurn: { turns: 2, thinkTimeMs: 0 } }).format).toBe("text");
  });

  it("refuses impossible combinations, naming the option", () => {
    expect(() => resolveLoadSettings({ ...base, concurrency: 0 })).toThrow(/concurrency must be a positive integer/);
    expect(() => resolveLoadSettings({ ...base, numPrompts: 0 })).toThrow(/num prompts must be a positive integer/);
    expect(() => resolveLoadSettings({ ...base, warmups: -1 })).toThrow(/warmups must be a non-negative integer/);
    expect(() => resolveLoadSettings({ ...base, endpoint: "/v1/chat/completions", promptFormat: "ids" })).toThrow(
      /token-id prompts need \/v1\/completions/,
    );
    expect(() => resolveLoadSettings({ ...base, workers: 5 })).toThrow(/workers \(5\) must not exceed the concurrency/);
    expect(() => resolveLoadSettings({ ...base, workers: 2, multiTurn: { turns: 2, thinkTimeMs: 0 } })).toThrow(
      /multi-turn conversations run on one thread/,
    );
    // inside a worker thread the shard decides: always one loop
    expect(resolveLoadSettings({ ...base, workers: 4, shard: { index: 0, count: 4 } }).threads).toBe(1);
  });
});

describe("sendLags", () => {
  it("separates the first wave (sent at once by design) from the steady state", () => {
    const records = [
      rec(0, { firstWave: true, scheduledNs: 0, startNs: 3e6 }),
      rec(1, { firstWave: true, scheduledNs: 0, startNs: 1e6 }),
      rec(2, { scheduledNs: 10e6, startNs: 10.5e6 }),
      rec(3, { scheduledNs: 20e6, startNs: 19e6 }),
    ];
    const l = sendLags(records, 0.7);
    expect(l.lagsMs).toEqual([3, 1, 0.5, 0]);
    expect(l.firstWaveMs).toBe(3);
    expect(l.sendLagSteadyP99Ms).toBeCloseTo(0.5, 1);
    expect(l.eventLoopDelayP99Ms).toBe(0.7);
  });
});

describe("failureVerdict", () => {
  const metricsOf = (records: RequestRecord[]) => computeMetrics(records, 1, [50, 99]);

  it("ok while failures stay within the limit", () => {
    const records = [...Array.from({ length: 19 }, (_, i) => rec(i)), rec(19, { success: false, failure: "timeout" })];
    expect(failureVerdict(metricsOf(records), records, 0.05)).toEqual({ status: "ok" });
  });

  it("failed above the limit, naming the reasons by count and the first error", () => {
    const records = [
      rec(0),
      rec(1, { success: false, failure: "http_503", error: "HTTP 503: busy" }),
      rec(2, { success: false, failure: "http_503", error: "HTTP 503: busy" }),
      rec(3, { success: false, failure: "timeout", error: "timed out" }),
    ];
    expect(failureVerdict(metricsOf(records), records, 0.05)).toEqual({
      status: "failed",
      failureReason: "3 of 4 requests failed (75.0 % > 5 %): http_503×2, timeout×1; first error: HTTP 503: busy",
    });
  });

  it("failed when nothing completed", () => {
    expect(failureVerdict(metricsOf([]), [], 0.05).status).toBe("failed");
  });
});
