/**
 * Real-time driver of the BatchEngine: the continuous-batching loop. Emulated time maps onto
 * wall time linearly (wall = emulated × timeScale). Each step ends at an absolute wall-clock
 * target computed from the previous step's end, never from when a timer happened to fire, so
 * timer lateness never accumulates; when the driver falls behind it runs due steps back to back.
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
  private idle = true;
  private idleArrival: number | undefined;
  private nextId = 1;

  constructor(
    readonly model: PerfModel,
    engineOpts: EngineOptions,
    readonly timeScale: number,
  ) {
    this.engine = new BatchEngine(model, engineOpts);
  }

  /** Current emulated time, ms. */
  nowEmu(): number {
    return this.toEmu(performance.now());
  }

  /** Emulated time of a `performance.now()` instant. */
  toEmu(perfNowMs: number): number {
    return (perfNowMs - this.t0) / this.timeScale;
  }

  /** Queues a request; returns its id (for cancel). Throws when it can never fit. */
  submit(req: Omit<EngineRequest, "id">, sink: RequestSink, arrivalEmu?: number): number {
    const id = this.nextId++;
    // an idle engine starts on the request's arrival (parsing it is not model time)
    if (this.idle && !this.pending) this.idleArrival = Math.min(this.idleArrival ?? Infinity, arrivalEmu ?? this.nowEmu());
    this.engine.add({ ...req, id });
    this.sinks.set(id, sink);
    this.kick();
    return id;
  }

  cancel(id: number): void {
    if (!this.sinks.delete(id)) return;
    this.engine.cancel(id);
  }

  stats(): EngineStats {
    return this.engine.stats();
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
    this.idle = true;
    if (this.pending) this.pending.endEmu = Math.max(this.pending.endEmu, this.nowEmu());
    this.kick();
  }

  close(): void {
    this.pause();
    this.sinks.clear();
  }

  private kick(): void {
    if (this.timer || this.paused) return;
    this.loop();
  }

  private pending: { endEmu: number; emissions: ReturnType<BatchEngine["step"]>["emissions"] } | undefined;

  private loop(): void {
    this.timer = undefined;
    if (this.paused) return;
    for (;;) {
      if (!this.pending) {
        if (!this.engine.hasWork()) {
          this.idle = true;
          return;
        }
        // an idle engine starts now; a busy one starts exactly where the last step ended
        const start = this.idle ? Math.max(this.lastEndEmu, Math.min(this.idleArrival ?? Infinity, this.nowEmu())) : this.lastEndEmu;
        this.idle = false;
        this.idleArrival = undefined;
        const step = this.engine.step();
        this.pending = { endEmu: start + step.ms, emissions: step.emissions };
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
        if (e.done) this.sinks.delete(e.id);
        sink.onTokens(e.tokens, e.done, endEmu);
      }
    }
  }
}
