/**
 * The verdicts and the result of a measured run: metrics (client or engine timing), the send-lag
 * and saturation verdict, the failure verdict, our result block and the `vllm bench serve` keys,
 * as one validated PointResult. Pure: the run's facts come in as arguments.
 */
import { type LoadPoint, PointResult } from "@benchfleet/shared";
import type { Calibration } from "./chat-calibration.js";
import { applyEngineTiming } from "./engine-timing.js";
import type { LabPromptSummary } from "./lab-prompt-set.js";
import type { LoadPointOptions } from "./load-options.js";
import type { LoadSettings } from "./load-settings.js";
import { computeMetrics, mean, type PointMetrics, percentile } from "./metrics.js";
import type { RequestRecord } from "./request-record.js";
import { type BenchfleetBlock, buildBenchResult, perGpu, summaryRecord } from "./result.js";
import { assessSaturation } from "./saturation.js";

export interface MeasuredRun {
  /** the measured requests and the span of the run on its clock (ns) */
  records: RequestRecord[];
  startNs: number;
  endNs: number;
  startedAt: Date;
  finishedAt: Date;
  /** CPU of the sending process(es) during the measured run */
  cpu: NodeJS.CpuUsage;
  /** event-loop delay of the worst sending loop, ms (the 1 ms sampling resolution removed) */
  loop: { p99Ms: number; maxMs: number };
  warm: { requests: number; failed: number } | undefined;
  /** text prompts: the calibration and whether a tokenizer's words were used */
  cal: Calibration | undefined;
  usedTokenizer: boolean;
  /** lab prompts: the tokenizer, template and how many prompts settled on their target */
  lab?: LabPromptSummary;
  /** where it ran: host name and Node version */
  host: string;
  node: string;
}

export function pointResult(opts: LoadPointOptions, s: LoadSettings, run: MeasuredRun): PointResult {
  const wallDurationS = (run.endNs - run.startNs) / 1e9;
  const { records, durationS } =
    opts.timing === "engine"
      ? applyEngineTiming(run.records, wallDurationS)
      : { records: run.records, durationS: wallDurationS };
  const m = computeMetrics(records, durationS, s.percentiles);
  const lags = sendLags(records, run.loop.p99Ms);
  const sat = assessSaturation(
    {
      sendLagP99Ms: lags.sendLagSteadyP99Ms,
      eventLoopDelayP99Ms: lags.eventLoopDelayP99Ms,
      meanTtftMs: m.ttftMs.mean,
      firstWaveMs: lags.firstWaveMs,
      durationMs: wallDurationS * 1000,
    },
    s.saturation,
  );
  const { status, failureReason } = failureVerdict(m, records, s.maxFail);
  const client = {
    sendLagP50Ms: lags.sendLagP50Ms,
    sendLagP99Ms: lags.sendLagP99Ms,
    sendLagSteadyP99Ms: lags.sendLagSteadyP99Ms,
    firstWaveMs: lags.firstWaveMs,
    eventLoopDelayP99Ms: lags.eventLoopDelayP99Ms,
    cpuUserMs: run.cpu.user / 1000,
    cpuSystemMs: run.cpu.system / 1000,
    workers: s.threads,
    saturated: sat.saturated,
    ...(sat.reason ? { saturationReason: sat.reason } : {}),
  };
  const totalTokens = m.totalOutputTokens;
  const okRecs = records.filter((x) => x.success);
  const block: BenchfleetBlock = {
    version: 1,
    status,
    ...(failureReason ? { failureReason } : {}),
    failures: m.failures,
    gpus: s.gpus,
    perGpu: perGpu(m, s.gpus),
    interactivity: summaryRecord(m.interactivity),
    client: {
      ...client,
      sendLagMeanMs: mean(lags.lagsMs),
      sendLagMaxMs: lags.lagsMs.length ? Math.max(...lags.lagsMs) : 0,
      sendLagLimitMs: sat.sendLagLimitMs,
      eventLoopDelayMaxMs: run.loop.maxMs,
      cpuUsPerOutputToken: totalTokens > 0 ? (run.cpu.user + run.cpu.system) / totalTokens : null,
      meanQueueTimeMs: mean(records.map((x) => x.queueNs / 1e6)),
    },
    prompts: promptsBlock(opts, s, run, okRecs),
    provenance: {
      tool: "benchfleet-loadgen",
      node: run.node,
      host: run.host,
      baseUrl: s.origin + s.prefix,
      endpoint: s.endpoint,
      firstChunkRule: opts.firstChunk ?? "content",
      exactOutput: opts.exactOutput ?? true,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt.toISOString(),
      emulated: opts.emulated ?? false,
      timing: opts.timing ?? "client",
    },
    ...(run.warm ? { warmup: run.warm } : {}),
  };
  if (opts.multiTurn) block.perTurn = perTurn(okRecs);
  const bench = buildBenchResult(
    {
      date: run.startedAt,
      backend: s.backend,
      endpointType: s.backend,
      label: opts.label ?? null,
      modelId: opts.model,
      tokenizerId: opts.tokenizerPath ?? null,
      numPrompts: s.numPrompts,
      requestRate: s.rate,
      burstiness: s.burstiness,
      maxConcurrency: s.concurrency,
      startUnixS: run.startedAt.getTime() / 1000,
      endUnixS: run.finishedAt.getTime() / 1000,
      metadata: opts.metadata,
    },
    m,
    records,
    block,
    opts.saveDetailed ?? false,
  );
  const point: LoadPoint = { concurrency: s.concurrency, isl: opts.isl, osl: opts.osl };
  return PointResult.parse({
    point,
    status,
    ...(failureReason ? { failureReason } : {}),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    bench,
    failures: m.failures,
    client,
    gpus: s.gpus,
    emulated: opts.emulated ?? false,
  });
}

