/**
 * A cumulative histogram of durations (ms) with fixed geometric buckets (each 25 % wider than the
 * one before, 0.05 ms to ~100 s): constant memory however long the controller runs. `/api/v1/status`
 * exposes snapshots; a reader takes two and gets quantiles of what happened between them
 * (`quantileBetween`), to within one bucket (±12.5 %).
 */

const FIRST_MS = 0.05;
const GROWTH = 1.25;
const BUCKETS = 66; // upper bound of the last finite bucket ≈ 0.05 × 1.25^65 ≈ 100 s

/** Upper bounds (ms) of the finite buckets; one more bucket holds everything above. */
export const BUCKET_BOUNDS_MS: readonly number[] = Array.from({ length: BUCKETS }, (_, i) => FIRST_MS * GROWTH ** i);

export interface HistogramSnapshot {
  count: number;
  sumMs: number;
  maxMs: number;
  /** counts per bucket: BUCKET_BOUNDS_MS.length finite buckets, then the overflow bucket */
  counts: number[];
}

export class DurationHistogram {
  private readonly counts = new Array<number>(BUCKETS + 1).fill(0);
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;

  observe(ms: number): void {
    const v = Math.max(0, ms);
    let i = v <= FIRST_MS ? 0 : Math.ceil(Math.log(v / FIRST_MS) / Math.log(GROWTH));
    if (i > 0 && BUCKET_BOUNDS_MS[i - 1]! >= v) i--; // float edge: v exactly on a bound
    this.counts[Math.min(i, BUCKETS)]!++;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  snapshot(): HistogramSnapshot {
    return { count: this.count, sumMs: this.sumMs, maxMs: this.maxMs, counts: [...this.counts] };
  }
}

/**
 * The q-quantile (0..1) of the observations made between two snapshots of one histogram, as the
 * upper bound of the bucket it falls in (the overflow bucket answers `Infinity`); undefined when
 * nothing was observed in between.
 */
export function quantileBetween(before: HistogramSnapshot, after: HistogramSnapshot, q: number): number | undefined {
  const n = after.count - before.count;
  if (n <= 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < after.counts.length; i++) {
    seen += (after.counts[i] ?? 0) - (before.counts[i] ?? 0);
    if (seen >= rank) return BUCKET_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

/** An empty snapshot (to read quantiles since the start). */
export function emptySnapshot(): HistogramSnapshot {
  return { count: 0, sumMs: 0, maxMs: 0, counts: new Array<number>(BUCKETS + 1).fill(0) };
}
