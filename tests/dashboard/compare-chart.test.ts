/** Pure logic of the sweep comparison chart: series per sweep (or sweep × group) in the order given, empty sweeps named. */
import { describe, expect, it } from "vitest";
import {
  buildCompareChart,
  type ChartRow,
  sweepLabel,
  Y_METRICS,
} from "../../controller/dashboard/src/lib/frontier-chart.js";

const row = (
  id: number,
  sweepId: string,
  configKey: string,
  inter: number,
  outPerGpu: number,
  status = "ok",
): ChartRow => ({
  id,
  sweepId,
  jobId: "j",
  configKey,
  sku: "h200",
  model: "m",
  framework: "sglang",
  precision: "fp8",
  concurrency: id,
  isl: 1024,
  osl: 1024,
  status,
  gpusTotal: 8,
  tputPerGpu: outPerGpu * 2,
  outputThroughput: outPerGpu * 8,
  interactivity: inter,
  medianTtftMs: 10,
  emulated: false,
  receivedAt: "",
});

describe("sweep comparison chart", () => {
  const zeta = [row(1, "zeta", "k1", 100, 100), row(2, "zeta", "k1", 50, 400), row(3, "zeta", "k2", 40, 300)];
  const alpha = [
    row(4, "alpha", "k1", 125, 150),
    row(5, "alpha", "k1", 60, 500),
    row(6, "alpha", "k1", 10, 1, "failed"),
  ];
  const sweeps = [
    { sweepId: "zeta", label: "last week (zeta)", rows: zeta },
    { sweepId: "alpha", label: "this week (alpha)", rows: alpha },
    { sweepId: "empty", label: "broken (empty)", rows: [row(7, "empty", "k1", 30, 30, "failed")] },
  ];

  it("one series per sweep in the order given (baseline first), each with its own frontier; failed points and empty sweeps left out", () => {
    const c = buildCompareChart(sweeps, "outputTputPerGpu", "none");
    expect(c.groups.map((g) => g.key)).toEqual(["last week (zeta)", "this week (alpha)"]);
    expect(c.groups.map((g) => g.frontier.map((r) => r.id).sort())).toEqual([
      [1, 2],
      [4, 5],
    ]); // (40, 300) is dominated by (50, 400)
    expect(c.groups[1]!.points.map((r) => r.id)).toEqual([4, 5]);
    expect(c.data[0]).toEqual([40, 50, 60, 100, 125]);
    expect(c.data[1]).toEqual([300, 400, null, 100, null]); // zeta: all points (output tok/s/GPU)
    expect(c.data[2]).toEqual([null, 400, null, 100, null]); // zeta: frontier
    expect(c.empty.map((s) => s.sweepId)).toEqual(["empty"]);
    expect(c.sweepOf.get("this week (alpha)")).toBe("alpha");
  });

  it("per sweep × deployment group when grouped; rows of another sweep are never drawn under this one", () => {
    const c = buildCompareChart(
      [{ sweepId: "zeta", label: "zeta", rows: [...zeta, row(9, "alpha", "k1", 1, 1)] }, sweeps[1]!],
      "tputPerGpu",
      "configKey",
    );
    expect(c.groups.map((g) => g.key)).toEqual(["zeta · k1", "zeta · k2", "this week (alpha) · k1"]);
    expect(c.groups[1]!.frontier.map((r) => r.id)).toEqual([3]); // alone in its group, (40, 300) is its frontier
    expect(c.rowAt.some((r) => r.id === 9)).toBe(false);
  });

  it("output throughput per GPU of a disaggregated point counts its decode GPUs only", () => {
    const disagg = {
      ...row(1, "d", "k", 50, 0),
      outputThroughput: 3000,
      gpusTotal: 12,
      result: { gpus: { total: 12, prefill: 4, decode: 8 } },
    };
    expect(Y_METRICS.outputTputPerGpu.get(disagg)).toBe(375);
    expect(Y_METRICS.outputTputPerGpu.get({ ...disagg, result: { gpus: { total: 12, prefill: 0, decode: 0 } } })).toBe(
      250,
    );
  });

  it("labels a sweep by name and id, or by id alone", () => {
    expect(sweepLabel("s1", "nightly")).toBe("nightly (s1)");
    expect(sweepLabel("s1", undefined)).toBe("s1");
  });
});
