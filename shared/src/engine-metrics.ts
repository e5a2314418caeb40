/**
 * Engine metrics of one load point: what the agent read from each engine role's Prometheus
 * endpoint while the point ran (vLLM's `vllm:*` names, SGLang's `sglang:*`), summarised per role.
 * Gauges give mean and max over the scrapes; counters give their increase between the first and
 * the last scrape. A role whose endpoint was absent or malformed keeps a `problem` and null
 * figures: the point stays valid. Pure.
 */
import { z } from "zod";
import type { NameTotal } from "./prometheus-text.js";

const num = z.number();

export const GaugeStats = z.object({ mean: num, max: num }).strict();
export type GaugeStats = z.infer<typeof GaugeStats>;

export const EngineRoleMetrics = z
  .object({
    /** the process's role in the launch plan: worker (aggregated), prefill or decode */
    role: z.string(),
    /** the launch plan's process name */
    process: z.string(),
    url: z.string(),
    engine: z.enum(["vllm", "sglang", "unknown"]),
    scrapes: z.number().int().nonnegative(),
    failedScrapes: z.number().int().nonnegative(),
    /** why figures are missing: the endpoint was absent, unreadable or served none of the known names */
    problem: z.string().optional(),
    /** KV-cache blocks in use, 1 = full (vllm:kv_cache_usage_perc, sglang:token_usage) */
    kvCacheUsage: GaugeStats.nullable(),
    requestsRunning: GaugeStats.nullable(),
    requestsWaiting: GaugeStats.nullable(),
    /**
     * prefix-cache hits over the point: hits / looked-up tokens where the engine counts them (vLLM's
     * local-cache and KV-connector prompt tokens over all where it exports them by source, else its
     * prefix-cache counters; SGLang's cached over prompt tokens; null when it looked up none), else
     * the mean of its hit-rate gauge
     */
    prefixCache: z
      .object({ hitRate: num.nullable(), hitTokens: num.nullable(), queryTokens: num.nullable() })
      .strict()
      .nullable(),
    /**
     * speculative decoding (MTP, EAGLE): acceptance length = tokens per verification step
     * including the bonus token (vLLM: 1 + accepted/drafts; SGLang: sglang:spec_accept_length);
     * acceptance rate = accepted / proposed draft tokens
     */
    specDecode: z
      .object({
        acceptanceLength: num.nullable(),
        acceptanceRate: num.nullable(),
        drafts: num.nullable(),
        draftTokens: num.nullable(),
        acceptedTokens: num.nullable(),
      })
      .strict()
      .nullable(),
    /** requests preempted (vLLM) or retracted (SGLang) during the point */
    preemptions: num.nullable(),
    /**
     * KV traffic from outside the GPU's own cache during the point: vLLM's KV connector
     * (vllm:external_prefix_cache_*), SGLang's HiCache host tier (sglang:load_back_tokens_total, else
     * the host share of sglang:cached_tokens_total)
     */
    offload: z
      .object({ externalHitTokens: num.nullable(), externalQueryTokens: num.nullable(), loadedTokens: num.nullable() })
      .strict()
      .nullable(),
  })
  .strict();
export type EngineRoleMetrics = z.infer<typeof EngineRoleMetrics>;

export const EngineMetrics = z
  .object({
    intervalMs: z.number().int().positive(),
    roles: z.array(EngineRoleMetrics),
  })
  .strict();
export type EngineMetrics = z.infer<typeof EngineMetrics>;

/** one scrape of one endpoint: when, and its totals by name (see totalsByName) */
export interface EngineScrape {
  atMs: number;
  totals: Map<string, NameTotal>;
}

