import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AmdSmiMetricParser } from "./amd-smi.js";
import { integrateGpu, summarizeEnergy } from "./energy.js";
import { LineSplitter } from "./line-splitter.js";
import { parseNvidiaSmiStreamLine, parseSmiTimestamp } from "./nvidia-smi-stream.js";
import { TelemetrySampler } from "./sampler.js";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("nvidia-smi stream parser", () => {
  it("parses the stream recorded on a real H100, in local time, 500 ms apart", () => {
    const lines = fx("nvidia-smi-stream-h100-real.csv").split("\n");
    const samples = lines.map((l) => parseNvidiaSmiStreamLine(l, 0)).filter((s) => s !== null);
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      t: new Date(2026, 10, 28, 3, 22, 16, 520).getTime(),
      index: 0,
      powerW: 71.29,
      utilPct: 0,
      memUsedMiB: 0,
      tempC: 31,
      smClockMHz: 345,
    });
    expect(samples[1].t - samples[0].t).toBe(507);
    expect(samples[5].powerW).toBe(71.19);
  });
  it("skips noise, keeps N/A as null, falls back to the receive time", () => {
    expect(parseNvidiaSmiStreamLine("", 5)).toBeNull();
    expect(
      parseNvidiaSmiStreamLine("Unable to determine the device handle for GPU0000:00:06.0: Unknown Error", 5),
    ).toBeNull();
    expect(parseNvidiaSmiStreamLine("garbage, 1, 2, 3, 4, 5, 6", 5)).toMatchObject({ t: 5, index: 1, powerW: 2 });
    expect(parseNvidiaSmiStreamLine("2026/11/28 03:22:16.520, 3, [N/A], 10, 5, 40, 1980", 0)).toMatchObject({
      index: 3,
      powerW: null,
      utilPct: 10,
    });
    expect(parseSmiTimestamp("2026/01/02 03:04:05.6")).toBe(new Date(2026, 0, 2, 3, 4, 5, 600).getTime());
  });
  it("splits chunks at line boundaries only", () => {
    const sp = new LineSplitter();
    expect(sp.push("2026/11/28 03:22:16.520, 0, 71")).toEqual([]);
    expect(sp.push(".29, 0, 0, 31, 345\r\n2026")).toEqual(["2026/11/28 03:22:16.520, 0, 71.29, 0, 0, 31, 345"]);
    expect(sp.flush()).toEqual(["2026"]);
  });
});

describe("amd-smi metric parser", () => {
  it("maps columns by header name, through repeated headers", () => {
    const p = new AmdSmiMetricParser();
    const samples = fx("amd-smi-metric-mi300x.csv")
      .split("\n")
      .map((l) => p.line(l, 1000))
      .filter((s) => s !== null);
    expect(samples).toEqual([
      { t: 1000, index: 0, powerW: 152, utilPct: 0, memUsedMiB: 283, tempC: 41, smClockMHz: 132 },
      { t: 1000, index: 1, powerW: 748, utilPct: 99, memUsedMiB: 180224, tempC: 81, smClockMHz: 2100 },
      { t: 1000, index: 0, powerW: 155, utilPct: 1, memUsedMiB: 283, tempC: 41, smClockMHz: 140 },
    ]);
  });
});

