/**
 * Turns result rows into what the frontier charts draw: points grouped (by SKU, framework,
 * precision, spec decoding …, or by sweep when sweeps are compared), each group's Pareto frontier
 * (the shared analytics code), and uPlot's aligned data (one x column with one entry per point;
 * per group a scatter series and a frontier series). Pure.
 */

import type { PointRow } from "@benchfleet/shared/browser";
import { paretoFrontier, valueAt } from "@benchfleet/shared/browser";

/** A stored point result as GET /api/v1/results lists it (the fields the charts read). */
export type ChartRow = Pick<
  PointRow,
  | "sweepId"
  | "jobId"
  | "configKey"
  | "sku"
  | "model"
  | "framework"
  | "precision"
  | "concurrency"
  | "isl"
  | "osl"
  | "status"
  | "gpusTotal"
  | "tputPerGpu"
  | "interactivity"
  | "medianTtftMs"
  | "emulated"
  | "receivedAt"
> & {
  id: number | string;
  outputThroughput?: number | null;
  result?: {
    energy?: { joulesPerTotalToken: number | null };
    gpus?: { total: number; prefill: number; decode: number };
  };
  /** optional: from the deployment (model family, spec decoding, parallelism) */
  modelPrefix?: string;
  specDecoding?: string;
  parallelism?: string;
};

export const Y_METRICS = {
  tputPerGpu: { label: "Throughput per GPU (tok/s/GPU)", better: "max" as const, get: (r: ChartRow) => r.tputPerGpu },
  outputTputPerGpu: {
    label: "Output throughput per GPU (tok/s/GPU)",
    better: "max" as const,
    /** output tok/s ÷ GPUs, disaggregated: ÷ decode GPUs (as the shared per-point metrics) */
    get: (r: ChartRow) => {
      const decode = r.result?.gpus?.decode ?? 0;
      const gpus = decode > 0 ? decode : r.gpusTotal;
      return r.outputThroughput !== null && r.outputThroughput !== undefined && gpus > 0
        ? r.outputThroughput / gpus
        : null;
    },
  },
  energy: {
    label: "Energy per token (J/token)",
    better: "min" as const,
    get: (r: ChartRow) => r.result?.energy?.joulesPerTotalToken ?? null,
  },
  ttft: { label: "TTFT median (ms)", better: "min" as const, get: (r: ChartRow) => r.medianTtftMs },
};
export type YMetric = keyof typeof Y_METRICS;

export const GROUP_BY = ["sku", "framework", "precision", "specDecoding", "model", "configKey"] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface ChartGroup {
  key: string;
  points: ChartRow[];
  frontier: ChartRow[];
  emulated: boolean;
}

export interface ChartModel {
  groups: ChartGroup[];
  /** uPlot aligned data: [x, (scatter, frontier) per group] */
  data: Array<Array<number | null>>;
  /** the row behind each x index */
  rowAt: ChartRow[];
  emulated: boolean;
}

export function groupKeyOf(r: ChartRow, by: GroupBy): string {
  const v = r[by];
  return v === undefined || v === "" ? "(none)" : String(v);
}

/** A point the chart can draw: a successful one with both coordinates. */
export function usableRow(r: ChartRow, y: YMetric): boolean {
  const v = Y_METRICS[y].get(r);
  return r.status === "ok" && r.interactivity !== null && v !== null && Number.isFinite(v);
}

export function buildChart(rows: readonly ChartRow[], y: YMetric, by: GroupBy): ChartModel {
  return buildChartBy(rows, y, (r) => groupKeyOf(r, by));
}

/**
 * The chart model with groups keyed by `keyOf`; groups are ordered by `order` (default: by key).
 * Each group's frontier is the Pareto frontier of interactivity (max) and the y metric.
 */
