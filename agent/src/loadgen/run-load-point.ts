/**
 * runLoadPoint: drives one load point (concurrency, ISL, OSL) against an OpenAI-compatible server
 * and returns a `PointResult` (shared/src/results.ts): the vLLM result keys plus our block, client
 * stats with the saturation verdict, failures by reason, status.
 *
 * Traffic: closed loop of `concurrency` slots; with a finite request rate, requests are due at
 * gamma/Poisson arrival times and wait for a free slot (the wait is `queue time`). Warmups run
 * first at the same concurrency and are not measured. Send lag = actual send time - scheduled time,
 * where scheduled = max(arrival, the moment the slot was freed). The duration runs from the first
 * dispatch until the last request finishes (vLLM's `dur_s`).
 * Cancel with `signal`: in-flight requests are aborted and the promise rejects with the reason.
 */
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type LoadPoint, PointResult } from "@benchfleet/shared";
import { Client, Pool } from "undici";
import { arrivalTimes } from "./arrivals.js";
import { type Calibration, calibrate, wordsForTokens, wordsFromTokenizer } from "./chat-calibration.js";
import { type RequestSeed, sendStreamingRequest } from "./client.js";
import { applyEngineTiming } from "./engine-timing.js";
import { computeMetrics, DEFAULT_PERCENTILES, mean, percentile } from "./metrics.js";
import { Conversation, conversationCount, type MultiTurnOptions, turnIndex } from "./multi-turn.js";
import type { FirstChunkRule } from "./openai-stream.js";
import {
  DEFAULT_VOCAB,
  type PromptSpec,
  type RangeMode,
  sampleLengths,
  textPrompt,
  tokenIdPrompt,
  type VocabRange,
} from "./prompts.js";
import { buildBody, type Endpoint } from "./request-body.js";
import type { RequestRecord } from "./request-record.js";
import { type BenchfleetBlock, buildBenchResult, type GpuCounts, perGpu, summaryRecord } from "./result.js";
import { assessSaturation, DEFAULT_SATURATION, type SaturationThresholds } from "./saturation.js";
import { runInWorkers } from "./worker-shards.js";

export interface LoadProgress {
  done: number;
  total: number;
  inFlight: number;
  errors: number;
  elapsedS: number;
  requestsPerS: number;
  outputTokensPerS: number;
  phase: "calibrate" | "warmup" | "run";
}

export interface LoadPointOptions {
  baseUrl: string;
  model: string;
  endpoint?: Endpoint;
  isl: number;
  osl: number;
  /** default 0.8 (the reference lab's) */
  rangeRatio?: number;
  rangeMode?: RangeMode;
  concurrency: number;
  /** default 10 × concurrency */
  numPrompts?: number;
  /** default 2 × concurrency */
  warmups?: number;
  /** requests/s, default Infinity (closed loop only) */
  requestRate?: number;
  burstiness?: number;
  seed?: number;
  /** "ids" (default on /v1/completions) or "text" (always on chat) */
  promptFormat?: "ids" | "text";
  vocab?: VocabRange;
  /** local tokenizer.json to pick single-token words for text prompts */
  tokenizerPath?: string;
  multiTurn?: MultiTurnOptions;
  /** send ignore_eos + min_tokens (default true) */
  exactOutput?: boolean;
  extraBody?: Record<string, unknown>;
  headers?: Record<string, string>;
  firstChunk?: FirstChunkRule;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** failed fraction above which the point fails (default 0.05) */
  maxFailureFraction?: number;
  saturation?: Partial<SaturationThresholds>;
  percentiles?: number[];
  gpus?: GpuCounts;
  saveDetailed?: boolean;
  backend?: string;
  label?: string;
  emulated?: boolean;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  progressIntervalMs?: number;
  /** worker threads sharing the in-flight requests (default 1: this event loop); the prompts are the
   * same either way, each thread sends every n-th one with its share of the concurrency */
  workers?: number;
  /** internal (worker threads): send only the prompts i with i % count === index */
  shard?: { index: number; count: number };
  /** internal (worker threads): awaited between warmup and the measured run (a barrier) */
  beforeMeasured?: () => Promise<void>;
  /** "engine": latencies as the benchfleet emulator timed them on its emulated clock (see engine-timing.ts) */
  timing?: "client" | "engine";
  /** receives the per-request records of the measured run and the hrtime they are relative to */
  onRecords?: (records: RequestRecord[], t0: bigint) => void;
}