/** each figure's names, newest spelling first; counters with and without the `_total` suffix */
export const ENGINE_METRIC_NAMES = {
  kvCacheUsage: ["vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage"],
  requestsRunning: ["vllm:num_requests_running", "sglang:num_running_reqs"],
  requestsWaiting: ["vllm:num_requests_waiting", "sglang:num_queue_reqs"],
  // SGLang: cached prompt tokens of every cache source (device, host, storage) over prompt tokens
  prefixHits: [
    "vllm:prefix_cache_hits_total",
    "vllm:prefix_cache_hits",
    "sglang:cached_tokens_total",
    "sglang:cached_tokens",
  ],
  prefixQueries: [
    "vllm:prefix_cache_queries_total",
    "vllm:prefix_cache_queries",
    "sglang:prompt_tokens_total",
    "sglang:prompt_tokens",
  ],
  prefixHitRateGauge: ["sglang:cache_hit_rate", "vllm:gpu_prefix_cache_hit_rate"],
  specDrafts: ["vllm:spec_decode_num_drafts_total", "vllm:spec_decode_num_drafts"],
  specDraftTokens: ["vllm:spec_decode_num_draft_tokens_total", "vllm:spec_decode_num_draft_tokens"],
  specAcceptedTokens: ["vllm:spec_decode_num_accepted_tokens_total", "vllm:spec_decode_num_accepted_tokens"],
  specAcceptLengthGauge: ["sglang:spec_accept_length"],
  specAcceptRateGauge: ["sglang:spec_accept_rate"],
  preemptions: [
    "vllm:num_preemptions_total",
    "vllm:num_preemptions",
    "sglang:num_retracted_requests_total",
    "sglang:num_retracted_reqs_total",
  ],
  externalHits: ["vllm:external_prefix_cache_hits_total", "vllm:external_prefix_cache_hits"],
  externalQueries: ["vllm:external_prefix_cache_queries_total", "vllm:external_prefix_cache_queries"],
  loadedTokens: ["sglang:load_back_tokens_total", 'sglang:cached_tokens_total{cache_source="host"}'],
  // vLLM's prompt tokens by where their KV came from: the lab's overall hit rate where exported
  promptBySource: ["vllm:prompt_tokens_by_source_total", "vllm:prompt_tokens_by_source"],
  promptLocalHit: [
    'vllm:prompt_tokens_by_source_total{source="local_cache_hit"}',
    'vllm:prompt_tokens_by_source{source="local_cache_hit"}',
  ],
  promptExternal: [
    'vllm:prompt_tokens_by_source_total{source="external_kv_transfer"}',
    'vllm:prompt_tokens_by_source{source="external_kv_transfer"}',
  ],
} as const satisfies Record<string, readonly string[]>;

/** names whose samples are also kept per value of a label (totalsByName's splits) */
export const ENGINE_METRIC_LABEL_SPLITS: Readonly<Record<string, string>> = {
  "sglang:cached_tokens_total": "cache_source",
  "vllm:prompt_tokens_by_source_total": "source",
  "vllm:prompt_tokens_by_source": "source",
};

type Figure = keyof typeof ENGINE_METRIC_NAMES;

function pick(s: EngineScrape, figure: Figure): NameTotal | undefined {
  for (const n of ENGINE_METRIC_NAMES[figure]) {
    const t = s.totals.get(n);
    if (t) return t;
  }
  return undefined;
}

/** a gauge over the scrapes; `perRank`: average over label sets (fractions), else their sum (counts) */
function gauge(scrapes: readonly EngineScrape[], figure: Figure, perRank: boolean): GaugeStats | null {
  const vs: number[] = [];
  for (const s of scrapes) {
    const t = pick(s, figure);
    if (t && t.count > 0 && Number.isFinite(t.sum)) vs.push(perRank ? t.sum / t.count : t.sum);
  }
  if (vs.length === 0) return null;
  return { mean: vs.reduce((a, b) => a + b, 0) / vs.length, max: Math.max(...vs) };
}

/** a counter's increase from the first to the last scrape that has it (a reset counts from zero) */
function increase(scrapes: readonly EngineScrape[], figure: Figure): number | null {
  const vs = scrapes.map((s) => pick(s, figure)?.sum).filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (vs.length === 0) return null;
  let total = 0;
  for (let i = 1; i < vs.length; i++) total += vs[i]! >= vs[i - 1]! ? vs[i]! - vs[i - 1]! : vs[i]!;
  return total;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b <= 0 ? null : a / b;
}

