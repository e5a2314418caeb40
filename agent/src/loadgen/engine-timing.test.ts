import { describe, expect, it } from "vitest";
import { applyEngineTiming, MissingEngineTimingError } from "./engine-timing.js";
import type { RequestRecord } from "./request-record.js";

function rec(i: number, over: Partial<RequestRecord>): RequestRecord {
  return {
    index: i,
    success: true,
    scheduledNs: 0,
    startNs: 0,
    ttftNs: 1_000,
    itlNs: [5, 5, 5],
    latencyNs: 1_015,
    promptTokens: 8,
    targetPromptTokens: 8,
    outputTokens: 4,
    targetOutputTokens: 4,
    usageReported: true,
    endNs: 2_000,
    queueNs: 0,
    ...over,
  } as RequestRecord;
}

describe("engine timing", () => {
  it("takes TTFT/E2EL from the engine, spreads the gaps evenly and keeps the ITL identity", () => {
    const { records, durationS } = applyEngineTiming(
      [
        rec(0, { engineTiming: { ttftMs: 100, e2elMs: 130, queuedAtMs: 1000 } }),
        rec(1, { engineTiming: { ttftMs: 50, e2elMs: 81, queuedAtMs: 1010 } }),
        rec(2, { success: false, itlNs: [] }),
      ],
      99,
    );
    expect(records[0]!.ttftNs).toBe(100e6);
    expect(records[0]!.latencyNs).toBe(130e6);
    expect(records[0]!.itlNs).toEqual([10e6, 10e6, 10e6]);
    for (const r of records.filter((x) => x.success)) {
      expect(r.latencyNs - r.ttftNs - r.itlNs.reduce((a, b) => a + b, 0)).toBe(0);
    }
    expect(records[1]!.itlNs.reduce((a, b) => a + b, 0)).toBe(31e6);
    expect(records[2]).toMatchObject({ success: false });
    // first queued at 1000 ms, last finished at max(1000 + 130, 1010 + 81) ms
    expect(durationS).toBeCloseTo(0.13);
  });
  it("keeps the wall duration when the engine gave no queue times, on the engine's clock when it gave its time scale", () => {
    expect(applyEngineTiming([rec(0, { engineTiming: { ttftMs: 1, e2elMs: 2 } })], 7).durationS).toBe(7);
    // one request without a queue time: 0.5 wall s at time scale 0.05 = 10 emulated s
    const mixed = [
      rec(0, { engineTiming: { ttftMs: 1, e2elMs: 2, queuedAtMs: 5, timeScale: 0.05 } }),
      rec(1, { engineTiming: { ttftMs: 1, e2elMs: 2, timeScale: 0.05 } }),
    ];
    expect(applyEngineTiming(mixed, 0.5).durationS).toBeCloseTo(10);
  });
  it("refuses records without engine timing", () => {
    expect(() => applyEngineTiming([rec(0, {})], 1)).toThrow(MissingEngineTimingError);
  });
});
