/**
 * The whole-system idle cap of the lab's AIPerf scenario (`inferencex-agentx-mvp` locks it at
 * 10 s): once no request of the replay has been in flight for `capNs`, every pending gap timer is
 * advanced by the same amount, so that the earliest fires at once. Recorded gaps stay as they are
 * while anything is in flight; only whole-system idle is cut. A replay counts its sends
 * ({@link started}, {@link finished}) and sleeps its gaps through {@link sleepUntil}.
 */
import { wakeAtNs } from "./precise-wake.js";
import { nowNs } from "./run-context.js";

/** how close to its due time a gap is handed to the precise wake */
const COARSE_MARGIN_MS = 20;

interface Sleeper {
  dueNs: number;
  /** wakes the sleeper to sleep again until its (advanced) due time */
  wake: () => void;
}

export class SystemIdleCap {
  private readonly sleepers = new Set<Sleeper>();
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** how many times the pending timers were advanced, and by how much in all (wall ns) */
  advances = 0;
  advancedNs = 0;

  /** `capNs`: wall ns of whole-system idle after which the timers advance */
  constructor(
    private readonly t0: bigint,
    private readonly capNs: number,
  ) {
    this.armIdle();
  }

  /** a request is sent */
  started(): void {
    this.inFlight++;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** a request finished */
  finished(): void {
    if (--this.inFlight === 0) this.armIdle();
  }

  /** no more advancing (the replay is over) */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
  }

  /** sleeps until `dueNs`, or earlier where the system idled past the cap; the time it was due at in the end */
  async sleepUntil(dueNs: number, signal?: AbortSignal): Promise<number> {
    const s: Sleeper = { dueNs, wake: () => {} };
    this.sleepers.add(s);
    try {
      for (;;) {
        const leftMs = (s.dueNs - nowNs(this.t0)) / 1e6;
        // the last stretch is slept precisely (precise-wake.ts); the rest on a timer an advance clears
        if (leftMs <= COARSE_MARGIN_MS || signal?.aborted) break;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          const timer = setTimeout(done, leftMs - COARSE_MARGIN_MS);
          s.wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      }
      this.sleepers.delete(s);
      await wakeAtNs(this.t0, s.dueNs, signal);
      return s.dueNs;
    } finally {
      this.sleepers.delete(s);
    }
  }

  private armIdle(): void {
    if (this.stopped) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.advance(), this.capNs / 1e6);
  }

  private advance(): void {
    this.idleTimer = undefined;
    if (this.inFlight > 0 || this.stopped) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const s of this.sleepers) earliest = Math.min(earliest, s.dueNs);
    const by = earliest - nowNs(this.t0);
    if (!(by > 0) || !Number.isFinite(by)) {
      // nothing pending yet: look again after another cap of idle
      this.armIdle();
      return;
    }
    this.advances++;
    this.advancedNs += by;
    for (const s of this.sleepers) {
      s.dueNs -= by;
      s.wake();
    }
    // the earliest fires now and sends; until then the system is still idle
    this.armIdle();
  }
}
