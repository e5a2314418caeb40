/**
 * A duration (ms in, seconds out) kept as a prom-client histogram with fixed geometric buckets
 * (each 25 % wider than the one before, 0.05 ms to ~100 s) and a gauge of the largest value seen:
 * constant memory however long the controller runs. `/metrics` serves both; `/api/v1/status`
 * serves `snapshot()`s of the same histogram, and a reader takes two and gets quantiles of what
 * happened between them (`quantileBetween`), to within one bucket (±12.5 %).
 */
import { Gauge, Histogram, type Registry } from "prom-client";

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

export class DurationMetric {
  private readonly histogram: Histogram;
  private readonly max: Gauge;
  private maxMs = 0;

  /** `name` without unit: the histogram is `<name>_seconds`, the largest value `<name>_max_seconds` */
  constructor(name: string, help: string, registry: Registry) {
    this.histogram = new Histogram({
      name: `${name}_seconds`,
      help,
      buckets: BUCKET_BOUNDS_MS.map((ms) => ms / 1000),
      registers: [registry],
    });
    this.max = new Gauge({ name: `${name}_max_seconds`, help: `largest of: ${help}`, registers: [registry] });
  }

  observe(ms: number): void {
    const v = Math.max(0, ms);
    this.histogram.observe(v / 1000);
    if (v > this.maxMs) {
      this.maxMs = v;
      this.max.set(v / 1000);
    }
  }

  async snapshot(): Promise<HistogramSnapshot> {
    const { values } = await this.histogram.get();
    const cumulative: number[] = [];
    let count = 0;
    let sumS = 0;
    for (const v of values) {
      if (v.metricName?.endsWith("_bucket") && v.labels.le !== "+Inf") cumulative.push(v.value);
      else if (v.metricName?.endsWith("_count")) count = v.value;
      else if (v.metricName?.endsWith("_sum")) sumS = v.value;
    }
    const counts = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
    counts.push(count - (cumulative.at(-1) ?? 0));
    return { count, sumMs: sumS * 1000, maxMs: this.maxMs, counts };
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
