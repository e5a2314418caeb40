/**
 * Continuous-batching engine on virtual time (pure, no timers): a waiting queue, a running batch
 * admitted by max-running and KV capacity, chunked prefill within a per-step token budget, and
 * decode steps that emit 1 + accepted MTP drafts per request. `step()` decides the next step's
 * work and returns its duration and what each request receives when the step ends; a driver
 * (the real-time scheduler, or the offline simulator) advances the clock.
 */
import { Rng } from "@benchfleet/shared";
import type { PerfModel } from "./perf-model.js";

/** prefill tokens a step takes even when decode fills the budget, so prefill never starves */
const MIN_PREFILL_CHUNK = 512;

export interface EngineRequest {
  id: number;
  promptTokens: number;
  /** tokens to generate (the response is decided up front) */
  outputTokens: number;
  /** decode role: the KV arrived from a prefill worker, skip prefill */
  prefilled?: boolean;
  /** prompt tokens whose KV the prefix cache holds: prefill starts after them (the last token is always computed) */
  cachedTokens?: number;
  /** of those, tokens loaded back from host DRAM in the step that admits the request */
  loadedTokens?: number;
  /** prefill role: done when the prompt is prefilled */
  prefillOnly?: boolean;
  /** emulated time it was queued: a step starting earlier does not admit it */
  queuedAt?: number;
}

export interface Emission {
  id: number;
  /** tokens this request receives at the end of the step */
  tokens: number;
  /** the request finished (all tokens emitted, or prefill done for prefillOnly) */
  done: boolean;
}

export interface Step {
  ms: number;
  emissions: Emission[];
  decodeRequests: number;
  prefillTokens: number;
}

export interface EngineOptions {
  /** most requests in the running batch */
  maxRunning: number;
  /** token budget of one step (decode tokens + prefill chunk) */
  maxBatchTokens: number;
  seed: number;
}

interface Running {
  req: EngineRequest;
  prefilled: number;
  generated: number;
  reserved: number;
}

export interface EngineStats {
  running: number;
  waiting: number;
  kvUsedTokens: number;
  kvCapacityTokens: number;
  promptTokens: number;
  generationTokens: number;
  draftTokens: number;
  acceptedDraftTokens: number;
  /** verification steps that carried draft tokens (one per decoding request and step) */
  drafts: number;
  steps: number;
  /** emulated ms of all steps planned so far (prefill and decode work: the engine's GPUs were busy) */
  busyMs: number;
}

export class BatchEngine {
  private readonly waiting: EngineRequest[] = [];
  private readonly running = new Map<number, Running>();
  private kvReserved = 0;
  private readonly rand: () => number;
  private counters = {
    promptTokens: 0,
    generationTokens: 0,
    draftTokens: 0,
    acceptedDraftTokens: 0,
    drafts: 0,
    steps: 0,
    busyMs: 0,
  };

  constructor(
    readonly model: PerfModel,
    readonly opts: EngineOptions,
  ) {
    this.rand = new Rng(opts.seed).source();
  }

  /** Queues a request; throws when it can never fit the KV cache. */
  add(req: EngineRequest): void {
    const need = this.reserveFor(req);
    if (need > this.model.kvCapacityTokens) {
      throw new Error(`request needs ${need} KV tokens, the cache holds ${this.model.kvCapacityTokens}`);
    }
    this.waiting.push(req);
  }

