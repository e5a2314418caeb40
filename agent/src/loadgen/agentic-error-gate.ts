/**
 * The live error gate of trace replay, as the lab's AIPerf fork applies `--failed-request-threshold`
 * while profiling: over every measured turn of the point (all threads together), once at least
 * `max(concurrency, 10)` have finished, the run stops the first time failed / finished exceeds the
 * threshold (a ratio equal to it passes). Warm-up turns are not counted. Decided once: after it
 * trips it never reports again.
 *
 * One thread replaying the point counts into a {@link LiveErrorGate} of its own
 * ({@link localGate}); threads of a sharded point send their counts to the parent thread, which holds
 * the one gate and tells every thread to stop (worker-shards.ts, load-worker.ts).
 */

/** the least finished turns the lab's gate waits for */
const GRACE_FLOOR = 10;

export class LiveErrorGate {
  private done = 0;
  private failed = 0;
  private tripped = false;

  constructor(
    readonly threshold: number,
    readonly concurrency: number,
  ) {}

  /** finished turns before the gate judges */
  get floor(): number {
    return Math.max(this.concurrency, GRACE_FLOOR);
  }

  /** adds finished turns; the reason the first time the ratio exceeds the threshold, else undefined */
  add(done: number, failed: number): string | undefined {
    this.done += done;
    this.failed += failed;
    if (this.tripped || this.done < this.floor || this.failed / this.done <= this.threshold) return undefined;
    this.tripped = true;
    return `live error ratio ${this.failed}/${this.done} exceeded ${(this.threshold * 100).toFixed(0)} %`;
  }
}

/** how a replay reports its finished turns and learns that the point's gate tripped */
export interface ReplayGate {
  /** counts one finished measured turn */
  count(failed: boolean): void;
  /** `stop` is called with the reason once the gate trips */
  onTrip(stop: (reason: string) => void): void;
}

/** a gate decided on this thread */
export function localGate(gate: LiveErrorGate): ReplayGate {
  let stop: ((reason: string) => void) | undefined;
  return {
    count: (failed) => {
      const reason = gate.add(1, failed ? 1 : 0);
      if (reason) stop?.(reason);
    },
    onTrip: (f) => {
      stop = f;
    },
  };
}
