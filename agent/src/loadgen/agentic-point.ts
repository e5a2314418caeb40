/**
 * One agentic point: load the trace, calibrate text against the server, replay the trace for the
 * measured duration (agentic-replay-run.ts; on `workers` threads each replays its share of the
 * lanes, worker-shards.ts) and return a PointResult whose `bench` keys cover the
 * measured turns and whose `agentic` block has the replay's own figures. The point fails when more
 * than the accepted fraction of turns failed (the lab's gate, 10 % by default, judged once over all
 * threads' turns) or when the live error gate (agentic-error-gate.ts, one for the point) stopped
 * the run.
 */
import { randomInt } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { AGENTIC_CLIENT_DEFAULTS, PointResult } from "@benchfleet/shared";
import { LiveErrorGate, localGate } from "./agentic-error-gate.js";
import { type ReplayOutcome, type ReplaySettings, type ReplaySummary, runAgenticReplay } from "./agentic-replay-run.js";
import { agenticStats } from "./agentic-stats.js";
import { calibrate, wordsFromTokenizer } from "./chat-calibration.js";
import { applyEngineTiming } from "./engine-timing.js";
import { LiveCounters } from "./live-counters.js";
import type { LoadPointOptions } from "./load-options.js";
import type { LoadSettings } from "./load-settings.js";
import { computeMetrics } from "./metrics.js";
import { pointResult } from "./point-result.js";
import { type BodyOptions, buildBody, chatBodyAround } from "./request-body.js";
import type { RequestRecord } from "./request-record.js";
import { abortError, nowNs, type RunContext } from "./run-context.js";
import { SlotConnections } from "./slot-connections.js";
import { loadTrace } from "./trace-source.js";
import { runInWorkers } from "./worker-shards.js";

/** the lab's (build_replay_cmd's, shared/src/agentic-client.ts) */
const DEFAULTS = {
  graceS: AGENTIC_CLIENT_DEFAULTS.graceS,
  gapCapS: AGENTIC_CLIENT_DEFAULTS.gapCapS,
  startRatio: [0.25, 0.75] as [number, number],
  warmupRequestsPerLane: AGENTIC_CLIENT_DEFAULTS.warmupRequestsPerLane,
  warmupGraceS: AGENTIC_CLIENT_DEFAULTS.warmupGraceS,
  /** the lab scenario's whole-system idle cap */
  systemIdleCapS: 10,
};

