/**
 * Real-time driver of the BatchEngine: the continuous-batching loop. Emulated time maps onto
 * wall time linearly (wall = emulated × timeScale). Each step ends at an absolute wall-clock
 * target computed from the previous step's end, never from when a timer happened to fire, so
 * timer lateness never accumulates; when the driver falls behind it runs due steps back to back.
 *
 * Closed-loop hold: a request submitted with `followUp` promises that its client sends the next
 * request as soon as this one completes. When such a request finishes, the clock stops before
 * the next step until the promised request arrives (or `holdMaxWallMs` passes), and that request
 * counts as queued when its predecessor finished. A client slowed by its host therefore never
 * shrinks the emulated batch: the engine's clock, not the host's, decides the timeline. The first
 * request of a wave sent at once (`wave`: its size) owes the rest of the wave the same way.
 */
import { BatchEngine, type EngineOptions, type EngineRequest, type EngineStats } from "./batch-engine.js";
import type { PerfModel } from "./perf-model.js";

export interface RequestSink {
  /** `tokens` more tokens are available (emulated time of the step's end given for reporting) */
  onTokens(tokens: number, done: boolean, emulatedMs: number): void;
}

export class Scheduler {
  readonly engine: BatchEngine;
  private readonly sinks = new Map<number, RequestSink>();
  private readonly t0 = performance.now();
  /** emulated time when the last step ended */
  private lastEndEmu = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private nextId = 1;
  /** requests whose client promised a follow-up */
  private readonly followUps = new Set<number>();
  /** emulated finish times of promised follow-ups not yet arrived, oldest first */
  private readonly owed: number[] = [];
  /** wall time (performance.now) the clock stopped at, while holding for follow-ups */
  private holdSince: number | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  /** wall ms the clock stood still in past holds */
  private heldWallMs = 0;

  constructor(
    readonly model: PerfModel,
    engineOpts: EngineOptions,
    readonly timeScale: number,
    readonly holdMaxWallMs = 10_000,
  ) {
    this.engine = new BatchEngine(model, engineOpts);
  }

  /** Current emulated time, ms. */
  nowEmu(): number {
    return this.toEmu(performance.now());
  }

  /** Emulated time of a `performance.now()` instant. */
  toEmu(perfNowMs: number): number {
    const holding = this.holdSince === undefined ? 0 : Math.max(0, perfNowMs - this.holdSince);
    return (perfNowMs - this.t0 - this.heldWallMs - holding) / this.timeScale;
  }

  /**
   * Queues a request at the current emulated time (a promised follow-up: when its predecessor
   * finished); returns its id (for cancel). `followUp`: its client sends the next request as soon
   * as this one completes. Throws when it can never fit.
   */
  submit(
    req: Omit<EngineRequest, "id" | "queuedAt">,
    sink: RequestSink,
    o: { followUp?: boolean; wave?: number } = {},
  ): { id: number; queuedAt: number } {
    const id = this.nextId++;
    const promisedAt = this.owed.shift();
    const now = this.nowEmu();
    const queuedAt = promisedAt === undefined ? now : Math.min(now, promisedAt);
    this.engine.add({ ...req, id, queuedAt });
    this.sinks.set(id, sink);
    if (o.followUp) this.followUps.add(id);
    // the first of a wave sent at once: the rest are owed from its queue time, like follow-ups
    for (let i = 1; i < (o.wave ?? 1); i++) this.owed.push(queuedAt);
    if (this.owed.length === 0) this.endHold();
    // never emit inside submit: the caller learns queuedAt before its sink hears of any token
    queueMicrotask(() => this.kick());
    return { id, queuedAt };
  }

  cancel(id: number): void {
    this.followUps.delete(id);
    if (!this.sinks.delete(id)) return;
    this.engine.cancel(id);
  }

  /** Stops the clock until the promised follow-ups arrive, for at most holdMaxWallMs. */
  private startHold(): void {
    if (this.holdSince !== undefined) return;
    this.holdSince = performance.now();
    this.holdTimer = setTimeout(() => {
      this.owed.length = 0;
      this.endHold();
      this.kick();
    }, this.holdMaxWallMs);
  }

  private endHold(): void {
    if (this.holdSince === undefined) return;
    this.heldWallMs += performance.now() - this.holdSince;
    this.holdSince = undefined;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  stats(): EngineStats {
    return this.engine.stats();
  }

  /**
   * How busy the engine has been since it started, in wall ms on this process's clock: time spent
   * in steps (the running step counts up to now) and time elapsed. Utilisation over an interval is
   * Δbusy ÷ Δwall of two readings.
   */
  busy(): { busyWallMs: number; wallMs: number } {
    const now = performance.now();
    let busyEmu = this.engine.stats().busyMs;
    // the planned step is counted whole by the engine: take off what has not elapsed yet
    if (this.pending) busyEmu -= Math.min(this.pending.ms, Math.max(0, this.pending.endEmu - this.toEmu(now)));
    return { busyWallMs: busyEmu * this.timeScale, wallMs: now - this.t0 };
  }

  /** Stops emitting (hang fault); resume() continues from the current time. */
  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.nowEmu();
    if (this.pending) this.pending.endEmu = Math.max(this.pending.endEmu, now);
    else this.lastEndEmu = Math.max(this.lastEndEmu, now);
    this.kick();
  }

  close(): void {
    this.pause();
    this.endHold();
    this.sinks.clear();
  }

  private kick(): void {
    if (this.timer || this.paused) return;
    this.loop();
  }

  private pending: { endEmu: number; ms: number; emissions: ReturnType<BatchEngine["step"]>["emissions"] } | undefined;

  private loop(): void {
    this.timer = undefined;
    if (this.paused) return;
    for (;;) {
      if (!this.pending) {
        if (this.owed.length > 0) {
          this.startHold();
          return;
        }
        if (!this.engine.hasWork()) return;
        // a busy engine starts exactly where the last step ended; an idle one when the oldest
        // waiting request was queued. Only requests queued by the start join, however late the
        // timer fired, so the timeline is the model's (simulateTrace) whatever the wall clock did.
        let start = this.lastEndEmu;
        if (this.engine.runningCount === 0) start = Math.max(start, this.engine.oldestQueuedAt() ?? start);
        const step = this.engine.step(start);
        this.pending = { endEmu: start + step.ms, ms: step.ms, emissions: step.emissions };
      }
      const waitMs = (this.pending.endEmu - this.nowEmu()) * this.timeScale;
      if (waitMs > 0) {
        this.timer = setTimeout(() => this.loop(), waitMs);
        return;
      }
      const { endEmu, emissions } = this.pending;
      this.pending = undefined;
      this.lastEndEmu = endEmu;
      for (const e of emissions) {
        const sink = this.sinks.get(e.id);
        if (!sink) continue;
        if (e.done) {
          this.sinks.delete(e.id);
          if (this.followUps.delete(e.id)) this.owed.push(endEmu);
        }
        sink.onTokens(e.tokens, e.done, endEmu);
      }
    }
  }
}
