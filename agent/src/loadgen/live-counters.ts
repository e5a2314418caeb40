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
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nowNs: () => number,
    onProgress: ((p: LoadProgress) => void) | undefined,
    intervalMs = 500,
  ) {
    if (!onProgress) return;
    this.timer = setInterval(() => {
      const el = (this.nowNs() - this.phaseStartNs) / 1e9;
      onProgress({
        done: this.done,
        total: this.phaseTotal,
        inFlight: this.inFlight,
        errors: this.errors,
        elapsedS: el,
        requestsPerS: el > 0 ? this.done / el : 0,
        outputTokensPerS: el > 0 ? this.outTokens / el : 0,
        phase: this.phase,
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
