/**
 * runLoadPoint: drives one load point (concurrency, ISL, OSL) against an OpenAI-compatible server
 * and returns a `PointResult` (shared/src/results.ts): the vLLM result keys plus our block, client
 * stats with the saturation verdict, failures by reason, status.
 *
 * Traffic: closed loop of `concurrency` slots; with a finite request rate, requests are due at
 * gamma/Poisson arrival times and wait for a free slot (the wait is `queue time`). Warmups run
 * first at the same concurrency, Poisson-paced at their own rate when one is given (sa-bench's
 * warm-up run), and are not measured. With `freshConnections` every request opens a new connection. Send lag = actual send time - scheduled time,
 * where scheduled = max(arrival, the moment the slot was freed). The duration runs from the first
 * dispatch until the last request finishes (vLLM's `dur_s`).
 * Cancel with `signal`: in-flight requests are aborted and the promise rejects with the reason.
 */

import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { PointResult } from "@benchfleet/shared";
import { FOLLOW_UP_HEADER, WAVE_HEADER } from "../emulator/wire.js";
import { runAgenticPoint } from "./agentic-point.js";
import { arrivalTimes } from "./arrivals.js";
import { type Calibration, calibrate, wordsForTokens, wordsFromTokenizer } from "./chat-calibration.js";
import { type LabPrompts, prepareLabPrompts } from "./lab-prompt-set.js";
import { LiveCounters } from "./live-counters.js";
import type { LoadPointOptions } from "./load-options.js";
import { type LoadSettings, resolveLoadSettings } from "./load-settings.js";
import { runMultiTurn } from "./multi-turn-run.js";
import { pointResult } from "./point-result.js";
import { type PromptSpec, sampleLengths, textPrompt, tokenIdPrompt } from "./prompts.js";
import { buildBody } from "./request-body.js";
import { abortError, nowNs, type PhaseRecords, type RunContext } from "./run-context.js";
import { runSingleTurn } from "./single-turn-run.js";
import { SlotConnections } from "./slot-connections.js";
import { runInWorkers } from "./worker-shards.js";

export type { LoadPointOptions, LoadProgress } from "./load-options.js";

/** the prompt stream of the warmups (apart from the measured prompts' `seed`) */
const WARMUP_STREAM = 0x77a;

export async function runLoadPoint(opts: LoadPointOptions): Promise<PointResult> {
  const s = resolveLoadSettings(opts);
  if (opts.agentic) return runAgenticPoint(opts, s);
  // one linked signal for all requests (each in-flight request listens on it)
  const linked = new AbortController();
  setMaxListeners(0, linked.signal);
  const forward = () => linked.abort(opts.signal!.reason);
  if (opts.signal?.aborted) forward();
  else opts.signal?.addEventListener("abort", forward, { once: true });
  const signal = opts.signal ? linked.signal : undefined;
  const connections = new SlotConnections(s.origin, opts);
  const t0 = process.hrtime.bigint();
  let counters: LiveCounters | undefined;
  try {
    if (signal?.aborted) throw abortError(signal);
    const prompts = await preparePrompts(opts, s, connections, signal);
    counters = new LiveCounters(() => nowNs(t0), opts.onProgress, opts.progressIntervalMs);
    const ctx = runContext(opts, s, { t0, signal, connections, counters, ...prompts });
    const run = (list: PromptSpec[], streamSeed: number, arrivalsS: number[], keepText: boolean) =>
      opts.multiTurn
        ? runMultiTurn(ctx, list, streamSeed, opts.multiTurn)
        : runSingleTurn(ctx, list, streamSeed, arrivalsS, keepText);

    // ---- warmup
    let warm: { requests: number; failed: number } | undefined;
    if (s.warmups > 0 && s.threads === 1) {
      counters.startPhase("warmup", s.warmups);
      const warmArrivals = arrivalTimes(s.warmups, s.warmupRate, 1, s.seed + WARMUP_STREAM);
      const w = await run(prompts.warmSpecs, s.seed + WARMUP_STREAM, warmArrivals, false);
      if (signal?.aborted) throw abortError(signal);
      warm = { requests: w.records.length, failed: w.records.filter((r) => r && !r.success).length };
    }

    // ---- measured run
    counters.startPhase("run", s.numPrompts);
    counters.resetCounts();
    const arrivals = arrivalTimes(s.numPrompts, s.rate, s.burstiness, s.seed);
    const eld = monitorEventLoopDelay({ resolution: 1 });
    const startedAt = new Date();
    const cpu0 = process.cpuUsage();
    eld.enable();
    await opts.beforeMeasured?.();
    let r: PhaseRecords;
    /** worker threads: their CPU from the barrier on, and the worst thread's event-loop delay */
    let fromWorkers: { cpu: NodeJS.CpuUsage; loop: { p99Ms: number; maxMs: number } } | undefined;
    if (s.threads > 1) {
      const w = await runInWorkers(opts, s.threads, t0, signal);
      r = w;
      fromWorkers = w;
      if (s.warmups > 0) warm = w.warm;
    } else r = await run(prompts.specs, s.seed, arrivals, opts.saveDetailed ?? false);
    eld.disable();
    const cpu = fromWorkers?.cpu ?? process.cpuUsage(cpu0);
    const finishedAt = new Date();
    counters.stop();
    if (signal?.aborted) throw abortError(signal);
    opts.onRecords?.(r.records, t0);

    // ---- metrics and verdicts
    return pointResult(opts, s, {
      ...r,
      startedAt,
      finishedAt,
      cpu,
      loop: {
        p99Ms: Math.max(0, eld.percentile(99) / 1e6 - 1, fromWorkers?.loop.p99Ms ?? 0),
        maxMs: Math.max(0, eld.max / 1e6 - 1, fromWorkers?.loop.maxMs ?? 0),
      },
      warm,
      cal: prompts.cal,
      usedTokenizer: prompts.words !== undefined,
      ...(prompts.lab ? { lab: prompts.lab.summary } : {}),
      host: hostname(),
      node: process.version,
    });
  } finally {
    opts.signal?.removeEventListener("abort", forward);
    counters?.stop();
    await connections.destroy();
  }
}

