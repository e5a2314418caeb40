/**
 * The telemetry stream captured on a real H200 under load (docs/real-gpu.md), integrated over the
 * load point's window, against NVML's total-energy counter read over the same window on that machine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { integrateGpu } from "./energy.js";
import { parseNvidiaSmiStreamLine, parseSmiTimestamp } from "./nvidia-smi-stream.js";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

/** NVML counter readings: `time` as nvidia-smi prints it (the same clock as the stream), millijoules */
function nvmlReadings(): Array<{ t: number; mj: number }> {
  return fx("nvml-energy-h200-real.csv")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const [time, , mj] = l.split(",");
      return { t: parseSmiTimestamp(time!)!, mj: Number(mj) };
    });
}

function counterAt(r: Array<{ t: number; mj: number }>, t: number): number {
  const i = r.findIndex((x) => x.t >= t);
  if (i <= 0) throw new Error("window outside the NVML readings");
  const a = r[i - 1]!;
  const b = r[i]!;
  return a.mj + ((b.mj - a.mj) * (t - a.t)) / (b.t - a.t);
}

describe("nvidia-smi stream of a real H200 under load", () => {
  const samples = fx("nvidia-smi-stream-h200-real.csv")
    .split("\n")
    .map((l) => parseNvidiaSmiStreamLine(l, 0))
    .filter((s) => s !== null);

  it("parses every line: GPU 0 at 500 ms, power, utilisation, memory and clocks present", () => {
    expect(samples).toHaveLength(31);
    expect(samples.every((s) => s.index === 0 && s.powerW !== null && s.smClockMHz === 1980)).toBe(true);
    expect(samples[0]).toEqual({
      t: new Date(2026, 11, 4, 13, 47, 28, 639).getTime(),
      index: 0,
      powerW: 181.55,
      utilPct: 30,
      memUsedMiB: 6331,
      tempC: 42,
      smClockMHz: 1980,
    });
  });

  it("its energy over the concurrency-64 window is within 5 % of NVML's counter", () => {
    const t0 = parseSmiTimestamp("2026/12/04 13:47:31.449")!;
    const t1 = parseSmiTimestamp("2026/12/04 13:47:41.099")!;
    const e = integrateGpu(
      samples.map((s) => ({ t: s.t, w: s.powerW! })),
      t0,
      t1,
      2000,
    );
    expect(e.complete).toBe(true);
    const readings = nvmlReadings();
    const nvmlJ = (counterAt(readings, t1) - counterAt(readings, t0)) / 1000;
    expect(nvmlJ).toBeGreaterThan(1000);
    expect(Math.abs(e.joules - nvmlJ) / nvmlJ).toBeLessThan(0.05);
  });
});