function engineOf(scrapes: readonly EngineScrape[]): EngineRoleMetrics["engine"] {
  for (const s of scrapes)
    for (const n of s.totals.keys()) {
      if (n.startsWith("vllm:")) return "vllm";
      if (n.startsWith("sglang:")) return "sglang";
    }
  return "unknown";
}

export interface EndpointRef {
  role: string;
  process: string;
  url: string;
}

/**
 * The summary of one endpoint's scrapes over a point. `failures` are the messages of scrapes that
 * failed (absent endpoint, HTTP error, malformed text); the first becomes the role's `problem`.
 */
export function summarizeEngineScrapes(
  ref: EndpointRef,
  scrapes: readonly EngineScrape[],
  failures: readonly string[],
): EngineRoleMetrics {
  const drafts = increase(scrapes, "specDrafts");
  const draftTokens = increase(scrapes, "specDraftTokens");
  const accepted = increase(scrapes, "specAcceptedTokens");
  const lenGauge = gauge(scrapes, "specAcceptLengthGauge", true);
  const rateGauge = gauge(scrapes, "specAcceptRateGauge", true);
  const acceptanceLength =
    drafts !== null && drafts > 0 && accepted !== null ? 1 + accepted / drafts : (lenGauge?.mean ?? null);
  const acceptanceRate = ratio(accepted, draftTokens) ?? rateGauge?.mean ?? null;
  const spec =
    acceptanceLength !== null || acceptanceRate !== null || (draftTokens ?? 0) > 0
      ? { acceptanceLength, acceptanceRate, drafts, draftTokens, acceptedTokens: accepted }
      : null;
  // where vLLM says where each prompt token's KV came from, hits are the local cache's and the KV
  // connector's (host tier, store, a prefill worker's transfer) over all prompt tokens, as the lab's
  // vLLM adapter computes its overall rate (utils/agentic/aggregation/backends/vllm.py); else the
  // prefix-cache counters
  const bySource = increase(scrapes, "promptBySource");
  const sourced = bySource !== null && bySource > 0;
  const hits = sourced
    ? (increase(scrapes, "promptLocalHit") ?? 0) + (increase(scrapes, "promptExternal") ?? 0)
    : increase(scrapes, "prefixHits");
  const queries = sourced ? bySource : increase(scrapes, "prefixQueries");
  const hitRateGauge = gauge(scrapes, "prefixHitRateGauge", true);
  const tokenRate = ratio(hits, queries);
  const prefixCache =
    hits !== null || queries !== null || hitRateGauge !== null
      ? { hitRate: tokenRate ?? hitRateGauge?.mean ?? null, hitTokens: hits, queryTokens: queries }
      : null;
  const externalHitTokens = increase(scrapes, "externalHits");
  const externalQueryTokens = increase(scrapes, "externalQueries");
  const loadedTokens = increase(scrapes, "loadedTokens");
  const offload =
    externalHitTokens !== null || externalQueryTokens !== null || loadedTokens !== null
      ? { externalHitTokens, externalQueryTokens, loadedTokens }
      : null;
  const out: EngineRoleMetrics = {
    ...ref,
    engine: engineOf(scrapes),
    scrapes: scrapes.length,
    failedScrapes: failures.length,
    kvCacheUsage: gauge(scrapes, "kvCacheUsage", true),
    requestsRunning: gauge(scrapes, "requestsRunning", false),
    requestsWaiting: gauge(scrapes, "requestsWaiting", false),
    prefixCache,
    specDecode: spec,
    preemptions: increase(scrapes, "preemptions"),
    offload,
  };
  const known = Object.values(ENGINE_METRIC_NAMES).flat();
  if (failures.length > 0)
    out.problem = `${failures.length} of ${failures.length + scrapes.length} scrapes of ${ref.url} failed: ${failures[0]}`;
  else if (scrapes.length === 0) out.problem = `no scrape of ${ref.url} finished during the point`;
  else if (!scrapes.some((s) => known.some((n) => s.totals.has(n))))
    out.problem = `${ref.url} serves none of the vLLM/SGLang metric names read here`;
  return out;
}
