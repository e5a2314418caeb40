/**
 * Frontiers and interpolated tables over result rows: metrics per row (with the SKU's rates),
 * one frontier per group on any pair of named axes, and throughput/cost at target interactivities.
 * Failed points never enter a frontier.
 */
import { type AxisName, METRIC_AXES } from "./axes.js";
import { type GroupKey, groupKeyString, groupOf } from "./grouping.js";
import { type AtInteractivity, atInteractivity } from "./interpolate.js";
import { type FrontierPoint, paretoFrontier } from "./pareto.js";
import { type PointMetrics, pointMetrics, type RatesCatalog } from "./per-point.js";
import type { ResultRow } from "./result-row.js";

export interface AnalyzedRow {
  row: ResultRow;
  metrics: PointMetrics;
}

export function analyzeRow(row: ResultRow, catalog: RatesCatalog): AnalyzedRow {
  const sku = catalog[row.config.sku];
  if (!sku) throw new RangeError(`SKU "${row.config.sku}" of row ${row.id} is not in the SKU catalog`);
  return { row, metrics: pointMetrics(row.result, row.config.disagg, sku) };
}

/** Metrics of every successful row. */
export function analyzeRows(rows: readonly ResultRow[], catalog: RatesCatalog): AnalyzedRow[] {
  return rows.filter((r) => r.result.status === "ok").map((r) => analyzeRow(r, catalog));
}

export interface GroupFrontier {
  key: string;
  group: GroupKey;
  x: AxisName;
  y: AxisName;
  points: FrontierPoint<AnalyzedRow>[];
  /** successful points the group had (frontier or not) */
  measured: number;
}

export interface FrontierOptions {
  x?: AxisName;
  y?: AxisName;
}

/** One frontier per group, default interactivity ↑ vs throughput per GPU ↑. Groups sorted by key. */
export function groupFrontiers(analyzed: readonly AnalyzedRow[], opts: FrontierOptions = {}): GroupFrontier[] {
  const x = opts.x ?? "interactivity";
  const y = opts.y ?? "tputPerGpu";
  const ax = METRIC_AXES[x];
  const ay = METRIC_AXES[y];
  const groups = new Map<string, { group: GroupKey; rows: AnalyzedRow[] }>();
  for (const a of analyzed) {
    const group = groupOf(a.row.config);
    const key = groupKeyString(group);
    const g = groups.get(key);
    if (g) g.rows.push(a);
    else groups.set(key, { group, rows: [a] });
  }
  const out: GroupFrontier[] = [];
  for (const [key, g] of groups) {
    const points = paretoFrontier(
      g.rows,
      { value: (r) => ax.get(r.metrics), direction: ax.better === "higher" ? "max" : "min" },
      { value: (r) => ay.get(r.metrics), direction: ay.better === "higher" ? "max" : "min" },
    );
    out.push({ key, group: g.group, x, y, points, measured: g.rows.length });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export interface AtRow {
  key: string;
  group: GroupKey;
  at: AtInteractivity[];
}

/**
 * Throughput per GPU and cost at each target interactivity, for each group's default frontier
 * (interactivity ↑ vs throughput per GPU ↑).
 */
export function tableAt(analyzed: readonly AnalyzedRow[], targets: readonly number[], catalog: RatesCatalog): AtRow[] {
  return groupFrontiers(analyzed).map((f) => {
    const sku = catalog[f.group.sku as keyof RatesCatalog];
    if (!sku) throw new RangeError(`SKU "${f.group.sku}" is not in the SKU catalog`);
    const curve = f.points.map((p) => ({ x: p.x, y: p.y }));
    return { key: f.key, group: f.group, at: targets.map((t) => atInteractivity(curve, t, sku.tco)) };
  });
}
