/** The results explorer's pure model: scenarios never pooled, filters, series by any dimension combination, axes, default targets. */
import type { ExplorerPoint } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import {
  buildExplorerChart,
  defaultTargets,
  explorerTable,
  listParam,
  pooledDims,
  scenarios,
  selectPoints,
} from "../../controller/dashboard/src/lib/explorer.js";

let n = 0;
function pt(o: Partial<ExplorerPoint> & { interactivity: number; tputPerGpu: number }): ExplorerPoint {
  n++;
  return {
    rowId: `r${n}`,
    sweepId: "s1",
    jobId: `j${n}`,
    date: "2026-01-01T00:00:00Z",
    emulated: true,
    imported: false,
    configKey: "k",
    model: "deepseek-ai/DeepSeek-R1",
    family: "dsr1",
    precision: "fp8",
    isl: 1024,
    osl: 1024,
    sku: "h200",
    framework: "sglang",
    specDecoding: "none",
    spec: false,
    disagg: false,
    parallelism: "TP8",
    gpus: 8,
    nodes: 1,
    concurrency: 4,
    image: "img",
    engineVersion: null,
    e2elMs: 100_000 / o.interactivity,
    ttftMs: 200,
    outputTputPerGpu: o.tputPerGpu / 2,
    costPerMillion: 1000 / o.tputPerGpu,
    joulesPerToken: null,
    engine: null,
    ...o,
  };
}

const curve = (o: Partial<ExplorerPoint>, k = 1) =>
  [
    [100, 100],
    [50, 400],
    [25, 1000],
  ].map(([i, t]) => pt({ ...o, interactivity: i!, tputPerGpu: t! * k }));

const points = [
  ...curve({}),
  ...curve({ precision: "fp4" }, 1.5),
  ...curve({ spec: true, specDecoding: "mtp" }, 1.2),
  ...curve({ family: "gptoss", model: "openai/gpt-oss-120b", precision: "fp4" }, 3),
  ...curve({ osl: 128 }, 2),
];

describe("results explorer model", () => {
  it("lists scenarios (family × ISL/OSL), the largest first, and never pools them", () => {
    const list = scenarios(points);
    expect(list.map((s) => `${s.family} ${s.isl}/${s.osl} ${s.points}`)).toEqual([
      "dsr1 1024/1024 9",
      "dsr1 1024/128 3",
      "gptoss 1024/1024 3",
    ]);
    const r1 = selectPoints(points, list[0]!);
    expect(r1).toHaveLength(9); // fp4 and fp8 together, no gpt-oss, no 1k/128
    expect(new Set(r1.map((p) => p.precision))).toEqual(new Set(["fp4", "fp8"]));
    expect(selectPoints(points, list[0]!, { precisions: ["fp4"] })).toHaveLength(3);
    expect(selectPoints(points, list[0]!, { spec: "on" })).toHaveLength(3);
    expect(selectPoints(points, list[0]!, { spec: "off" })).toHaveLength(6);
    expect(selectPoints(points, list[0]!, { skus: ["b200"] })).toHaveLength(0);
  });

  it("series by any combination of SKU × framework × precision × spec; what a series pools is named", () => {
    const r1 = selectPoints(points, scenarios(points)[0]!);
    const all = buildExplorerChart(r1, "interactivity", "tputPerGpu", ["sku", "framework", "precision", "spec"]);
    expect(all.series.map((s) => s.key)).toEqual([
      "h200 · sglang · fp4 · no-spec",
      "h200 · sglang · fp8 · mtp",
      "h200 · sglang · fp8 · no-spec",
    ]);
    expect(pooledDims(r1, ["sku", "framework", "precision", "spec"])).toEqual([]);
    const bySku = buildExplorerChart(r1, "interactivity", "tputPerGpu", ["sku"]);
    expect(bySku.series.map((s) => s.key)).toEqual(["h200"]);
    expect(pooledDims(r1, ["sku"])).toEqual(["precision", "spec"]);
    expect(buildExplorerChart(r1, "interactivity", "tputPerGpu", []).series.map((s) => s.key)).toEqual(["all"]);
  });

  it("frontiers on every x and y axis honour each axis' direction", () => {
    const dominated = pt({ interactivity: 40, tputPerGpu: 300 }); // below (50, 400)
    const set = [...curve({}), dominated];
    const tput = buildExplorerChart(set, "interactivity", "tputPerGpu", []);
    expect(tput.series[0]!.frontier).toHaveLength(3);
    expect(tput.series[0]!.frontier).not.toContain(dominated);
    expect(tput.data).toHaveLength(3); // x, scatter, frontier
    // cost is lower-better: the same points are on the cost frontier
    const cost = buildExplorerChart(set, "interactivity", "cost", []);
    expect(cost.series[0]!.frontier.map((p) => p.costPerMillion)).toEqual([1, 2.5, 10]); // by interactivity 25, 50, 100
    // e2e latency as x (lower better): the frontier runs from low latency to high
    const e2el = buildExplorerChart(set, "e2el", "tputPerGpu", []);
    expect(e2el.data[0]).toEqual([...e2el.data[0]!].sort((a, b) => a! - b!));
    expect(e2el.series[0]!.frontier.map((p) => p.interactivity)).toEqual([100, 50, 25]);
    // energy unmeasured: nothing to draw rather than a zero
    expect(buildExplorerChart(set, "interactivity", "energy", []).pointAt).toHaveLength(0);
  });

  it("default targets lie inside the range every frontier covers, and the table interpolates there", () => {
    const r1 = selectPoints(points, scenarios(points)[0]!);
    const chart = buildExplorerChart(r1, "interactivity", "tputPerGpu", ["precision", "spec"]);
    const targets = defaultTargets(chart, "interactivity");
    expect(targets.length).toBeGreaterThanOrEqual(3);
    for (const t of targets) expect(t >= 25 && t <= 100).toBe(true);
    const table = explorerTable(chart, "interactivity", "tputPerGpu", targets);
    expect(table.every((r) => r.cells.every((c) => c.ok))).toBe(true);
    expect(table.find((r) => r.key === "fp8 · no-spec")!.cells[0]!.value).toBeGreaterThan(0);
    // disjoint ranges: the widest frontier's range
    const disjoint = buildExplorerChart(
      [
        pt({ interactivity: 10, tputPerGpu: 5 }),
        pt({ interactivity: 20, tputPerGpu: 1 }),
        pt({ interactivity: 200, tputPerGpu: 1, sku: "b200" }),
      ],
      "interactivity",
      "tputPerGpu",
      ["sku"],
    );
    expect(defaultTargets(disjoint, "interactivity").every((t) => t >= 10 && t <= 20)).toBe(true);
    expect(defaultTargets(buildExplorerChart([], "interactivity", "tputPerGpu", []), "interactivity")).toEqual([]);
  });

  it("reads comma lists from the URL, keeping only known values", () => {
    expect(listParam("sku, spec,bogus", ["sku", "framework", "precision", "spec"] as const)).toEqual(["sku", "spec"]);
    expect(listParam(undefined)).toBeUndefined();
    expect(listParam("")).toEqual([]);
  });
});
