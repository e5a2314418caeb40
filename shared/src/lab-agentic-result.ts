/**
 * The reference lab's agentic result file (the JSON its `utils/agentic/aggregation/
 * process_agentic_result.py` writes from an AIPerf replay: `scenario_type: "agentic-coding"`,
 * `request_metrics` with latency stats in seconds as mean/p50/p75/p90/p95/std, throughput and
 * per-GPU throughput, `server_metrics` with the engine's cache hit rates, `request_accounting`)
 * read as the point it measured. Used by `results import` and by script mode, where the lab's own
 * agentic script leaves it as `$RESULT_FILENAME.json`. What the file does not carry (p99 latencies,
 * trajectories completed, the gap cap, warm-up details) is left at 0 or out.
 */
import type { AgenticPointStats } from "./agentic-result.js";
import type { LoadPoint } from "./deployment.js";
import type { EngineMetrics } from "./engine-metrics.js";
import type { PointResult } from "./results.js";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A lab agentic result file that is not one, or lacks a figure; the message names where. */
export class LabAgenticResultError extends Error {}

/** Is this object one of the lab's agentic result files? */
export function isLabAgenticResult(v: unknown): boolean {
  return isObj(v) && v.scenario_type === "agentic-coding" && isObj(v.request_metrics);
}

/** the lab's failed-request gate (AIPERF_FAILED_REQUEST_THRESHOLD) */
export const LAB_FAILURE_THRESHOLD = 0.1;

function obj(v: unknown, key: string, where: string): Json {
  if (!isObj(v)) throw new LabAgenticResultError(`${where}: "${key}" must be an object, got ${JSON.stringify(v)}`);
  return v;
}

function numAt(o: Json, path: string, where: string, optional: true): number | null;
function numAt(o: Json, path: string, where: string, optional?: false): number;
function numAt(o: Json, path: string, where: string, optional = false): number | null {
  let v: unknown = o;
  for (const k of path.split(".")) v = isObj(v) ? v[k] : undefined;
  if (v === undefined || v === null) {
    if (optional) return null;
    throw new LabAgenticResultError(`${where}: "${path}" is missing`);
  }
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new LabAgenticResultError(`${where}: "${path}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function labStrAt(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "")
    throw new LabAgenticResultError(`${where}: "${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** lab stats in seconds (mean, p50, …) → our summary in ms (median for p50) */
function msSummary(stats: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObj(stats)) return out;
  for (const [k, v] of Object.entries(stats))
    if (typeof v === "number" && Number.isFinite(v)) out[k === "p50" ? "median" : k] = v * 1000;
  return out;
}

/** lab stats as they are (tokens/s per user), p50 as median */
function summary(stats: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObj(stats)) return out;
  for (const [k, v] of Object.entries(stats))
    if (typeof v === "number" && Number.isFinite(v)) out[k === "p50" ? "median" : k] = v;
  return out;
}

/** GPUs behind the point as the lab counts them */
function gpusOf(a: Json, where: string): PointResult["gpus"] {
  if (a.is_multinode === true) {
    const prefill = numAt(a, "num_prefill_gpu", where);
    const decode = numAt(a, "num_decode_gpu", where);
    if (prefill + decode <= 0)
      throw new LabAgenticResultError(`${where}: no GPUs (num_prefill_gpu + num_decode_gpu is 0)`);
    return { total: prefill + decode, prefill, decode };
  }
  const tp = numAt(a, "tp", where);
  const total = tp * (numAt(a, "pp", where, true) ?? 1) * (numAt(a, "pcp_size", where, true) ?? 1);
  if (!Number.isInteger(total) || total <= 0)
    throw new LabAgenticResultError(`${where}: "tp" must be a positive integer`);
  return { total, prefill: 0, decode: 0 };
}

function engineOf(framework: string): "vllm" | "sglang" | "unknown" {
  if (framework.includes("vllm")) return "vllm";
  if (framework.includes("sglang")) return "sglang";
  return "unknown";
}

