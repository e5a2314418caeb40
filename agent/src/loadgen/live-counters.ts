/** What a load point has done so far in its current phase, reported every `intervalMs` to `onProgress`. */
import type { LoadProgress } from "./load-options.js";
import type { RequestRecord } from "./request-record.js";

export class LiveCounters {
  done = 0;
  errors = 0;
  inFlight = 0;
  outTokens = 0;
  /** start of the current phase on the run's clock (ns since t0) */
  phaseStartNs = 0;
  phaseTotal = 0;
  phase: LoadProgress["phase"] = "calibrate";
  /**
   * a phase of fixed duration (trace replay) instead of a number of requests: its total is the
   * requests expected by its end at the pace so far (at least those done)
   */
  phaseDurationS: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nowNs: () => number,
    onProgress: ((p: LoadProgress) => void) | undefined,
    intervalMs = 500,
  ) {
    if (!onProgress) return;
    this.timer = setInterval(() => {
      const el = (this.nowNs() - this.phaseStartNs) / 1e9;
      const d = this.phaseDurationS;
      onProgress({
        done: this.done,
        total:
          d !== undefined && el > 0
            ? Math.max(this.done, Math.round((this.done * d) / Math.min(el, d)))
            : this.phaseTotal,
        inFlight: this.inFlight,
        errors: this.errors,
        elapsedS: el,
        requestsPerS: el > 0 ? this.done / el : 0,
        outputTokensPerS: el > 0 ? this.outTokens / el : 0,
        phase: this.phase,
        ...(d !== undefined ? { timed: true } : {}),
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** a request finished */
  account(r: RequestRecord): void {
    this.done++;
    if (!r.success) this.errors++;
    else this.outTokens += r.outputTokens;
  }

  /** a new phase of `total` requests (the in-flight count carries over) */
  startPhase(phase: LoadProgress["phase"], total: number): void {
    this.phase = phase;
    this.phaseTotal = total;
    this.phaseDurationS = undefined;
  }

  /** a new phase that runs `durationS` (wall) seconds, however many requests that takes */
  startTimedPhase(phase: LoadProgress["phase"], durationS: number): void {
    this.startPhase(phase, 0);
    this.phaseDurationS = durationS;
  }

  /** zero the request counts (before the measured run) */
  resetCounts(): void {
    this.done = 0;
    this.errors = 0;
    this.outTokens = 0;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
