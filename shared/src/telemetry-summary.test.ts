import { describe, expect, it } from "vitest";
import { mergeTelemetryPoints, summarizeTelemetry, type TelemetryPoint, telemetryPoint } from "./telemetry-summary.js";

const gpu = (powerW: number | null, utilPct: number | null, memUsedMiB: number | null) => ({
  powerW,
  utilPct,
  memUsedMiB,
});
const pt = (at: number, powerW = at): TelemetryPoint => ({ at, powerW, utilPct: null, memUsedGiB: null });

describe("telemetry summary", () => {
  it("sums power and memory, averages utilisation, skips GPUs without a reading", () => {
    expect(summarizeTelemetry({ gpus: [gpu(300, 50, 1024), gpu(500, 100, 3072), gpu(null, null, null)] })).toEqual({
      powerW: 800,
      utilPct: 75,
      memUsedGiB: 4,
    });
    expect(summarizeTelemetry({ gpus: [] })).toEqual({ powerW: null, utilPct: null, memUsedGiB: null });
    expect(summarizeTelemetry(undefined)).toEqual({ powerW: null, utilPct: null, memUsedGiB: null });
  });

  it("a sample's time comes from its `at`; an unreadable time gives no sample", () => {
    expect(telemetryPoint({ at: "2026-11-28T12:00:00.000Z", gpus: [gpu(100, 10, 1024)] })).toEqual({
      at: Date.parse("2026-11-28T12:00:00.000Z"),
      powerW: 100,
      utilPct: 10,
      memUsedGiB: 1,
    });
    expect(telemetryPoint({ at: "yesterday", gpus: [] })).toBeUndefined();
  });

  it("merging orders by time, keeps one sample per instant (the second run's) and the newest `capacity`", () => {
    const history = [pt(1), pt(2), pt(3)];
    const live = [pt(3, 33), pt(5), pt(4)];
    expect(mergeTelemetryPoints(history, live, 10)).toEqual([pt(1), pt(2), pt(3, 33), pt(4), pt(5)]);
    expect(mergeTelemetryPoints(history, live, 2)).toEqual([pt(4), pt(5)]);
    expect(mergeTelemetryPoints([], [], 5)).toEqual([]);
  });
});
