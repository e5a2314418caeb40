/** Pure logic of the dashboard: URL state, log ring, virtual window, table queries, phases, frontier chart data. */
import { describe, expect, it } from "vitest";
import { buildChart, type ChartRow, tableAtTargets } from "../../controller/dashboard/src/lib/frontier-chart.js";
import { LogBuffer } from "../../controller/dashboard/src/lib/log-buffer.js";
import { phaseSegmentsByRank } from "../../controller/dashboard/src/lib/phases.js";
import { countBy, queryRows } from "../../controller/dashboard/src/lib/table-model.js";
import { formatRoute, parseRoute, withParams } from "../../controller/dashboard/src/lib/url-state.js";
import { visibleRange } from "../../controller/dashboard/src/lib/virtual-range.js";

describe("url state", () => {
  it("round-trips views, ids and filters", () => {
    const r = parseRoute("#/sweeps/s1.abc?sku=h100&state=failed&q=");
    expect(r).toEqual({ view: "sweep", id: "s1.abc", params: { sku: "h100", state: "failed" } });
    expect(formatRoute(r)).toBe("#/sweeps/s1.abc?sku=h100&state=failed");
    expect(parseRoute(formatRoute({ view: "job", id: "a b/c", params: { attempt: "x" } }))).toEqual({
      view: "job",
      id: "a b/c",
      params: { attempt: "x" },
    });
    expect(parseRoute("").view).toBe("fleet");
    expect(parseRoute("#/nonsense").view).toBe("fleet");
    expect(withParams(r, { sku: undefined, sort: "sku" }).params).toEqual({ state: "failed", sort: "sku" });
  });
});

describe("log ring", () => {
  it("keeps the newest `capacity` lines in order and counts what fell off", () => {
    const b = new LogBuffer(3);
    const t = (...xs: string[]) => xs.map((text) => ({ at: "2026-12-04T21:00:00.000Z", text }));
    b.push("p", t("a", "b"));
    b.push("q", t("c", "d", "e"));
    expect(b.length).toBe(3);
    expect(b.total).toBe(5);
    expect(b.dropped).toBe(2);
    expect([0, 1, 2].map((i) => b.at(i)!.text)).toEqual(["c", "d", "e"]);
    expect(b.at(0)!.seq).toBe(2);
    expect(b.at(0)!.at).toBe("2026-12-04T21:00:00.000Z");
    expect(b.indicesWhere((l) => l.process === "q" && l.text !== "d")).toEqual([0, 2]);
    b.clear();
    expect(b.length).toBe(0);
    expect(() => new LogBuffer(0)).toThrow(RangeError);
  });
});

describe("virtual window", () => {
  it("renders only rows in view plus overscan, clamped at both ends", () => {
    expect(visibleRange(0, 100, 10, 1000, 5)).toEqual({ start: 0, end: 16, offsetTop: 0, totalHeight: 10_000 });
    const mid = visibleRange(5000, 100, 10, 1000, 5);
    expect(mid.start).toBe(495);
    expect(mid.end).toBe(516);
    const end = visibleRange(1e9, 100, 10, 1000, 5);
    expect(end.end).toBe(1000);
    expect(end.start).toBe(985);
    expect(visibleRange(0, 100, 10, 0).end).toBe(0);
  });
});

describe("table queries", () => {
  const rows = [
    { id: "j10", sku: "h100", status: "failed", n: 10 },
    { id: "j2", sku: "b200", status: "queued", n: 2 },
    { id: "j1", sku: "h100", status: "queued", n: 2 },
  ];
  it("filters, searches and sorts stably with numeric-aware order", () => {
    expect(queryRows(rows, { filters: { sku: "h100" } }).map((r) => r.id)).toEqual(["j10", "j1"]);
    expect(queryRows(rows, { sortKey: "id" }).map((r) => r.id)).toEqual(["j1", "j2", "j10"]);
    expect(queryRows(rows, { sortKey: "n", sortDir: "desc" }).map((r) => r.id)).toEqual(["j10", "j2", "j1"]);
    expect(queryRows(rows, { search: "J1", searchIn: (r) => r.id }).map((r) => r.id)).toEqual(["j10", "j1"]);
    expect(countBy(rows, (r) => r.status)).toEqual({ failed: 1, queued: 2 });
  });
});

describe("phase timeline", () => {
  it("orders phases per rank, running phases measured up to now", () => {
    const at = "2026-01-01T00:00:00.000Z";
    const m = phaseSegmentsByRank(
      {
        "1:launch": { status: "finished", at, durationMs: 50 },
        "0:load": { status: "started", at },
        "0:prepare": { status: "finished", at, durationMs: 5 },
      },
      Date.parse(at) + 1000,
    );
    expect([...m.keys()]).toEqual([0, 1]);
    expect(m.get(0)).toEqual([
      { phase: "prepare", status: "finished", ms: 5 },
      { phase: "load", status: "started", ms: 1000 },
    ]);
    expect(m.get(1)![0]!.ms).toBe(50);
  });
});

describe("frontier chart data", () => {
  const row = (id: number, sku: string, inter: number, tput: number, status = "ok"): ChartRow => ({
    id,
    sweepId: "s",
    jobId: "j",
    configKey: `k-${sku}`,
    sku,
    model: "m",
    framework: "vllm",
    precision: "fp8",
    concurrency: id,
    isl: 1024,
    osl: 1024,
    status,
    gpusTotal: 8,
    tputPerGpu: tput,
    interactivity: inter,
    medianTtftMs: 10,
    emulated: sku === "h200",
    receivedAt: "",
  });
  it("groups points, keeps each group's Pareto frontier, aligns x for uPlot and skips failed points", () => {
    const rows = [
      row(1, "h100", 100, 500),
      row(2, "h100", 50, 900),
      row(3, "h100", 40, 800),
      row(4, "h200", 60, 1200),
      row(5, "h100", 10, 5000, "failed"),
    ];
    const c = buildChart(rows, "tputPerGpu", "sku");
    expect(c.groups.map((g) => g.key)).toEqual(["h100", "h200"]);
    expect(c.groups[0]!.frontier.map((r) => r.id).sort()).toEqual([1, 2]); // (40, 800) is dominated by (50, 900)
    expect(c.data[0]).toEqual([40, 50, 60, 100]);
    expect(c.data[1]).toEqual([800, 900, null, 500]); // h100 scatter
    expect(c.data[2]).toEqual([null, 900, null, 500]); // h100 frontier
    expect(c.data[3]).toEqual([null, null, 1200, null]);
    expect(c.emulated).toBe(true);
    expect(c.rowAt[2]!.sku).toBe("h200");
    const t = tableAtTargets(c.groups, [75, 200]);
    expect(t[0]!.cells[0]!.ok).toBe(true);
    expect(t[0]!.cells[0]!.value!).toBeGreaterThan(500);
    expect(t[0]!.cells[0]!.value!).toBeLessThan(900);
    expect(t[0]!.cells[1]).toMatchObject({ ok: false });
  });
});