const nowNs = (t0: bigint) => Number(process.hrtime.bigint() - t0);

function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error("load point aborted"), { name: "AbortError" });
}

async function sleepUntilNs(t0: bigint, dueNs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    if (signal?.aborted) return;
    const leftMs = (dueNs - nowNs(t0)) / 1e6;
    if (leftMs <= 0.05) return;
    if (leftMs > 2) await new Promise((r) => setTimeout(r, Math.floor(leftMs - 1)));
    else await new Promise((r) => setImmediate(r));
  }
}

export async function runLoadPoint(opts: LoadPointOptions): Promise<PointResult> {
  const endpoint: Endpoint = opts.endpoint ?? "/v1/completions";
  const chat = endpoint === "/v1/chat/completions";
  const concurrency = opts.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer (got ${concurrency})`);
  const numPrompts = opts.numPrompts ?? 10 * concurrency;
  const warmups = opts.warmups ?? 2 * concurrency;
  const rate = opts.requestRate ?? Number.POSITIVE_INFINITY;
  const burstiness = opts.burstiness ?? 1;
  const seed = opts.seed ?? 0;
  const ratio = opts.rangeRatio ?? 0.8;
  const mode = opts.rangeMode ?? "floor";
  const format = chat || opts.multiTurn ? "text" : (opts.promptFormat ?? "ids");
  const vocab = opts.vocab ?? DEFAULT_VOCAB;
  const gpus = opts.gpus ?? { total: 1, prefill: 0, decode: 0 };
  const maxFail = opts.maxFailureFraction ?? 0.05;
  const satT = { ...DEFAULT_SATURATION, ...opts.saturation };
  const percentiles = opts.percentiles ?? [...DEFAULT_PERCENTILES];
  // one linked signal for all requests (each in-flight request listens on it)
  const linked = new AbortController();
  setMaxListeners(0, linked.signal);
  const forward = () => linked.abort(opts.signal!.reason);
  if (opts.signal?.aborted) forward();
  else opts.signal?.addEventListener("abort", forward, { once: true });
  const signal = opts.signal ? linked.signal : undefined;
  if (!Number.isInteger(numPrompts) || numPrompts < 1)
    throw new RangeError(`num prompts must be a positive integer (got ${numPrompts})`);
  if (!Number.isInteger(warmups) || warmups < 0)
    throw new RangeError(`warmups must be a non-negative integer (got ${warmups})`);
  if (chat && opts.promptFormat === "ids")
    throw new RangeError("token-id prompts need /v1/completions; chat endpoints take text");
  if (opts.multiTurn && opts.promptFormat === "ids") throw new RangeError("multi-turn conversations need text prompts");
  const threads = opts.shard ? 1 : (opts.workers ?? 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`workers must be a positive integer (got ${threads})`);
  if (threads > concurrency)
    throw new RangeError(`workers (${threads}) must not exceed the concurrency (${concurrency})`);
  if (threads > 1 && opts.multiTurn) throw new RangeError("multi-turn conversations run on one thread (workers 1)");
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const path = `${prefix}${endpoint}`;
  const origin = base.origin;
  const backend = opts.backend ?? (chat ? "openai-chat" : "openai");

  // Two keep-alive connections per slot, used in turn. undici (7.x) re-validates a keep-alive socket
  // that just went idle for one event-loop turn (setImmediate) before writing the next request on
  // it; under load one turn is milliseconds of send delay. The connection a slot uses next has been
  // idle for a whole request, so the request goes out at once. A slot never has more than one
  // request in flight.
  const clientOpts = {
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: opts.headersTimeoutMs ?? 600_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
  };
  const pool = new Pool(origin, { ...clientOpts, connections: 2 });
  const slotClients: Client[] = [];
  const slotSent: number[] = [];
  /** the connection for slot k's next request (alternating over the slot's two, across phases) */
  const slotClient = (k: number): Client => {
    while (slotClients.length <= 2 * k + 1) slotClients.push(new Client(origin, clientOpts));
    const n = slotSent[k] ?? 0;
    slotSent[k] = n + 1;
    return slotClients[2 * k + (n & 1)];
  };
  const t0 = process.hrtime.bigint();
  const progressPhase: { phase: LoadProgress["phase"] } = { phase: "calibrate" };
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    if (signal?.aborted) throw abortError(signal);
    // ---- prompts
    const words = opts.tokenizerPath ? wordsFromTokenizer(opts.tokenizerPath) : undefined;
    let cal: Calibration | undefined;
    if (format === "text")
      cal = await calibrate(pool, origin, endpoint, opts.model, words, opts.headers, signal).catch((err) => {
        if (signal?.aborted) throw abortError(signal);
        throw new Error(`cannot calibrate text prompt length against ${origin}${path}: ${(err as Error).message}`);
      });
    const specs = sampleLengths(numPrompts, opts.isl, opts.osl, ratio, mode, seed);
    const warmSpecs = sampleLengths(warmups, opts.isl, opts.osl, ratio, mode, seed + 0x77a);
    const promptFor = (s: PromptSpec, streamSeed: number): number[] | string =>
      format === "ids"
        ? tokenIdPrompt(streamSeed, s.index, s.inputLen, vocab)
        : textPrompt(streamSeed, s.index, wordsForTokens(s.inputLen, cal!), words);
    const bodyOpts = (outputLen: number) => ({
      model: opts.model,
      endpoint,
      outputLen,
      exactOutput: opts.exactOutput ?? true,
      stream: true,
      extraBody: opts.extraBody,
    });
    const streamOpts = (body: string, keepText: boolean) => ({
      t0,
      path,
      body,
      headers: opts.headers,
      rule: opts.firstChunk,
      keepText,
      headersTimeoutMs: opts.headersTimeoutMs,
      bodyTimeoutMs: opts.bodyTimeoutMs,
      signal,
    });

    // ---- live counters
    let done = 0;
    let errors = 0;
    let inFlight = 0;
    let outTokens = 0;
    let phaseStartNs = 0;
    let phaseTotal = 0;
    progressTimer = opts.onProgress
      ? setInterval(() => {
          const el = (nowNs(t0) - phaseStartNs) / 1e9;
          opts.onProgress!({
            done,
            total: phaseTotal,
            inFlight,
            errors,
            elapsedS: el,
            requestsPerS: el > 0 ? done / el : 0,
            outputTokensPerS: el > 0 ? outTokens / el : 0,
            phase: progressPhase.phase,
          });
        }, opts.progressIntervalMs ?? 500)
      : undefined;
    progressTimer?.unref();
    const account = (r: RequestRecord) => {
      done++;
      if (!r.success) errors++;
      else outTokens += r.outputTokens;
    };

    // ---- closed loop over prepared single-turn prompts
    const shard = opts.shard;
    const mine = (i: number) => !shard || i % shard.count === shard.index;
    const concShare = shard
      ? Math.floor(concurrency / shard.count) + (shard.index < concurrency % shard.count ? 1 : 0)
      : concurrency;
    const runSingleTurn = async (list: PromptSpec[], streamSeed: number, arrivalsS: number[], keepText: boolean) => {
      const n = list.length;
      const records = new Array<RequestRecord>(n);
      const order = shard ? list.map((_, i) => i).filter(mine) : undefined;
      const bodies = new Map<number, string>();
      let preparedUpTo = 0;
      /** bodies of the next prompts this thread sends, built ahead (upTo counts its own prompts) */
      const prepare = (upTo: number) => {
        const count = order ? order.length : n;
        for (; preparedUpTo < Math.min(count, upTo); preparedUpTo++) {
          const idx = order ? order[preparedUpTo]! : preparedUpTo;
          const s = list[idx];
          bodies.set(idx, buildBody(bodyOpts(s.outputLen), promptFor(s, streamSeed)));
        }
      };
      const slots = Math.max(0, Math.min(concShare, order ? order.length : n));
      prepare(slots + 1);
      let next = 0;
      const startNs = nowNs(t0);
      phaseStartNs = startNs;
      const slot = async (_: unknown, k: number) => {
        let freedNs = startNs;
        for (;;) {
          if (signal?.aborted) return;
          const k2 = next++;
          const i = order ? (order[k2] ?? n) : k2;
          if (i >= n) return;
          const arrivalNs = startNs + Math.round(arrivalsS[i] * 1e9);
          if (arrivalNs > nowNs(t0)) await sleepUntilNs(t0, arrivalNs, signal);
          if (signal?.aborted) return;
          const body = bodies.get(i)!;
          bodies.delete(i);
          const seedRec: RequestSeed = {
            index: i,
            ...(freedNs === startNs && arrivalNs <= startNs ? { firstWave: true } : {}),
            scheduledNs: Math.max(arrivalNs, freedNs),
            queueNs: Math.max(0, freedNs - arrivalNs),
            targetPromptTokens: list[i].inputLen,
            targetOutputTokens: list[i].outputLen,
          };
          inFlight++;
          const p = sendStreamingRequest(slotClient(k), seedRec, streamOpts(body, keepText));
          prepare(next + slots + 1);
          const rec = await p;
          inFlight--;
          freedNs = rec.endNs;
          records[i] = rec;
          account(rec);
        }
      };
      await Promise.all(Array.from({ length: slots }, slot));
      return { records: order ? order.map((i) => records[i]!).filter(Boolean) : records, startNs, endNs: nowNs(t0) };
    };

    // ---- multi-turn conversations
    const runMultiTurn = async (list: PromptSpec[], streamSeed: number, mt: MultiTurnOptions) => {
      const n = list.length;
      const convs = conversationCount(n, mt.turns);
      const records: RequestRecord[] = [];
      let nextConv = 0;
      const startNs = nowNs(t0);
      phaseStartNs = startNs;
      const slot = async (_: unknown, k: number) => {
        for (;;) {
          if (signal?.aborted) return;
          const c = nextConv++;
          if (c >= convs) return;
          const conv = new Conversation();
          let freedNs = nowNs(t0);
          for (let t = 0; t < mt.turns; t++) {
            const i = turnIndex(c, t, mt.turns);
            if (i >= n || signal?.aborted) break;
            const s = list[i];
            if (t > 0 && mt.thinkTimeMs > 0) {
              freedNs = nowNs(t0) + mt.thinkTimeMs * 1e6;
              await sleepUntilNs(t0, freedNs, signal);
            }
            const user = textPrompt(streamSeed, i, wordsForTokens(s.inputLen, cal!), words);
            const body = buildBody(bodyOpts(s.outputLen), conv.ask(user));
            inFlight++;
            const rec = await sendStreamingRequest(
              slotClient(k),
              {
                index: i,
                scheduledNs: freedNs,
                queueNs: 0,
                // the server's count of the whole history is what matters; the target is the new part
                targetPromptTokens: s.inputLen,
                targetOutputTokens: s.outputLen,
                conversation: c,
                turn: t,
              },
              streamOpts(body, true),
            );
            inFlight--;
            freedNs = rec.endNs;
            records.push(rec);
            account(rec);
            if (!rec.success) break;
            conv.answer(rec.generatedText ?? "");
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, convs) }, slot));
      records.sort((a, b) => a.index - b.index);
      return { records, startNs, endNs: nowNs(t0) };
    };

    const run = (list: PromptSpec[], streamSeed: number, arrivalsS: number[], keepText: boolean) =>
      opts.multiTurn
        ? runMultiTurn(list, streamSeed, opts.multiTurn)
        : runSingleTurn(list, streamSeed, arrivalsS, keepText);

    // ---- warmup
    let warm: { requests: number; failed: number } | undefined;
    if (warmups > 0 && threads === 1) {
      progressPhase.phase = "warmup";
      phaseTotal = warmups;
      const w = await run(warmSpecs, seed + 0x77a, new Array(warmups).fill(0), false);
      if (signal?.aborted) throw abortError(signal);
      warm = { requests: w.records.length, failed: w.records.filter((r) => r && !r.success).length };
    }

    // ---- measured run
    progressPhase.phase = "run";
    done = 0;
    errors = 0;
    outTokens = 0;
    phaseTotal = numPrompts;
    const arrivals = arrivalTimes(numPrompts, rate, burstiness, seed);
    const eld = monitorEventLoopDelay({ resolution: 1 });
    const startedAt = new Date();
    const cpu0 = process.cpuUsage();
    eld.enable();
    await opts.beforeMeasured?.();
    let r: { records: RequestRecord[]; startNs: number; endNs: number };
    /** worker threads: their CPU from the barrier on, and the worst thread's event-loop delay */
    let fromWorkers: { cpu: NodeJS.CpuUsage; loop: { p99Ms: number; maxMs: number } } | undefined;
    if (threads > 1) {
      const w = await runInWorkers(opts, threads, t0, signal);
      r = w;
      fromWorkers = w;
      if (warmups > 0) warm = w.warm;
    } else r = await run(specs, seed, arrivals, opts.saveDetailed ?? false);
    eld.disable();
    const cpu = fromWorkers?.cpu ?? process.cpuUsage(cpu0);
    const finishedAt = new Date();
    if (progressTimer) clearInterval(progressTimer);
    if (signal?.aborted) throw abortError(signal);
    opts.onRecords?.(r.records, t0);

    // ---- metrics and verdicts
    const wallDurationS = (r.endNs - r.startNs) / 1e9;
    const { records, durationS } =
      opts.timing === "engine"
        ? applyEngineTiming(r.records, wallDurationS)
        : { records: r.records, durationS: wallDurationS };
    const m = computeMetrics(records, durationS, percentiles);
    const lagMs = (x: RequestRecord) => Math.max(0, x.startNs - x.scheduledNs) / 1e6;
    const lagsMs = records.map(lagMs);
    const sendLagP50Ms = percentile(lagsMs, 50);
    const sendLagP99Ms = percentile(lagsMs, 99);
    const steadyLagsMs = records.filter((x) => !x.firstWave).map(lagMs);
    const sendLagSteadyP99Ms = steadyLagsMs.length ? percentile(steadyLagsMs, 99) : 0;
    const firstWave = records.filter((x) => x.firstWave);
    const firstWaveMs = firstWave.length ? Math.max(...firstWave.map(lagMs)) : 0;
    const eventLoopDelayP99Ms = Math.max(0, eld.percentile(99) / 1e6 - 1, fromWorkers?.loop.p99Ms ?? 0);
    const sat = assessSaturation(
      {
        sendLagP99Ms: sendLagSteadyP99Ms,
        eventLoopDelayP99Ms,
        meanTtftMs: m.ttftMs.mean,
        firstWaveMs,
        durationMs: wallDurationS * 1000,
      },
      satT,
    );
    const failedFrac = m.failed / Math.max(1, records.length);
    let status: "ok" | "failed" = "ok";
    let failureReason: string | undefined;
    if (m.completed === 0 || failedFrac > maxFail) {
      status = "failed";
      const by = Object.entries(m.failures)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}×${v}`)
        .join(", ");
      const firstErr = records.find((x) => !x.success)?.error;
      failureReason = `${m.failed} of ${records.length} requests failed (${(failedFrac * 100).toFixed(1)} % > ${(maxFail * 100).toFixed(0)} %): ${by}${firstErr ? `; first error: ${firstErr.slice(0, 200)}` : ""}`;
    }
    const okRecs = records.filter((x) => x.success);
    const mismatch = okRecs.map((x) => x.promptTokens - x.targetPromptTokens);
    const outMismatch = okRecs.filter((x) => x.outputTokens !== x.targetOutputTokens).length;
    const client = {
      sendLagP50Ms,
      sendLagP99Ms,
      sendLagSteadyP99Ms,
      firstWaveMs,
      eventLoopDelayP99Ms,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      workers: threads,
      saturated: sat.saturated,
      ...(sat.reason ? { saturationReason: sat.reason } : {}),
    };
    const totalTokens = m.totalOutputTokens;
    const block: BenchfleetBlock = {
      version: 1,
      status,
      ...(failureReason ? { failureReason } : {}),
      failures: m.failures,
      gpus,
      perGpu: perGpu(m, gpus),
      interactivity: summaryRecord(m.interactivity),
      client: {
        ...client,
        sendLagMeanMs: mean(lagsMs),
        sendLagMaxMs: lagsMs.length ? Math.max(...lagsMs) : 0,
        sendLagLimitMs: sat.sendLagLimitMs,
        eventLoopDelayMaxMs: Math.max(0, eld.max / 1e6 - 1, fromWorkers?.loop.maxMs ?? 0),
        cpuUsPerOutputToken: totalTokens > 0 ? (cpu.user + cpu.system) / totalTokens : null,
        meanQueueTimeMs: mean(records.map((x) => x.queueNs / 1e6)),
      },
      prompts: {
        format,
        rangeRatio: ratio,
        rangeMode: mode,
        seed,
        ...(format === "ids" ? { vocab } : {}),
        ...(cal ? { calibration: cal } : {}),
        ...(words ? { tokenizer: opts.tokenizerPath } : {}),
        promptTokenMismatch: {
          requests: mismatch.length,
          exact: mismatch.filter((d) => d === 0).length,
          meanAbs: mean(mismatch.map(Math.abs)),
          max: mismatch.length ? Math.max(...mismatch.map(Math.abs)) : 0,
        },
        outputLengthMismatches: outMismatch,
        usageMissing: okRecs.filter((x) => !x.usageReported).length,
        ...(opts.multiTurn ? { multiTurn: opts.multiTurn } : {}),
      },
      provenance: {
        tool: "benchfleet-loadgen",
        node: process.version,
        host: hostname(),
        baseUrl: origin + prefix,
        endpoint,
        firstChunkRule: opts.firstChunk ?? "content",
        exactOutput: opts.exactOutput ?? true,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        emulated: opts.emulated ?? false,
        timing: opts.timing ?? "client",
      },
      ...(warm ? { warmup: warm } : {}),
    };
    if (opts.multiTurn) {
      const turns = new Map<number, RequestRecord[]>();
      for (const x of okRecs) turns.set(x.turn ?? 0, [...(turns.get(x.turn ?? 0) ?? []), x]);
      block.perTurn = [...turns.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([turn, xs]) => ({
          turn,
          requests: xs.length,
          meanTtftMs: mean(xs.map((x) => x.ttftNs / 1e6)),
          meanPromptTokens: mean(xs.map((x) => x.promptTokens)),
        }));
    }
    const startUnixS = startedAt.getTime() / 1000;
    const bench = buildBenchResult(
      {
        date: startedAt,
        backend,
        endpointType: backend,
        label: opts.label ?? null,
        modelId: opts.model,
        tokenizerId: opts.tokenizerPath ?? null,
        numPrompts,
        requestRate: rate,
        burstiness,
        maxConcurrency: concurrency,
        startUnixS,
        endUnixS: finishedAt.getTime() / 1000,
        metadata: opts.metadata,
      },
      m,
      records,
      block,
      opts.saveDetailed ?? false,
    );
    const point: LoadPoint = { concurrency, isl: opts.isl, osl: opts.osl };
    return PointResult.parse({
      point,
      status,
      ...(failureReason ? { failureReason } : {}),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      bench,
      failures: m.failures,
      client,
      gpus,
      emulated: opts.emulated ?? false,
    });
  } finally {
    opts.signal?.removeEventListener("abort", forward);
    if (progressTimer) clearInterval(progressTimer);
    await Promise.all([pool, ...slotClients].map((c) => c.destroy().catch(() => {})));
  }
}