interface Prompts {
  specs: PromptSpec[];
  warmSpecs: PromptSpec[];
  cal: Calibration | undefined;
  words: string[] | undefined;
  /** lab prompts: their texts by stream and index */
  lab?: LabPrompts;
}

/** The lengths of the measured and warmup prompts; text prompts are calibrated against the server first. */
async function preparePrompts(
  opts: LoadPointOptions,
  s: LoadSettings,
  connections: SlotConnections,
  signal: AbortSignal | undefined,
): Promise<Prompts> {
  if (s.format === "lab")
    return prepareLabPrompts(opts, s, [
      { seed: s.seed, n: s.numPrompts },
      { seed: s.seed + WARMUP_STREAM, n: s.warmups },
    ]);
  const words = opts.tokenizerPath ? wordsFromTokenizer(opts.tokenizerPath) : undefined;
  let cal: Calibration | undefined;
  if (s.format === "text")
    cal = await calibrate(connections.pool, s.origin, s.endpoint, opts.model, words, opts.headers, signal).catch(
      (err) => {
        if (signal?.aborted) throw abortError(signal);
        throw new Error(`cannot calibrate text prompt length against ${s.origin}${s.path}: ${(err as Error).message}`);
      },
    );
  return {
    specs: sampleLengths(s.numPrompts, opts.isl, opts.osl, s.ratio, s.mode, s.seed),
    warmSpecs: sampleLengths(s.warmups, opts.isl, opts.osl, s.ratio, s.mode, s.seed + WARMUP_STREAM),
    cal,
    words,
  };
}

/** What both request loops need: prompts and request bodies by the settings, the run's clock and connections. */
function runContext(
  opts: LoadPointOptions,
  s: LoadSettings,
  parts: Pick<RunContext, "t0" | "signal" | "connections" | "counters" | "cal" | "words"> & { lab?: LabPrompts },
): RunContext {
  const { t0, signal, cal, words, lab, ...rest } = parts;
  return {
    ...rest,
    t0,
    signal,
    cal,
    words,
    concurrency: s.concurrency,
    shard: opts.shard,
    promptFor: (p, streamSeed) =>
      lab
        ? lab.text(streamSeed, p.index)
        : s.format === "ids"
          ? tokenIdPrompt(streamSeed, p.index, p.inputLen, s.vocab)
          : textPrompt(streamSeed, p.index, wordsForTokens(p.inputLen, cal!), words),
    body: (outputLen, prompt) =>
      buildBody(
        {
          model: opts.model,
          endpoint: s.endpoint,
          outputLen,
          exactOutput: opts.exactOutput ?? true,
          stream: true,
          extraBody: opts.extraBody,
        },
        prompt,
      ),
    closedLoopHints: opts.followUpHint ?? opts.timing === "engine",
    streamOptions: (body, keepText, closedLoop) => ({
      t0,
      path: s.path,
      body,
      headers: closedLoopHeaders(opts, closedLoop),
      rule: opts.firstChunk,
      keepText,
      headersTimeoutMs: opts.headersTimeoutMs,
      bodyTimeoutMs: opts.bodyTimeoutMs,
      ...(s.fresh ? { freshConnection: true } : {}),
      signal,
    }),
  };
}

/** The request's headers with the closed-loop hints, when the engine is to hear them. */
function closedLoopHeaders(
  opts: LoadPointOptions,
  closedLoop: { followUp: boolean; wave?: number } | undefined,
): Record<string, string> | undefined {
  if (!closedLoop || !(opts.followUpHint ?? opts.timing === "engine")) return opts.headers;
  const extra: Record<string, string> = {};
  if (closedLoop.followUp) extra[FOLLOW_UP_HEADER] = "1";
  if ((closedLoop.wave ?? 1) > 1) extra[WAVE_HEADER] = String(closedLoop.wave);
  return Object.keys(extra).length ? { ...opts.headers, ...extra } : opts.headers;
}