export async function runAgenticPoint(opts: LoadPointOptions, s: LoadSettings): Promise<PointResult> {
  const a = opts.agentic!;
  const trace = loadTrace(a.trace);
  // stops the replay: the caller's signal, the end of the grace period, the live error gate
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const forward = () => stop.abort(opts.signal!.reason);
  if (opts.signal?.aborted) forward();
  else opts.signal?.addEventListener("abort", forward, { once: true });
  const connections = new SlotConnections(s.origin, opts);
  const t0 = process.hrtime.bigint();
  let counters: LiveCounters | undefined;
  const aborted = () => {
    if (opts.signal?.aborted) throw abortError(opts.signal);
  };
  try {
    aborted();
    const words = opts.tokenizerPath ? wordsFromTokenizer(opts.tokenizerPath) : undefined;
    const cal = await calibrate(
      connections.pool,
      s.origin,
      s.endpoint,
      opts.model,
      words,
      opts.headers,
      stop.signal,
    ).catch((err) => {
      aborted();
      throw new Error(`cannot calibrate text prompt length against ${s.origin}${s.path}: ${(err as Error).message}`);
    });
    // an engine on a compressed clock (the emulator's time scale) replays the trace's time compressed alike
    const scale = a.clockScale ?? (opts.timing === "engine" ? await engineTimeScale(connections, s) : 1);
    // one keyspace for the point's run, shared by its threads
    const keyspace = a.keyspace ?? randomInt(1, 2 ** 31);
    counters = new LiveCounters(() => nowNs(t0), opts.onProgress, opts.progressIntervalMs);
    const r: ReplaySettings = {
      durationMs: a.durationS * 1000,
      graceMs: (a.graceS ?? DEFAULTS.graceS) * 1000,
      gapCapMs: (a.gapCapS ?? DEFAULTS.gapCapS) * 1000,
      clockScale: scale,
      startRatio: a.startRatio ?? DEFAULTS.startRatio,
      warmupRequestsPerLane: a.warmupRequestsPerLane ?? DEFAULTS.warmupRequestsPerLane,
      warmupGraceMs: (a.warmupGraceS ?? DEFAULTS.warmupGraceS) * 1000,
      keyspace,
      systemIdleCapMs: (a.systemIdleCapS ?? DEFAULTS.systemIdleCapS) * 1000,
      sessionHeaders: a.sessionHeaders ?? [],
      liveFailureThreshold: a.liveFailureThreshold ?? s.maxFail,
      maxContextTokens: a.maxContextTokens,
      seed: s.seed,
      tokensPerWord: cal.tokensPerWord,
      words,
    };
    const bodyOptions = (outputLen: number): BodyOptions => ({
      model: opts.model,
      endpoint: s.endpoint,
      outputLen,
      exactOutput: opts.exactOutput ?? true,
      stream: true,
      extraBody: opts.extraBody,
    });
    // a body's head and closing tail per output length, as bytes: the history goes between them
    const around = new Map<number, [Buffer, Buffer]>();
    const chatBodyBytes = (outputLen: number, messagesJson: Buffer): Buffer => {
      let parts = around.get(outputLen);
      if (!parts) {
        const a = chatBodyAround(bodyOptions(outputLen))!;
        parts = [Buffer.from(a.head), Buffer.from(`]${a.tail}`)];
        around.set(outputLen, parts);
      }
      return Buffer.concat([parts[0], messagesJson, parts[1]]);
    };
    const ctx: RunContext = {
      t0,
      signal: stop.signal,
      concurrency: s.concurrency,
      shard: opts.shard,
      connections,
      counters,
      cal,
      words,
      promptFor: () => {
        throw new Error("trace replay builds its prompts from the trace");
      },
      body: (outputLen, prompt) => buildBody(bodyOptions(outputLen), prompt),
      ...(s.endpoint === "/v1/chat/completions" && chatBodyAround(bodyOptions(1)) ? { chatBodyBytes } : {}),
      closedLoopHints: false,
      streamOptions: (body, keepText) => ({
        t0,
        path: s.path,
        body,
        headers: opts.headers,
        rule: opts.firstChunk,
        keepText,
        headersTimeoutMs: opts.headersTimeoutMs,
        bodyTimeoutMs: opts.bodyTimeoutMs,
        signal: stop.signal,
      }),
    };

    const eld = monitorEventLoopDelay({ resolution: 1 });
    const startedAt = new Date();
    const cpu0 = process.cpuUsage();
    eld.enable();
    let out: ReplayOutcome;
    const gate = new LiveErrorGate(r.liveFailureThreshold, s.concurrency);
    /** worker threads: their CPU from the barrier on, and the worst thread's event-loop delay */
    let fromWorkers: { cpu: NodeJS.CpuUsage; loop: { p99Ms: number; maxMs: number } } | undefined;
    if (s.threads > 1) {
      // the threads replay on this thread's clock scale (they cannot ask the engine themselves)
      const w = await runInWorkers(
        { ...opts, agentic: { ...a, clockScale: scale, keyspace } },
        s.threads,
        t0,
        stop.signal,
        gate,
      );
      fromWorkers = w;
      out = mergeReplays(w, nowNs(t0));
    } else {
      // a thread of a sharded point counts into its parent's gate; a point on one thread decides here
      out = await runAgenticReplay(ctx, trace, r, stop, opts.errorGate ?? localGate(gate), opts.beforeMeasured);
      const { records: _r, startNs: _s, endNs: _e, ...summary } = out;
      opts.onReplaySummary?.(summary);
    }
    eld.disable();
    const cpu = fromWorkers?.cpu ?? process.cpuUsage(cpu0);
    const finishedAt = new Date();
    counters.stop();
    aborted();
    opts.onRecords?.(out.records, t0);

    const res = pointResult(opts, s, {
      records: out.records,
      startNs: out.startNs,
      endNs: out.endNs,
      startedAt,
      finishedAt,
      cpu,
      loop: {
        p99Ms: Math.max(0, eld.percentile(99) / 1e6 - 1, fromWorkers?.loop.p99Ms ?? 0),
        maxMs: Math.max(0, eld.max / 1e6 - 1, fromWorkers?.loop.maxMs ?? 0),
      },
      warm: out.warm,
      cal,
      usedTokenizer: words !== undefined,
      host: hostname(),
      node: process.version,
    });
    const wallS = (out.endNs - out.startNs) / 1e9;
    const timed =
      opts.timing === "engine" ? applyEngineTiming(out.records, wallS) : { records: out.records, durationS: wallS };
    const m = computeMetrics(timed.records, timed.durationS, s.percentiles);
    const stopped = out.stoppedEarly
      ? { status: "failed" as const, failureReason: `stopped early: ${out.stoppedEarly}` }
      : {};
    return PointResult.parse({
      ...res,
      ...stopped,
      point: { concurrency: s.concurrency, isl: 0, osl: 0, durationS: Math.max(1, Math.round(a.durationS)) },
      agentic: agenticStats(trace, r, out, m, s.concurrency, s.gpus, s.maxFail),
    });
  } finally {
    opts.signal?.removeEventListener("abort", forward);
    counters?.stop();
    await connections.destroy();
  }
}

/** one replay of the threads' records and figures; the live error gate's verdict is the point's one gate's */
function mergeReplays(
  w: {
    records: RequestRecord[];
    startNs: number;
    endNs: number;
    warm: ReplayOutcome["warm"];
    replays: ReplaySummary[];
    stoppedEarly?: string;
  },
  nowNs: number,
): ReplayOutcome {
  const sum = (f: (x: ReplaySummary) => number) => w.replays.reduce((acc, x) => acc + f(x), 0);
  const stoppedEarly = w.stoppedEarly;
  const any = w.records.length > 0;
  return {
    warm: w.warm,
    warmCancelled: sum((x) => x.warmCancelled),
    records: w.records,
    startNs: any ? w.startNs : nowNs,
    endNs: any ? w.endNs : nowNs,
    cutAtEnd: sum((x) => x.cutAtEnd),
    trajectoriesStarted: sum((x) => x.trajectoriesStarted),
    trajectoriesCompleted: sum((x) => x.trajectoriesCompleted),
    gapsCapped: sum((x) => x.gapsCapped),
    slept: { totalMs: sum((x) => x.slept.totalMs), gaps: sum((x) => x.slept.gaps) },
    systemIdle: { advances: sum((x) => x.systemIdle.advances), advancedMs: sum((x) => x.systemIdle.advancedMs) },
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/** wall seconds per engine second, as the benchfleet emulator reports it in /v1/models (1 elsewhere) */
async function engineTimeScale(connections: SlotConnections, s: LoadSettings): Promise<number> {
  try {
    const res = await connections.pool.request({ path: `${s.prefix}/v1/models`, method: "GET" });
    const body = (await res.body.json()) as { data?: Array<{ benchfleet?: { time_scale?: unknown } }> };
    const v = body.data?.[0]?.benchfleet?.time_scale;
    return typeof v === "number" && v > 0 ? v : 1;
  } catch {
    return 1;
  }
}