/** the engine's cache figures of the file as one role of engine metrics (null: the file has none) */
function engineMetricsOf(a: Json, framework: string): EngineMetrics | undefined {
  const server = isObj(a.server_metrics) ? a.server_metrics : {};
  const cache = isObj(server.cache) ? server.cache : {};
  const kv = isObj(server.kv_cache) ? server.kv_cache : {};
  const n = (o: Json, k: string) => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : null);
  const hitRate = n(cache, "overall_cache_hit_rate") ?? n(cache, "gpu_cache_hit_rate");
  const hits = n(cache, "prefix_cache_hits");
  const queries = n(cache, "prefix_cache_queries");
  const extHits = n(cache, "external_prefix_cache_hits");
  const extQueries = n(cache, "external_prefix_cache_queries");
  const kvUse = n(kv, "gpu_usage_pct");
  if (hitRate === null && hits === null && kvUse === null) return undefined;
  // the overall rate counts GPU and host-tier hits; the GPU counters alone would under-count it
  const overall = n(cache, "overall_cache_hit_rate");
  return {
    // the lab's AIPerf slices the server metrics by 1 s (--slice-duration 1.0)
    intervalMs: 1000,
    roles: [
      {
        role: "worker",
        process: "imported",
        url: "",
        engine: engineOf(framework),
        scrapes: 0,
        failedScrapes: 0,
        kvCacheUsage: kvUse === null ? null : { mean: kvUse, max: kvUse },
        requestsRunning: null,
        requestsWaiting: null,
        prefixCache: {
          hitRate,
          hitTokens: overall === null ? hits : null,
          queryTokens: overall === null ? queries : null,
        },
        specDecode: null,
        preemptions: null,
        offload:
          extHits === null && extQueries === null
            ? null
            : { externalHitTokens: extHits, externalQueryTokens: extQueries, loadedTokens: null },
      },
    ],
  };
}

/**
 * One lab agentic result file as the point it measured (`date`: when, where the file has no
 * `date`). The GPUs are the file's (tp × pp × pcp, or the pools'); `emulated` false. Throws a
 * LabAgenticResultError naming `where` and the figure when one is missing or not a number.
 */
