/**
 * A load point run several times (`benchfleet.repeats`): which run stands for the point (the one
 * with the median total throughput, so its latencies and energy belong to one real run) and the
 * spread of the key metrics over all runs, which compare uses as the point's measured noise. Pure.
 */
import { z } from "zod";

const num = z.number();

export const MetricSpread = z.object({ min: num, max: num, mean: num, stdev: num }).strict();
export type MetricSpread = z.infer<typeof MetricSpread>;

export const PointRepeats = z
  .object({
    /** runs of the point, the stored one included */
    n: z.number().int().min(2),
    totalTokenThroughput: MetricSpread,
    outputThroughput: MetricSpread,
    medianTpotMs: MetricSpread.nullable(),
    medianTtftMs: MetricSpread.nullable(),
  })
  .strict();
export type PointRepeats = z.infer<typeof PointRepeats>;

/** min, max, mean and (sample) standard deviation; null when a value is missing. */
export function spreadOf(values: ReadonlyArray<number | null | undefined>): MetricSpread | null {
  if (values.length === 0 || values.some((v) => typeof v !== "number" || !Number.isFinite(v))) return null;
  const vs = values as number[];
  const mean = vs.reduce((s, v) => s + v, 0) / vs.length;
  const variance = vs.length > 1 ? vs.reduce((s, v) => s + (v - mean) ** 2, 0) / (vs.length - 1) : 0;
  return { min: Math.min(...vs), max: Math.max(...vs), mean, stdev: Math.sqrt(variance) };
}

/** (max − min) ÷ mean: the relative width of the runs' range; 0 for a zero mean. */
export function relativeRange(s: MetricSpread): number {
  return s.mean !== 0 ? (s.max - s.min) / Math.abs(s.mean) : 0;
}

interface RunFigures {
  bench: {
    total_token_throughput: number;
    output_throughput: number;
    median_tpot_ms?: number | null;
    median_ttft_ms?: number | null;
  };
}

/**
 * The run that stands for the point (median total throughput; the lower middle of an even count)
 * and the spread over all runs. One run: that run, no spread.
 */
export function combineRepeats<R extends RunFigures>(runs: readonly R[]): { run: R; repeats?: PointRepeats } {
  if (runs.length === 0) throw new RangeError("combineRepeats needs at least one run");
  const sorted = runs.slice().sort((a, b) => a.bench.total_token_throughput - b.bench.total_token_throughput);
  const run = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (runs.length === 1) return { run };
  const b = runs.map((r) => r.bench);
  return {
    run,
    repeats: {
      n: runs.length,
      totalTokenThroughput: spreadOf(b.map((x) => x.total_token_throughput))!,
      outputThroughput: spreadOf(b.map((x) => x.output_throughput))!,
      medianTpotMs: spreadOf(b.map((x) => x.median_tpot_ms)),
      medianTtftMs: spreadOf(b.map((x) => x.median_ttft_ms)),
    },
  };
}
