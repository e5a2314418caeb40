/**
 * Request arrival schedule for a finite request rate, as `vllm bench serve` builds it:
 * gaps ~ Gamma(shape = burstiness, scale = 1 / (rate * burstiness)) (burstiness 1 = Poisson),
 * then the cumulative times are rescaled so the last arrival lands exactly at N / rate.
 * With rate = Infinity every request is due at t = 0.
 */
import { Rng } from "@benchfleet/shared";

/** Arrival offsets in seconds from the start of the run, one per request. */
export function arrivalTimes(n: number, rate: number, burstiness: number, seed: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`request count must be a non-negative integer (got ${n})`);
  if (!(rate > 0)) throw new RangeError(`request rate must be > 0 or inf (got ${rate})`);
  if (!(burstiness > 0)) throw new RangeError(`burstiness must be > 0 (got ${burstiness})`);
  const out = new Array<number>(n).fill(0);
  if (rate === Number.POSITIVE_INFINITY || n === 0) return out;
  const rng = new Rng(seed, 0xa11);
  const scale = 1 / (rate * burstiness);
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += rng.gamma(burstiness, scale);
    out[i] = t;
  }
  const target = n / rate;
  const factor = t > 0 ? target / t : 1;
  for (let i = 0; i < n; i++) out[i] *= factor;
  return out;
}
