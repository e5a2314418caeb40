/**
 * benchfleet's agentic replay of one point written as the lab's aggregated agentic result (the
 * JSON InferenceX's `utils/agentic/aggregation/process_agentic_result.py` writes to
 * `$RESULT_FILENAME.json`), for lab agentic scripts run on the emulated fleet. The run's identity
 * comes from the script's environment as the lab's aggregator reads it (RUNNER_TYPE, CONC, MODEL,
 * TP, KV_OFFLOADING, KV_OFFLOAD_BACKEND_METADATA, TOTAL_CPU_DRAM_GB, ...); latencies are in
 * seconds with `p50` for the median, as the lab's `request_metrics.latency`; the engine's cache
 * figures go in `server_metrics.cache` and `kv_cache`. Pure.
 */
import type { EngineMetrics, PointResult } from "@benchfleet/shared";

type Env = Readonly<Record<string, string | undefined>>;

const int = (env: Env, k: string, dflt: number) => {
  const v = Number(env[k]);
  return Number.isInteger(v) && env[k] !== "" ? v : dflt;
};
const truthy = (v: string | undefined) => ["1", "true", "yes"].includes((v ?? "").toLowerCase());

/** our summary (ms, `median`) as the lab's stats in seconds (`p50`) */
function seconds(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k === "median" ? "p50" : k, v / 1000]));
}

/** our summary as the lab's (`p50` for the median), values as they are */
function asIs(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k === "median" ? "p50" : k, v]));
}

const sum = (vs: Array<number | null | undefined>): number | null => {
  const ns = vs.filter((v): v is number => typeof v === "number");
  return ns.length ? ns.reduce((a, b) => a + b, 0) : null;
};

/** the engine's cache figures as the lab's `server_metrics` (null where the engine gave none) */
function serverMetrics(m: EngineMetrics | undefined) {
  const roles = m?.roles ?? [];
  const hits = sum(roles.map((r) => r.prefixCache?.hitTokens));
  const queries = sum(roles.map((r) => r.prefixCache?.queryTokens));
  const rates = roles.map((r) => r.prefixCache?.hitRate).filter((v): v is number => typeof v === "number");
  const gpuRate = hits !== null && queries ? hits / queries : rates.length ? rates[0]! : null;
  const extHits = sum(roles.map((r) => r.offload?.externalHitTokens));
  const extQueries = sum(roles.map((r) => r.offload?.externalQueryTokens));
  const usage = roles.map((r) => r.kvCacheUsage?.mean).filter((v): v is number => typeof v === "number");
  return {
    present: roles.some((r) => r.scrapes > 0),
    adapter: roles[0]?.engine ?? "none",
    cache: {
      gpu_cache_hit_rate: gpuRate,
      external_cache_hit_rate: extHits !== null && extQueries ? extHits / extQueries : null,
      overall_cache_hit_rate: null,
      prefix_cache_hits: hits,
      prefix_cache_queries: queries,
      external_prefix_cache_hits: extHits,
      external_prefix_cache_queries: extQueries,
    },
    kv_cache: {
      gpu_usage_pct: usage.length ? Math.max(...usage) : null,
      gpu_total_tokens: null,
    },
  };
}

/** the lab's `kv_offload_backend`: KV_OFFLOAD_BACKEND_METADATA's object, else null */
function backendOf(env: Env): unknown {
  const raw = env.KV_OFFLOAD_BACKEND_METADATA;
  if (!raw || raw === "null") return null;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`KV_OFFLOAD_BACKEND_METADATA must contain valid JSON, got ${JSON.stringify(raw)}`);
  }
}

/** `r`: an agentic point of benchfleet's replay; throws when it is not one */
export function labAgenticResultJson(r: PointResult, env: Env): Record<string, unknown> {
  const a = r.agentic;
  if (!a) throw new Error("not an agentic point: the replay left no agentic figures");
  const tp = int(env, "TP", 1);
  const pp = int(env, "PP_SIZE", 1);
  const pcp = int(env, "PCP_SIZE", 1);
  const gpus = tp * pp * pcp;
  const completed = a.requests.completed;
  const failed = a.requests.failed;
  const t = a.throughput;
  return {
    hw: env.RUNNER_TYPE ?? "",
    conc: int(env, "CONC", a.concurrency),
    image: env.IMAGE ?? "",
    recipe_fingerprint: env.RECIPE_FINGERPRINT ?? "",
    model: env.MODEL ?? r.bench.model_id,
    infmax_model_prefix: env.MODEL_PREFIX ?? "",
    framework: env.FRAMEWORK ?? "",
    precision: env.PRECISION ?? "",
    spec_decoding: env.SPEC_DECODING ?? "none",
    disagg: truthy(env.DISAGG),
    scenario_type: "agentic-coding",
    is_multinode: false,
    tp,
    ep: int(env, "EP_SIZE", 1),
    dp_attention: env.DP_ATTENTION ?? "false",
    kv_offloading: env.KV_OFFLOADING ?? "none",
    kv_offload_backend: backendOf(env),
    allocated_cpu_dram_gb: int(env, "TOTAL_CPU_DRAM_GB", 0),
    num_requests_total: completed + failed + a.warmup.requests,
    num_requests_successful: completed,
    request_accounting: {
      records_total: completed + failed + a.warmup.requests,
      records_profiled: completed,
      records_dropped_total: failed + a.warmup.requests,
      records_warmup_dropped: a.warmup.requests,
      records_error_dropped: failed,
      error_categories: r.failures ?? {},
    },
    pp,
    dcp_size: int(env, "DCP_SIZE", 1),
    pcp_size: pcp,
    dataset: { loader: a.trace.source, num_dataset_entries: a.trace.trajectories },
    request_metrics: {
      latency: {
        ttft: seconds(a.ttftMs),
        e2el: seconds(a.e2elMs),
        itl: seconds(a.itlMs),
        intvty: asIs(a.interactivity),
      },
      tokens: { input: { mean: a.meanInputTokens }, output_actual: { mean: a.meanOutputTokens } },
      throughput: {
        input: { tokens_per_second: t.inputTokensPerS },
        output: { tokens_per_second: t.outputTokensPerS },
        total: { tokens_per_second: t.totalTokensPerS },
        duration_seconds: a.measuredS > 0 ? a.measuredS : a.durationS,
        per_gpu: {
          total_tput_tps: t.totalTokensPerS / gpus,
          output_tput_tps: t.outputTokensPerS / gpus,
          input_tput_tps: t.inputTokensPerS / gpus,
        },
      },
    },
    server_metrics: serverMetrics(r.engineMetrics),
    kv_cache_pool_tokens: null,
  };
}