/**
 * Send lag (actual send − scheduled send) over all requests, over the steady state (first wave
 * excluded: it is sent all at once by design), the first wave's worst, and the event-loop delay
 * verdict input (the worst of this loop and the workers').
 */
export function sendLags(records: readonly RequestRecord[], loopP99Ms: number) {
  const lagMs = (x: RequestRecord) => Math.max(0, x.startNs - x.scheduledNs) / 1e6;
  const lagsMs = records.map(lagMs);
  const steadyLagsMs = records.filter((x) => !x.firstWave).map(lagMs);
  const firstWave = records.filter((x) => x.firstWave);
  return {
    lagsMs,
    sendLagP50Ms: percentile(lagsMs, 50),
    sendLagP99Ms: percentile(lagsMs, 99),
    sendLagSteadyP99Ms: steadyLagsMs.length ? percentile(steadyLagsMs, 99) : 0,
    firstWaveMs: firstWave.length ? Math.max(...firstWave.map(lagMs)) : 0,
    eventLoopDelayP99Ms: loopP99Ms,
  };
}

/** A point fails when nothing completed or more than `maxFail` of its requests failed; the reason names them. */
export function failureVerdict(
  m: PointMetrics,
  records: readonly RequestRecord[],
  maxFail: number,
): { status: "ok" | "failed"; failureReason?: string } {
  const failedFrac = m.failed / Math.max(1, records.length);
  if (m.completed > 0 && failedFrac <= maxFail) return { status: "ok" };
  const by = Object.entries(m.failures)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}×${v}`)
    .join(", ");
  const firstErr = records.find((x) => !x.success)?.error;
  return {
    status: "failed",
    failureReason: `${m.failed} of ${records.length} requests failed (${(failedFrac * 100).toFixed(1)} % > ${(maxFail * 100).toFixed(0)} %): ${by}${firstErr ? `; first error: ${firstErr.slice(0, 200)}` : ""}`,
  };
}

function promptsBlock(
  opts: LoadPointOptions,
  s: LoadSettings,
  run: MeasuredRun,
  okRecs: readonly RequestRecord[],
): BenchfleetBlock["prompts"] {
  const mismatch = okRecs.map((x) => x.promptTokens - x.targetPromptTokens);
  return {
    format: s.format,
    rangeRatio: s.ratio,
    rangeMode: s.mode,
    seed: s.seed,
    ...(s.format === "ids" ? { vocab: s.vocab } : {}),
    ...(run.cal ? { calibration: run.cal } : {}),
    ...(run.usedTokenizer ? { tokenizer: opts.tokenizerPath } : {}),
    ...(run.lab ? { lab: run.lab } : {}),
    promptTokenMismatch: {
      requests: mismatch.length,
      exact: mismatch.filter((d) => d === 0).length,
      meanAbs: mean(mismatch.map(Math.abs)),
      max: mismatch.length ? Math.max(...mismatch.map(Math.abs)) : 0,
    },
    outputLengthMismatches: okRecs.filter((x) => x.outputTokens !== x.targetOutputTokens).length,
    usageMissing: okRecs.filter((x) => !x.usageReported).length,
    ...(opts.multiTurn ? { multiTurn: opts.multiTurn } : {}),
  };
}

/** multi-turn: requests, mean TTFT and mean prompt tokens per turn number */
function perTurn(okRecs: readonly RequestRecord[]): BenchfleetBlock["perTurn"] {
  const turns = new Map<number, RequestRecord[]>();
  for (const x of okRecs) turns.set(x.turn ?? 0, [...(turns.get(x.turn ?? 0) ?? []), x]);
  return [...turns.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([turn, xs]) => ({
      turn,
      requests: xs.length,
      meanTtftMs: mean(xs.map((x) => x.ttftNs / 1e6)),
      meanPromptTokens: mean(xs.map((x) => x.promptTokens)),
    }));
}