describe("energy (trapezoidal integral)", () => {
  const ramp = [
    { t: 0, w: 100 },
    { t: 1000, w: 200 },
    { t: 2000, w: 200 },
    { t: 3000, w: 100 },
  ];
  it("integrates whole intervals: 150 + 200 + 150 J", () => {
    expect(integrateGpu(ramp, 0, 3000, 2000)).toEqual({ joules: 500, coveredMs: 3000, complete: true });
  });
  it("interpolates at window edges: [500, 2500] → 87.5 + 200 + 87.5 = 375 J", () => {
    const e = integrateGpu(ramp, 500, 2500, 2000);
    expect(e.joules).toBeCloseTo(375, 9);
    expect(e.complete).toBe(true);
  });
  it("a gap larger than the limit makes it incomplete and is not integrated", () => {
    const gappy = [
      { t: 0, w: 100 },
      { t: 1000, w: 100 },
      { t: 5000, w: 100 },
      { t: 6000, w: 100 },
    ];
    const e = integrateGpu(gappy, 0, 6000, 2000);
    expect(e).toEqual({ joules: 200, coveredMs: 2000, complete: false });
  });
  it("summarises several GPUs with joules per token", () => {
    const s = summarizeEnergy({
      telemetry: true,
      samplesByGpu: new Map([
        [0, ramp],
        [1, ramp.map((p) => ({ t: p.t, w: p.w * 2 }))],
      ]),
      gpuIndices: [0, 1],
      t0: 0,
      t1: 3000,
      outputTokens: 300,
      totalTokens: 1500,
    });
    // 500 J + 1000 J over 3 s
    expect(s).toEqual({
      complete: true,
      gpus: 2,
      avgPowerW: 500,
      totalEnergyJ: 1500,
      joulesPerOutputToken: 5,
      joulesPerTotalToken: 1,
    });
  });
  it("says so when there is no telemetry or too little", () => {
    const none = summarizeEnergy({
      telemetry: false,
      samplesByGpu: new Map(),
      gpuIndices: [0],
      t0: 0,
      t1: 1000,
      outputTokens: 1,
      totalTokens: 1,
    });
    expect(none).toMatchObject({ complete: false, totalEnergyJ: null, note: "no GPU telemetry on this node" });
    const missing = summarizeEnergy({
      telemetry: true,
      samplesByGpu: new Map([[0, ramp]]),
      gpuIndices: [0, 1],
      t0: 0,
      t1: 3000,
      outputTokens: 1,
      totalTokens: 1,
    });
    expect(missing.note).toBe("no power samples for GPU 1 in the window");
  });
  it("estimates a partly covered window from the average covered power, flagged incomplete", () => {
    const late = Array.from({ length: 13 }, (_, i) => ({ t: 1000 + i * 250, w: 300 }));
    const s = summarizeEnergy({
      telemetry: true,
      samplesByGpu: new Map([[0, late]]),
      gpuIndices: [0],
      t0: 0,
      t1: 4000,
      outputTokens: 100,
      totalTokens: 400,
      maxGapMs: 500,
    });
    expect(s.complete).toBe(false);
    expect(s.totalEnergyJ).toBeCloseTo(1200, 9);
    expect(s.note).toMatch(/75% of the window/);
  });
});

describe("sampler", () => {
  it("reads a replayed stream from a real child process and integrates its window", async () => {
    const base = Date.now();
    const script = `
      const base = ${base};
      let i = 0;
      const pad = (n, w = 2) => String(n).padStart(w, "0");
      const fmt = (t) => { const d = new Date(t); return d.getFullYear() + "/" + pad(d.getMonth() + 1) + "/" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3); };
      const tick = () => { for (let g = 0; g < 2; g++) process.stdout.write(fmt(base + i * 100) + ", " + g + ", " + (100 + g * 100) + ", 50, 1000, 40, 1980\\n"); i++; if (i > 20) process.exit(0); };
      setInterval(tick, 5);`;
    const sampler = new TelemetrySampler({
      tool: "nvidia-smi",
      intervalMs: 100,
      hostStats: false,
      command: { file: process.execPath, args: ["-e", script] },
    });
    sampler.start();
    const deadline = Date.now() + 5000;
    while (sampler.powerSeries(1).length < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    sampler.stop();
    expect(sampler.powerSeries(0)).toHaveLength(21);
    // constant 100 W and 200 W over 2 s
    const e = sampler.energy([0, 1], base, base + 2000, 100, 200);
    expect(e).toMatchObject({
      complete: true,
      gpus: 2,
      avgPowerW: 300,
      totalEnergyJ: 600,
      joulesPerOutputToken: 6,
      joulesPerTotalToken: 3,
    });
    const snap = await sampler.snapshot();
    expect(snap.gpuTelemetry).toBe(true);
    expect(snap.gpus.map((g) => g.powerW)).toEqual([100, 200]);
  });
  it("reports no GPU telemetry when the tool is missing", async () => {
    const sampler = new TelemetrySampler({
      tool: "nvidia-smi",
      hostStats: false,
      command: { file: "/nonexistent/nvidia-smi", args: [] },
    });
    sampler.start();
    await new Promise((r) => setTimeout(r, 100));
    sampler.stop();
    expect(sampler.gpuTelemetry).toBe(false);
    expect(sampler.unavailable).toMatch(/ENOENT/);
    const snap = await sampler.snapshot();
    expect(snap).toMatchObject({ gpuTelemetry: false, gpus: [] });
    expect(new TelemetrySampler({ tool: "none" }).energy([0], 0, 1000, 1, 1).note).toBe(
      "no GPU telemetry on this node",
    );
  });
});
