/**
 * Retry delay: exponential backoff with jitter (pure; the random source is injected so tests and
 * replays are deterministic). Attempt 1 is the first retry.
 *
 *   raw(n)   = min(maxMs, baseMs * factor^(n-1))
 *   delay(n) = raw(n) * (1 - jitter) + random() * raw(n) * jitter        (rounded to whole ms)
 *
 * jitter = 0 is plain exponential; jitter = 1 is "full jitter" (uniform in [0, raw)). Jitter spreads
 * retries of many jobs that failed together (a rack losing power) so they do not return in lockstep.
 */

export interface BackoffOptions {
  /** delay before the first retry, ms (> 0) */
  baseMs: number;
  /** growth per attempt (>= 1); default 2 */
  factor?: number;
  /** upper bound of the raw delay, ms; default 1 hour */
  maxMs?: number;
  /** fraction of the delay that is random, 0..1; default 0.5 */
  jitter?: number;
}

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

const DEFAULTS = { factor: 2, maxMs: 3_600_000, jitter: 0.5 };

function resolve(opts: BackoffOptions): Required<BackoffOptions> {
  const o = { ...DEFAULTS, ...opts };
  if (!(Number.isFinite(o.baseMs) && o.baseMs > 0))
    throw new RangeError(`backoff: baseMs must be > 0, got ${o.baseMs}`);
  if (!(Number.isFinite(o.factor) && o.factor >= 1))
    throw new RangeError(`backoff: factor must be >= 1, got ${o.factor}`);
  if (!(o.maxMs >= o.baseMs)) throw new RangeError(`backoff: maxMs (${o.maxMs}) must be >= baseMs (${o.baseMs})`);
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError(`backoff: jitter must be within 0..1, got ${o.jitter}`);
  return o;
}

/** Delay in ms before retry number `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: RandomSource): number {
  if (!(Number.isInteger(attempt) && attempt >= 1)) {
    throw new RangeError(`backoff: attempt must be an integer >= 1, got ${attempt}`);
  }
  const o = resolve(opts);
  // cap the exponent so huge attempt numbers do not overflow to Infinity * 0 = NaN
  const raw = Math.min(o.maxMs, o.baseMs * o.factor ** Math.min(attempt - 1, 1024));
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`backoff: random source returned ${r}, expected [0, 1)`);
  return Math.round(raw * (1 - o.jitter) + r * raw * o.jitter);
}

/**
 * As a BullMQ custom backoff strategy (`settings.backoffStrategy`): BullMQ calls it with the attempts
 * made including the one that just failed (1 after the first failure), which is the retry number here.
 */
export function backoffStrategy(
  opts: BackoffOptions,
  random: RandomSource = Math.random,
): (attemptsMade: number) => number {
  resolve(opts);
  return (attemptsMade: number) => backoffDelay(Math.max(1, attemptsMade), opts, random);
}
