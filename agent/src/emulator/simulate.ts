/**
 * Offline closed-loop load on virtual time: `concurrency` clients each send a request, wait for
 * its last token, and send the next, until `requests` were sent. Metrics use the `vllm bench
 * serve` definitions (TTFT, TPOT per request, throughput over the run's duration). Pure and fast:
 * used by tests of the model's shape and by anything that wants the model's prediction.
 */
import { BatchEngine, type EngineOptions } from "./batch-engine.js";
import type { PerfModel } from "./perf-model.js";

export interface SimPoint {
  concurrency: number;
  isl: number;
  osl: number;
  /** requests in all (default 3 × concurrency, at least 8) */
  requests?: number;
}

export interface SimResult {
  durationMs: number;
  completed: number;
  meanTtftMs: number;
  meanTpotMs: number;
  meanE2elMs: number;
  /** 1000 / mean TPOT, tokens/s/user */
  interactivity: number;
  outputTokPerSec: number;
  totalTokPerSec: number;
  /** total (input + output) tokens/s per GPU */
  tputPerGpu: number;
  outputTputPerGpu: number;
  /** per request, in arrival order */
  ttftsMs: number[];
  tpotsMs: number[];
}

export function simulatePoint(model: PerfModel, engineOpts: EngineOptions, point: SimPoint): SimResult {
  const total = point.requests ?? Math.max(8, 3 * point.concurrency);
  const engine = new BatchEngine(model, engineOpts);
  const arrival = new Map<number, number>();
  const first = new Map<number, number>();
  const ttfts: number[] = [];
  const tpots: number[] = [];
  const e2els: number[] = [];
  let sent = 0;
  let now = 0;
  let outTokens = 0;
  const send = () => {
    const id = sent++;
    arrival.set(id, now);
    engine.add({ id, promptTokens: point.isl, outputTokens: point.osl });
  };
  for (let i = 0; i < Math.min(point.concurrency, total); i++) send();
  while (engine.hasWork()) {
    const step = engine.step();
    now += step.ms;
    for (const e of step.emissions) {
      if (e.tokens > 0 && !first.has(e.id)) first.set(e.id, now);
      outTokens += e.tokens;
      if (e.done) {
        const t0 = arrival.get(e.id)!;
        const ttft = first.get(e.id)! - t0;
        const e2el = now - t0;
        ttfts[e.id] = ttft;
        e2els[e.id] = e2el;
        tpots[e.id] = point.osl > 1 ? (e2el - ttft) / (point.osl - 1) : 0;
        if (sent < total) send();
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const meanTpot = mean(tpots);
  const sec = now / 1000;
  return {
    durationMs: now,
    completed: ttfts.length,
    meanTtftMs: mean(ttfts),
    meanTpotMs: meanTpot,
    meanE2elMs: mean(e2els),
    interactivity: meanTpot > 0 ? 1000 / meanTpot : 0,
    outputTokPerSec: outTokens / sec,
    totalTokPerSec: (outTokens + total * point.isl) / sec,
    tputPerGpu: (outTokens + total * point.isl) / sec / model.gpus,
    outputTputPerGpu: outTokens / sec / model.gpus,
    ttftsMs: ttfts,
    tpotsMs: tpots,
  };
}

export interface TraceRequest {
  /** emulated arrival time, ms */
  atMs: number;
  isl: number;
  osl: number;
}

export interface TraceResult {
  ttftsMs: number[];
  tpotsMs: number[];
  e2elsMs: number[];
}

/**
 * Open-loop replay of arrivals on virtual time, with the real-time scheduler's rules: an idle
 * engine starts a step on arrival; a busy one runs steps back to back; arrivals join the next step.
 */
export function simulateTrace(model: PerfModel, engineOpts: EngineOptions, reqs: TraceRequest[]): TraceResult {
  const order = reqs.map((r, i) => ({ ...r, i })).sort((a, b) => a.atMs - b.atMs);
  const engine = new BatchEngine(model, engineOpts);
  const first = new Map<number, number>();
  const out: TraceResult = { ttftsMs: [], tpotsMs: [], e2elsMs: [] };
  let now = 0;
  let next = 0;
  while (next < order.length || engine.hasWork()) {
    while (next < order.length && order[next]!.atMs <= now) {
      const r = order[next++]!;
      engine.add({ id: r.i, promptTokens: r.isl, outputTokens: r.osl, queuedAt: r.atMs });
    }
    if (!engine.hasWork()) {
      now = order[next]!.atMs;
      continue;
    }
    const step = engine.step(now);
    now += step.ms;
    for (const e of step.emissions) {
      if (e.tokens > 0 && !first.has(e.id)) first.set(e.id, now);
      if (!e.done) continue;
      const r = reqs[e.id]!;
      const ttft = first.get(e.id)! - r.atMs;
      const e2el = now - r.atMs;
      out.ttftsMs[e.id] = ttft;
      out.e2elsMs[e.id] = e2el;
      out.tpotsMs[e.id] = r.osl > 1 ? (e2el - ttft) / (r.osl - 1) : 0;
    }
  }
  return out;
}