export function labAgenticPoint(a: Json, where: string, date: string): PointResult {
  const concurrency = numAt(a, "conc", where);
  if (!Number.isInteger(concurrency) || concurrency <= 0)
    throw new LabAgenticResultError(`${where}: "conc" must be a positive integer, got ${JSON.stringify(a.conc)}`);
  const model = labStrAt(a, "model", where);
  const framework = labStrAt(a, "framework", where);
  const gpus = gpusOf(a, where);
  const rm = obj(a.request_metrics, "request_metrics", where);
  const tput = obj(rm.throughput, "request_metrics.throughput", where);
  const durationS = numAt(tput, "duration_seconds", `${where}: request_metrics.throughput`);
  const inputPerS = numAt(tput, "input.tokens_per_second", `${where}: request_metrics.throughput`);
  const outputPerS = numAt(tput, "output.tokens_per_second", `${where}: request_metrics.throughput`);
  const totalPerS = numAt(tput, "total.tokens_per_second", `${where}: request_metrics.throughput`);
  const latency = obj(rm.latency, "request_metrics.latency", where);
  const acct = isObj(a.request_accounting) ? a.request_accounting : {};
  const completed = numAt(a, "num_requests_successful", where);
  const failed = numAt(acct, "records_error_dropped", where, true) ?? 0;
  const tokens = isObj(rm.tokens) ? rm.tokens : {};
  const meanIn = numAt(tokens, "input.mean", where, true);
  const meanOut = numAt(tokens, "output_actual.mean", where, true);
  const dataset = isObj(a.dataset) ? a.dataset : {};
  const datasetName =
    typeof dataset.hf_dataset_name === "string"
      ? dataset.hf_dataset_name
      : typeof dataset.loader === "string"
        ? dataset.loader
        : "the lab's trace";
  const ttft = msSummary(latency.ttft);
  const itl = msSummary(latency.itl);
  const e2el = msSummary(latency.e2el);
  const interactivity = summary(latency.intvty);
  const errorRatio = failed / Math.max(1, completed + failed);
  const agentic: AgenticPointStats = {
    trace: {
      source: datasetName,
      trajectories: typeof dataset.num_dataset_entries === "number" ? dataset.num_dataset_entries : 0,
      turns: 0,
    },
    concurrency,
    durationS,
    measuredS: durationS,
    requests: { completed, failed, cutAtEnd: 0 },
    errorRatio,
    failureThreshold: LAB_FAILURE_THRESHOLD,
    trajectories: { started: 0, completed: 0 },
    throughput: {
      requestsPerS: completed / durationS,
      inputTokensPerS: inputPerS,
      outputTokensPerS: outputPerS,
      totalTokensPerS: totalPerS,
      totalTokensPerGpu: totalPerS / gpus.total,
      outputTokensPerGpu: outputPerS / gpus.total,
    },
    ttftMs: ttft,
    itlMs: itl,
    e2elMs: e2el,
    interactivity,
    meanInputTokens: meanIn ?? 0,
    meanOutputTokens: meanOut ?? 0,
    gaps: { capMs: 0, capped: 0, meanSleptMs: 0 },
    warmup: {
      requests: numAt(acct, "records_warmup_dropped", where, true) ?? 0,
      failed: 0,
      startRatio: [0, 0],
      requestsPerLane: 0,
    },
  };
  const engineMetrics = engineMetricsOf(a, framework);
  const over = errorRatio > LAB_FAILURE_THRESHOLD;
  return {
    point: { concurrency, isl: 0, osl: 0 },
    status: over ? "failed" : "ok",
    ...(over ? { failureReason: `${failed} of ${completed + failed} requests failed (over the lab's 10 % gate)` } : {}),
    startedAt: date,
    finishedAt: date,
    bench: {
      date,
      backend: "openai-chat",
      model_id: model,
      num_prompts: completed + failed,
      request_rate: "inf",
      burstiness: 1,
      max_concurrency: concurrency,
      duration: durationS,
      completed,
      failed,
      total_input_tokens: Math.round(inputPerS * durationS),
      total_output_tokens: Math.round(outputPerS * durationS),
      request_throughput: completed / durationS,
      output_throughput: outputPerS,
      total_token_throughput: totalPerS,
      ...(ttft.median !== undefined ? { median_ttft_ms: ttft.median } : {}),
      ...(itl.median !== undefined ? { median_tpot_ms: itl.median, median_itl_ms: itl.median } : {}),
      ...(e2el.median !== undefined ? { median_e2el_ms: e2el.median } : {}),
    },
    failures: failed ? { error: failed } : {},
    agentic,
    ...(engineMetrics ? { engineMetrics } : {}),
    gpus,
    emulated: false,
  };
}

/**
 * The lab agentic result file a script-mode run left, as the point it measured: the point as
 * planned, its GPUs, marked `measuredBy: "lab-script"`, started at `startedAt` (the file has no
 * time). Throws a LabAgenticResultError naming `where` when the JSON is not such a file or is for
 * another concurrency.
 */
export function pointFromLabAgenticResult(
  json: unknown,
  where: string,
  point: LoadPoint,
  gpus: PointResult["gpus"],
  emulated: boolean,
  startedAt: string,
): PointResult {
  if (!isLabAgenticResult(json))
    throw new LabAgenticResultError(
      `${where}: not the lab's agentic result (an object with scenario_type "agentic-coding" and request_metrics)`,
    );
  const finishedAt = new Date().toISOString();
  const r = labAgenticPoint(json as Json, where, finishedAt);
  if (r.point.concurrency !== point.concurrency)
    throw new LabAgenticResultError(
      `${where}: the result is for concurrency ${r.point.concurrency}, the point is concurrency ${point.concurrency}`,
    );
  return { ...r, point, startedAt, finishedAt, gpus, emulated, measuredBy: "lab-script" };
}