  /** Removes a request (client went away), freeing its KV. */
  cancel(id: number): void {
    const r = this.running.get(id);
    if (r) {
      this.kvReserved -= r.reserved;
      this.running.delete(id);
      return;
    }
    const i = this.waiting.findIndex((w) => w.id === id);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  hasWork(): boolean {
    return this.running.size > 0 || this.waiting.length > 0;
  }

  /** Requests in the running batch. */
  get runningCount(): number {
    return this.running.size;
  }

  /** When the oldest waiting request was queued (undefined: none waiting). */
  oldestQueuedAt(): number | undefined {
    return this.waiting.length ? (this.waiting[0]!.queuedAt ?? Number.NEGATIVE_INFINITY) : undefined;
  }

  stats(): EngineStats {
    return {
      running: this.running.size,
      waiting: this.waiting.length,
      kvUsedTokens: this.kvReserved,
      kvCapacityTokens: this.model.kvCapacityTokens,
      ...this.counters,
    };
  }

  private reserveFor(req: EngineRequest): number {
    return req.promptTokens + (req.prefillOnly ? 0 : req.outputTokens);
  }

  /**
   * Plans and applies the next step, starting at emulated time `startAt` (requests queued later
   * wait for a later step); returns its duration and emissions (delivered when it ends).
   */
  step(startAt = Number.POSITIVE_INFINITY): Step {
    // admit FCFS while batch slots and KV allow (no preemption: reserve prompt + output up front)
    let loadMs = 0;
    while (this.waiting.length > 0 && this.running.size < this.opts.maxRunning) {
      const next = this.waiting[0]!;
      if ((next.queuedAt ?? Number.NEGATIVE_INFINITY) > startAt) break;
      const need = this.reserveFor(next);
      if (this.kvReserved + need > this.model.kvCapacityTokens) break;
      this.waiting.shift();
      this.kvReserved += need;
      this.running.set(next.id, {
        req: next,
        prefilled: next.prefilled ? next.promptTokens : Math.min(next.cachedTokens ?? 0, next.promptTokens - 1),
        generated: 0,
        reserved: need,
      });
      if (next.loadedTokens) loadMs += this.model.hostLoadMs(next.loadedTokens);
    }

    const decoding: Running[] = [];
    const prefilling: Running[] = [];
    for (const r of this.running.values()) {
      if (r.prefilled >= r.req.promptTokens) decoding.push(r);
      else prefilling.push(r);
    }
    const perDecode = 1 + this.model.draftTokens;
    // decode tokens come first; prefill gets the rest of the budget, never less than a small chunk
    let budget = Math.max(MIN_PREFILL_CHUNK, this.opts.maxBatchTokens - decoding.length * perDecode);
    let decodeContext = 0;
    for (const r of decoding) decodeContext += r.req.promptTokens + r.generated;

    const emissions: Emission[] = [];
    let prefillTokens = 0;
    let attnPairs = 0;
    for (const r of prefilling) {
      if (budget <= 0) break;
      const chunk = Math.min(budget, r.req.promptTokens - r.prefilled);
      const a = r.prefilled;
      const b = r.prefilled + chunk;
      attnPairs += ((a + b + 1) * chunk) / 2;
      r.prefilled = b;
      budget -= chunk;
      prefillTokens += chunk;
      this.counters.promptTokens += chunk;
      if (r.prefilled >= r.req.promptTokens) {
        if (r.req.prefillOnly) {
          emissions.push({ id: r.req.id, tokens: 0, done: true });
          this.finish(r);
        } else {
          // the prefill's last position yields the first token
          r.generated = 1;
          this.counters.generationTokens += 1;
          const done = r.generated >= r.req.outputTokens;
          emissions.push({ id: r.req.id, tokens: 1, done });
          if (done) this.finish(r);
        }
      }
    }
    for (const r of decoding) {
      let n = 1;
      for (const a of this.model.acceptance) {
        if (this.rand() < a) n++;
        else break;
      }
      if (this.model.draftTokens > 0) this.counters.drafts++;
      this.counters.draftTokens += this.model.draftTokens;
      this.counters.acceptedDraftTokens += n - 1;
      n = Math.min(n, r.req.outputTokens - r.generated);
      r.generated += n;
      this.counters.generationTokens += n;
      const done = r.generated >= r.req.outputTokens;
      emissions.push({ id: r.req.id, tokens: n, done });
      if (done) this.finish(r);
    }
    const cost = this.model.step({
      decodeRequests: decoding.length,
      decodeContextTokens: decodeContext,
      prefillTokens,
      prefillAttnPairs: attnPairs,
    });
    // loading KV back from host DRAM delays the step that admits the request
    const ms = cost.ms + loadMs;
    this.counters.steps++;
    this.counters.busyMs += ms;
    return { ms, emissions, decodeRequests: decoding.length, prefillTokens };
  }

  private finish(r: Running): void {
    this.kvReserved -= r.reserved;
    this.running.delete(r.req.id);
  }
}

/** Defaults like the engines': 256 running requests per attention replica, 16K-token steps. */
export function defaultEngineOptions(model: PerfModel, o: Partial<EngineOptions> = {}): EngineOptions {
  const replicas = model.par.dpAttn ? model.par.tp : 1;
  return { maxRunning: 256 * replicas, maxBatchTokens: 16384, seed: 0, ...o };
}
