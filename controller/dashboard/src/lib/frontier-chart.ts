/**
 * Turns result rows into what the results explorer draws: points grouped (by SKU, framework,
 * precision, spec decoding …), each group's Pareto frontier (the shared analytics code), and
 * uPlot's aligned data (one x column with one entry per point; per group a scatter series and a
 * frontier series). Pure.
 */

import { valueAt } from "@benchfleet/shared/analytics/interpolate";
import { paretoFrontier } from "@benchfleet/shared/analytics/pareto";

export interface ChartRow {
  id: number | string;
  sweepId: string;
  jobId: string;
  configKey: string;
  sku: string;
  model: string;
  framework: string;
  precision: string;
  concurrency: number;
  isl: number;
  osl: number;
  status: string;
  gpusTotal: number;
  tputPerGpu: number | null;
  interactivity: number | null;
  medianTtftMs: number | null;
  emulated: boolean;
  receivedAt: string;
  result?: { energy?: { joulesPerTotalToken: number | null } };
  /** optional: from the deployment (spec decoding, parallelism) */
  specDecoding?: string;
  parallelism?: string;
}

export const Y_METRICS = {
  tputPerGpu: { label: "Throughput per GPU (tok/s/GPU)", better: "max" as const, get: (r: ChartRow) => r.tputPerGpu },
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

export function buildChart(rows: readonly ChartRow[], y: YMetric, by: GroupBy): ChartModel {
  const metric = Y_METRICS[y];
  const usable = rows.filter(
    (r) => r.status === "ok" && r.interactivity !== null && metric.get(r) !== null && Number.isFinite(metric.get(r)!),
  );
  const byKey = new Map<string, ChartRow[]>();
  for (const r of usable) {
    const k = groupKeyOf(r, by);
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const groups: ChartGroup[] = [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
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