export function buildChartBy(
  rows: readonly ChartRow[],
  y: YMetric,
  keyOf: (r: ChartRow) => string,
  order: (a: string, b: string) => number = (a, b) => a.localeCompare(b),
): ChartModel {
  const metric = Y_METRICS[y];
  const usable = rows.filter((r) => usableRow(r, y));
  const byKey = new Map<string, ChartRow[]>();
  for (const r of usable) {
    const k = keyOf(r);
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const groups: ChartGroup[] = [...byKey.entries()]
    .sort(([a], [b]) => order(a, b))
    .map(([key, points]) => {
      const frontier = paretoFrontier(
        points,
        { value: (r) => r.interactivity as number, direction: "max" },
        { value: (r) => metric.get(r) as number, direction: metric.better },
      ).map((p) => p.item);
      return { key, points, frontier, emulated: points.some((p) => p.emulated) };
    });
  const rowAt = usable.slice().sort((a, b) => (a.interactivity as number) - (b.interactivity as number));
  const index = new Map(rowAt.map((r, i) => [r, i]));
  const data: Array<Array<number | null>> = [rowAt.map((r) => r.interactivity as number)];
  for (const g of groups) {
    const scatter: Array<number | null> = new Array(rowAt.length).fill(null);
    const line: Array<number | null> = new Array(rowAt.length).fill(null);
    for (const r of g.points) scatter[index.get(r)!] = metric.get(r);
    for (const r of g.frontier) line[index.get(r)!] = metric.get(r);
    data.push(scatter, line);
  }
  return { groups, data, rowAt, emulated: usable.some((r) => r.emulated) };
}

/** One sweep of a comparison: its id, how the legend names it, and its stored point results. */
export interface CompareSweep {
  sweepId: string;
  label: string;
  rows: readonly ChartRow[];
}

export interface CompareChart extends ChartModel {
  /** the group key of each group: its sweep (and its deployment group when grouped) */
  sweepOf: Map<string, string>;
  /** sweeps (in the order given) with no successful point to draw */
  empty: CompareSweep[];
}

/** The comparison's default series: per sweep × SKU × framework × precision × spec decoding. */
export const COMPARE_SERIES: readonly GroupBy[] = ["sku", "framework", "precision", "specDecoding"];

/**
 * Frontiers of several sweeps on one chart: one group per sweep, or per sweep × deployment group
 * when `by` is given; a list of fields keys the group by those of them whose value differs among
 * the drawn points of one sweep (a sweep is never pooled over them). Groups keep the order of the sweeps given (the first is the baseline).
 */
export function buildCompareChart(
  sweeps: readonly CompareSweep[],
  y: YMetric,
  by: GroupBy | "none" | readonly GroupBy[],
): CompareChart {
  const rank = new Map(sweeps.map((s, i) => [s.sweepId, i]));
  const label = new Map(sweeps.map((s) => [s.sweepId, s.label]));
  const sweepOf = new Map<string, string>();
  const rows = sweeps.flatMap((s) => s.rows.filter((r) => r.sweepId === s.sweepId));
  const usable = rows.filter((r) => usableRow(r, y));
  const fields =
    by === "none"
      ? []
      : typeof by === "string"
        ? [by]
        : by.filter((f) =>
            sweeps.some(
              (s) => new Set(usable.filter((r) => r.sweepId === s.sweepId).map((r) => groupKeyOf(r, f))).size > 1,
            ),
          );
  const keyOf = (r: ChartRow) => {
    const k = [label.get(r.sweepId) ?? r.sweepId, ...fields.map((f) => groupKeyOf(r, f))].join(" · ");
    sweepOf.set(k, r.sweepId);
    return k;
  };
  const chart = buildChartBy(
    rows,
    y,
    keyOf,
    (a, b) => (rank.get(sweepOf.get(a)!) ?? 0) - (rank.get(sweepOf.get(b)!) ?? 0) || a.localeCompare(b),
  );
  const drawn = new Set(chart.rowAt.map((r) => r.sweepId));
  return { ...chart, sweepOf, empty: sweeps.filter((s) => !drawn.has(s.sweepId)) };
}

/** How the legend names a sweep: its name and id when the controller knows it, else its id. */
export function sweepLabel(sweepId: string, name: string | undefined): string {
  return name && name !== sweepId ? `${name} (${sweepId})` : sweepId;
}

/** Throughput per GPU at target interactivities along each group's throughput frontier. */
export function tableAtTargets(
  groups: readonly ChartGroup[],
  targets: readonly number[],
): Array<{ key: string; emulated: boolean; cells: Array<{ ok: boolean; value?: number; message?: string }> }> {
  return groups.map((g) => {
    const curve = g.frontier
      .map((r) => ({ x: r.interactivity as number, y: r.tputPerGpu as number }))
      .filter((p) => Number.isFinite(p.y));
    return {
      key: g.key,
      emulated: g.emulated,
      cells: targets.map((t) => {
        const v = valueAt(curve, t);
        return v.ok ? { ok: true, value: v.value } : { ok: false, message: v.message };
      }),
    };
  });
}

export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#d97706",
  "#7c3aed",
  "#0891b2",
  "#db2777",
  "#65a30d",
  "#475569",
  "#ea580c",
];
