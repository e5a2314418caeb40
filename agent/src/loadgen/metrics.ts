/**
 * Metric math of `vllm bench serve` (`calculate_metrics`), pure:
 *  - TTFT, E2EL per successful request; TPOT per request = (e2el - ttft) / (out - 1) when out > 1,
 *    averaged over requests; ITL = every chunk gap of every request, pooled.
 *  - mean, median, std (population, numpy's default) and percentiles with numpy's linear
 *    interpolation; an empty list gives 0 (numpy's `x or 0`).
 *  - throughputs over the run duration; total input/output tokens over successful requests.
 *  - max_output_tokens_per_s / max_concurrent_requests from 1-second buckets of the token-chunk
 *    timeline (vLLM counts chunks there, not tokens; so do we).
 *  - interactivity = 1000 / TPOT(ms) per request (tok/s/user), reported as percentiles of the
 *    per-request values (mean(1/x) != 1/mean(x)).
 */
import type { RequestRecord } from "./request-record.js";

export const DEFAULT_PERCENTILES = [90, 95, 99, 99.9] as const;

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** population standard deviation (numpy `np.std`, ddof = 0) */
export function std(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}

/** numpy `np.percentile(xs, p)` (linear interpolation) on an ascending-sorted array */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100] (got ${p})`);
  const idx = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  if (lo === hi) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (idx - lo);
}

export function percentile(xs: readonly number[], p: number): number {
  return percentileSorted(Float64Array.from(xs).sort(), p);
}

/** `p99`, `p99.9`, `p90` as vLLM names them (`str(p)` of the float, integer without `.0`) */
export function percentileLabel(p: number): string {
  return `p${String(p)}`;
}

export interface Summary {
  mean: number;
  median: number;
  std: number;
  percentiles: Array<[number, number]>;
}

export function summarize(xs: readonly number[], percentiles: readonly number[] = DEFAULT_PERCENTILES): Summary {
  const sorted = Float64Array.from(xs).sort();
  return {
    mean: mean(xs),
    median: percentileSorted(sorted, 50),
    std: std(xs),
    percentiles: percentiles.map((p) => [p, percentileSorted(sorted, p)] as [number, number]),
  };
}

export interface PointMetrics {
  completed: number;
  failed: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  durationS: number;
  requestThroughput: number;
  outputThroughput: number;
  totalTokenThroughput: number;
  inputThroughput: number;
  maxOutputTokensPerS: number;
  maxConcurrentRequests: number;
  /** all in milliseconds */
  ttftMs: Summary;
  tpotMs: Summary;
  itlMs: Summary;
  e2elMs: Summary;
  /** per-request 1000 / TPOT(ms), tokens/s/user */
  interactivity: Summary;
  /** failure counts by reason */
  failures: Record<string, number>;
}

const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;

export function computeMetrics(
  records: readonly RequestRecord[],
  durationS: number,
  percentiles: readonly number[] = DEFAULT_PERCENTILES,
): PointMetrics {
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const itls: number[] = [];
  const e2els: number[] = [];
  const interactivity: number[] = [];
  const failures: Record<string, number> = {};
  let completed = 0;
  let totalIn = 0;
  let totalOut = 0;
  for (const r of records) {
    if (!r.success) {
      const k = r.failure ?? "unknown";
      failures[k] = (failures[k] ?? 0) + 1;
      continue;
    }
    completed++;
    totalIn += r.promptTokens;
    totalOut += r.outputTokens;
    ttfts.push(r.ttftNs / NS_PER_MS);
    e2els.push(r.latencyNs / NS_PER_MS);
    for (const g of r.itlNs) itls.push(g / NS_PER_MS);
    if (r.outputTokens > 1) {
      const tpotMs = (r.latencyNs - r.ttftNs) / (r.outputTokens - 1) / NS_PER_MS;
      tpots.push(tpotMs);
      if (tpotMs > 0) interactivity.push(1000 / tpotMs);
    }
  }
  const { maxTokens, maxConcurrent } = peakRates(records);
  const dur = durationS > 0 ? durationS : Number.NaN;
  const rate = (x: number) => (Number.isNaN(dur) ? 0 : x / dur);
  return {
    completed,
    failed: records.length - completed,
    totalInputTokens: totalIn,
    totalOutputTokens: totalOut,
    durationS,
    requestThroughput: rate(completed),
    outputThroughput: rate(totalOut),
    totalTokenThroughput: rate(totalIn + totalOut),
    inputThroughput: rate(totalIn),
    maxOutputTokensPerS: maxTokens,
    maxConcurrentRequests: maxConcurrent,
    ttftMs: summarize(ttfts, percentiles),
    tpotMs: summarize(tpots, percentiles),
    itlMs: summarize(itls, percentiles),
    e2elMs: summarize(e2els, percentiles),
    interactivity: summarize(interactivity, percentiles),
    failures,
  };
}

/** vLLM's 1-second buckets of token-chunk times and of active requests, over successful requests */
export function peakRates(records: readonly RequestRecord[]): { maxTokens: number; maxConcurrent: number } {
  const ok = records.filter((r) => r.success);
  if (ok.length === 0) return { maxTokens: 0, maxConcurrent: 0 };
  let minStart = Number.POSITIVE_INFINITY;
  let maxEnd = Number.NEGATIVE_INFINITY;
  for (const r of ok) {
    minStart = Math.min(minStart, r.startNs);
    maxEnd = Math.max(maxEnd, r.startNs + r.latencyNs);
  }
  const buckets = Math.ceil((maxEnd - minStart) / NS_PER_S) + 1;
  const tokens = new Float64Array(buckets);
  const active = new Float64Array(buckets);
  for (const r of ok) {
    let t = r.startNs + r.ttftNs;
    const add = (time: number) => {
      const b = Math.floor((time - minStart) / NS_PER_S);
      if (b >= 0 && b < buckets) tokens[b] += 1;
    };
    add(t);
    for (const g of r.itlNs) {
      t += g;
      add(t);
    }
    const s = Math.floor((r.startNs - minStart) / NS_PER_S);
    const e = Math.floor((r.startNs + r.latencyNs - minStart) / NS_PER_S);
    for (let b = s; b <= e && b < buckets; b++) active[b] += 1;
  }
  let maxTokens = 0;
  let maxConcurrent = 0;
  for (let i = 0; i < buckets; i++) {
    if (tokens[i] > maxTokens) maxTokens = tokens[i];
    if (active[i] > maxConcurrent) maxConcurrent = active[i];
  }
  return { maxTokens, maxConcurrent };
}
