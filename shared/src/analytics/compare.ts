/**
 * Comparison of two sets of results (sweep a = baseline, sweep b = candidate): per-point deltas
 * for the same configuration and load point, per-frontier deltas at the interactivities both
 * frontiers cover, a regression flag where b is worse than a beyond the noise, and what changed
 * between the two runs (image, engine version, deployment fingerprint, spec decoding).
 * Points are matched by configuration identity (image excluded, so a new engine image compares
 * with the old one) plus concurrency and ISL/OSL; of repeated rows the latest counts.
 *
 * Noise: a point measured several times (`benchfleet.repeats`) carries the range of its runs; a
 * point's threshold is the wider of the two sides' ranges (relative to their mean), at least
 * MIN_NOISE. A side measured once has no spread: the threshold is then at least `tolerance`
 * (default 5 %), the minimum for single runs.
 *
 * Frontiers the same way: the value of a frontier at an interactivity is read between its two
 * nearest frontier points, so its noise there is the wider range (throughput or TPOT, both move
 * the curve) of those points; the threshold at that interactivity is the wider of the two
 * frontiers' noise, at least MIN_NOISE, or at least `tolerance` where a nearest point of either
 * frontier was measured once.
 */
import type { PointResult } from "../results.js";
import { configIdentity, groupKeyOf, parallelismLabel } from "./grouping.js";
import { valueAt } from "./interpolate.js";
import type { FrontierPoint } from "./pareto.js";
import type { AnalyzedRow } from "./row-frontier.js";
import { groupFrontiers } from "./row-frontier.js";

export interface PointSide {
  rowId: string;
  image: string;
  tputPerGpu: number;
  interactivity: number | null;
  /** runs of the point (1 without repeats) */
  runs: number;
  /** relative range of the runs' throughput, (max − min) ÷ mean; null for a single run */
  tputSpread: number | null;
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
  /** the relative change a delta must exceed to count as a regression */
  threshold: number;
  regression: boolean;
  reasons: string[];
}

/** A field whose values differ between the two sets of results. */
export interface RunChange {
  what: "image" | "engine version" | "deployment fingerprint" | "spec decoding";
  /** values only in a */
  a: string[];
  /** values only in b */
  b: string[];
}

export interface FrontierDeltaAt {
  interactivity: number;
  a: number;
  b: number;
  delta: number;
  /** the relative drop the delta must exceed here to count as a regression */
  threshold: number;
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
  minNoise: number;
  points: PointDelta[];
  onlyInA: number;
  onlyInB: number;
  frontiers: FrontierDelta[];
  regressions: { points: number; frontiers: number };
  changes: RunChange[];
}

/** The least threshold of points measured several times on both sides. */
export const MIN_NOISE = 0.01;

const rangeOf = (s: { min: number; max: number; mean: number } | null | undefined) =>
  s && s.mean !== 0 ? (s.max - s.min) / Math.abs(s.mean) : null;

function threshold(ra: PointResult, rb: PointResult, metric: "tput" | "tpot", tolerance: number): number {
  const spread = (r: PointResult) =>
    rangeOf(metric === "tput" ? r.repeats?.totalTokenThroughput : r.repeats?.medianTpotMs);
  const sa = spread(ra);
  const sb = spread(rb);
  const floor = sa === null || sb === null ? tolerance : MIN_NOISE;
  return Math.max(floor, sa ?? 0, sb ?? 0);
}

/**
 * The measured noise of a frontier at interactivity x: the widest range (throughput or TPOT) of
 * the frontier points around x; null when one of them was measured once (no spread known).
 */
function frontierNoiseAt(points: readonly FrontierPoint<AnalyzedRow>[], x: number): number | null {
  const sorted = [...points].sort((p, q) => p.x - q.x);
  const after = sorted.findIndex((p) => p.x >= x);
  const near =
    after < 0
      ? sorted.slice(-1)
      : sorted[after]!.x === x || after === 0
        ? [sorted[after]!]
        : sorted.slice(after - 1, after + 1);
  let noise = 0;
  for (const p of near) {
    const r = p.item.row.result.repeats;
    if (!r) return null;
    noise = Math.max(noise, rangeOf(r.totalTokenThroughput) ?? 0, rangeOf(r.medianTpotMs) ?? 0);
  }
  return noise;
}

function changesBetween(a: readonly AnalyzedRow[], b: readonly AnalyzedRow[]): RunChange[] {
  const fields: Array<[RunChange["what"], (r: AnalyzedRow) => string]> = [
    ["image", (r) => r.row.config.image],
    ["engine version", (r) => r.row.provenance.engineVersion ?? "(not reported)"],
    ["deployment fingerprint", (r) => r.row.config.fingerprint.slice(0, 12)],
    ["spec decoding", (r) => r.row.config.specDecoding],
  ];
  const out: RunChange[] = [];
  for (const [what, get] of fields) {
    const va = new Set(a.map(get));
    const vb = new Set(b.map(get));
    const onlyA = [...va].filter((v) => !vb.has(v)).sort();
    const onlyB = [...vb].filter((v) => !va.has(v)).sort();
    if (onlyA.length || onlyB.length) out.push({ what, a: onlyA, b: onlyB });
  }
  return out;
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
  runs: r.row.result.repeats?.n ?? 1,
  tputSpread: rangeOf(r.row.result.repeats?.totalTokenThroughput),
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
    const tputNoise = threshold(ra.row.result, rb.row.result, "tput", tolerance);
    const tpotNoise = threshold(ra.row.result, rb.row.result, "tpot", tolerance);
    const beyond = (n: number) => `beyond ${(n * 100).toFixed(1)}% noise`;
    if (tputDelta !== null && tputDelta < -tputNoise)
      reasons.push(`throughput/GPU ${(tputDelta * 100).toFixed(1)}% (${beyond(tputNoise)})`);
    if (interactivityDelta !== null && interactivityDelta < -tpotNoise)
      reasons.push(`interactivity ${(interactivityDelta * 100).toFixed(1)}% (${beyond(tpotNoise)})`);
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
      threshold: tputNoise,
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
      const na = frontierNoiseAt(f1.points, x);
      const nb = frontierNoiseAt(f2.points, x);
      const threshold = Math.max(na === null || nb === null ? tolerance : MIN_NOISE, na ?? 0, nb ?? 0);
      at.push({ interactivity: x, a: va.value, b: vb.value, delta, threshold, regression: delta < -threshold });
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
    minNoise: MIN_NOISE,
    points,
    onlyInA,
    onlyInB,
    frontiers,
    regressions: {
      points: points.filter((p) => p.regression).length,
      frontiers: frontiers.filter((f) => f.regression).length,
    },
    changes: changesBetween(a, b),
  };
}
