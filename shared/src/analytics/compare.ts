/**
 * Comparison of two sets of results (sweep a = baseline, sweep b = candidate): per-point deltas
 * for the same configuration and load point, per-frontier deltas at the interactivities both
 * frontiers cover, and a regression flag where b is worse than a by more than the tolerance.
 * Points are matched by configuration identity (image excluded, so a new engine image compares
 * with the old one) plus concurrency and ISL/OSL; of repeated rows the latest counts.
 */
import { configIdentity, groupKeyOf, parallelismLabel } from "./grouping.js";
import { valueAt } from "./interpolate.js";
import type { AnalyzedRow } from "./row-frontier.js";
import { groupFrontiers } from "./row-frontier.js";

export interface PointSide {
  rowId: string;
  image: string;
  tputPerGpu: number;
  interactivity: number | null;
}

export interface PointDelta {
  group: string;
  parallelism: string;
  concurrency: number;
  isl: number;
  osl: number;
  a: PointSide;
  b: PointSide;
  /** (b − a) ÷ a */
  tputDelta: number | null;
  interactivityDelta: number | null;
  regression: boolean;
  reasons: string[];
}

export interface FrontierDeltaAt {
  interactivity: number;
  a: number;
  b: number;
  delta: number;
  regression: boolean;
}

export interface FrontierDelta {
  group: string;
  at: FrontierDeltaAt[];
  regression: boolean;
  /** why nothing could be compared */
  message?: string;
}

export interface Comparison {
  tolerance: number;
  points: PointDelta[];
  onlyInA: number;
  onlyInB: number;
  frontiers: FrontierDelta[];
  regressions: { points: number; frontiers: number };
}

const rel = (a: number | null, b: number | null) => (a !== null && b !== null && a !== 0 ? (b - a) / a : null);

function latestByPoint(rows: readonly AnalyzedRow[]): Map<string, AnalyzedRow> {
  const m = new Map<string, AnalyzedRow>();
  for (const r of rows) {
    const p = r.row.result.point;
    const k = JSON.stringify([configIdentity(r.row.config), p.concurrency, p.isl, p.osl]);
    const prev = m.get(k);
    if (!prev || prev.row.date < r.row.date) m.set(k, r);
  }
  return m;
}

const side = (r: AnalyzedRow): PointSide => ({
  rowId: r.row.id,
  image: r.row.config.image,
  tputPerGpu: r.metrics.tputPerGpu,
  interactivity: r.metrics.interactivity,
});

export function compareResults(a: readonly AnalyzedRow[], b: readonly AnalyzedRow[], tolerance = 0.05): Comparison {
  if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`tolerance must be in [0, 1), got ${tolerance}`);
  const ma = latestByPoint(a);
  const mb = latestByPoint(b);
  const points: PointDelta[] = [];
  for (const [k, ra] of ma) {
    const rb = mb.get(k);
    if (!rb) continue;
    const tputDelta = rel(ra.metrics.tputPerGpu, rb.metrics.tputPerGpu);
    const interactivityDelta = rel(ra.metrics.interactivity, rb.metrics.interactivity);
    const reasons: string[] = [];
    if (tputDelta !== null && tputDelta < -tolerance) reasons.push(`throughput/GPU ${(tputDelta * 100).toFixed(1)}%`);
    if (interactivityDelta !== null && interactivityDelta < -tolerance)
      reasons.push(`interactivity ${(interactivityDelta * 100).toFixed(1)}%`);
    const p = ra.row.result.point;
    points.push({
      group: groupKeyOf(ra.row.config),
      parallelism: parallelismLabel(ra.row.config),
      concurrency: p.concurrency,
      isl: p.isl,
      osl: p.osl,
      a: side(ra),
      b: side(rb),
      tputDelta,
      interactivityDelta,
      regression: reasons.length > 0,
      reasons,
    });
  }
  points.sort(
    (x, y) =>
      x.group.localeCompare(y.group) || x.parallelism.localeCompare(y.parallelism) || x.concurrency - y.concurrency,
  );
  const onlyInA = [...ma.keys()].filter((k) => !mb.has(k)).length;
  const onlyInB = [...mb.keys()].filter((k) => !ma.has(k)).length;

  const fa = new Map(groupFrontiers(a).map((f) => [f.key, f]));
  const fb = new Map(groupFrontiers(b).map((f) => [f.key, f]));
  const frontiers: FrontierDelta[] = [];
  for (const [key, f1] of fa) {
    const f2 = fb.get(key);
    if (!f2) continue;
    const c1 = f1.points.map((p) => ({ x: p.x, y: p.y }));
    const c2 = f2.points.map((p) => ({ x: p.x, y: p.y }));
    const lo = Math.max(c1[0]?.x ?? Infinity, c2[0]?.x ?? Infinity);
    const hi = Math.min(c1[c1.length - 1]?.x ?? -Infinity, c2[c2.length - 1]?.x ?? -Infinity);
    const xs = [...new Set([...c1, ...c2].map((p) => p.x).filter((x) => x >= lo && x <= hi))].sort((p, q) => p - q);
    const at: FrontierDeltaAt[] = [];
    for (const x of xs) {
      const va = valueAt(c1, x);
      const vb = valueAt(c2, x);
      if (!va.ok || !vb.ok || va.value === 0) continue;
      const delta = (vb.value - va.value) / va.value;
      at.push({ interactivity: x, a: va.value, b: vb.value, delta, regression: delta < -tolerance });
    }
    frontiers.push({
      group: key,
      at,
      regression: at.some((d) => d.regression),
      ...(at.length === 0 ? { message: "the two frontiers cover no common interactivity range" } : {}),
    });
  }
  return {
    tolerance,
    points,
    onlyInA,
    onlyInB,
    frontiers,
    regressions: {
      points: points.filter((p) => p.regression).length,
      frontiers: frontiers.filter((f) => f.regression).length,
    },
  };
}
