/**
 * One line of a point's engine metrics for tables, tooltips and reports: the figures that say why a
 * point's throughput is what it is (KV-cache pressure, prefix reuse, MTP acceptance, preemptions),
 * folded over the deployment's engine roles. Pure; imports nothing from Node.
 */
import type { EngineMetrics, EngineRoleMetrics } from "./engine-metrics.js";

export interface EngineMetricsBrief {
  /** highest KV-cache use of any role during the point, 1 = full */
  kvCacheUsageMax: number | null;
  /** prefix-cache hits over looked-up tokens summed over roles; else the mean of the roles' rates */
  prefixHitRate: number | null;
  /**
   * speculative decoding (MTP) acceptance length, tokens per verification step: the decode roles'
   * mean where they report it (a disaggregated deployment's prefill does not decode), else all roles'
   */
  acceptanceLength: number | null;
  acceptanceRate: number | null;
  /** requests preempted or retracted, summed over roles */
  preemptions: number | null;
  /** `role: problem` for every role whose endpoint gave no figures */
  problems: string[];
}

const mean = (vs: number[]): number | null => (vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null);

function defined<T>(vs: Array<T | null | undefined>): T[] {
  return vs.filter((v): v is T => v !== null && v !== undefined);
}

/**
 * Prefix-cache hits over looked-up tokens summed over `roles`, as the reference lab's agentic
 * aggregation sums every scraped worker's counters (utils/agentic/aggregation/backends/sglang.py,
 * vllm.py); else the mean of the roles' hit-rate gauges.
 */
export function prefixHitRate(roles: readonly EngineRoleMetrics[]): number | null {
  const counted = roles.filter((r) => r.prefixCache?.hitTokens != null && (r.prefixCache.queryTokens ?? 0) > 0);
  if (counted.length) {
    const hits = counted.reduce((a, r) => a + (r.prefixCache?.hitTokens ?? 0), 0);
    const queries = counted.reduce((a, r) => a + (r.prefixCache?.queryTokens ?? 0), 0);
    return hits / queries;
  }
  return mean(defined(roles.map((r) => r.prefixCache?.hitRate)));
}

/** the decode roles' figure where any reports it, else the mean over all roles */
function decodeFirst(roles: readonly EngineRoleMetrics[], pick: (r: EngineRoleMetrics) => number | null | undefined) {
  const decode = defined(roles.filter((r) => r.role === "decode").map(pick));
  return mean(decode.length ? decode : defined(roles.map(pick)));
}

export function engineMetricsBrief(m: EngineMetrics): EngineMetricsBrief {
  const roles = m.roles;
  const kv = defined(roles.map((r) => r.kvCacheUsage?.max));
  const preemptions = defined(roles.map((r) => r.preemptions));
  return {
    kvCacheUsageMax: kv.length ? Math.max(...kv) : null,
    prefixHitRate: prefixHitRate(roles),
    acceptanceLength: decodeFirst(roles, (r) => r.specDecode?.acceptanceLength),
    acceptanceRate: decodeFirst(roles, (r) => r.specDecode?.acceptanceRate),
    preemptions: preemptions.length ? preemptions.reduce((a, b) => a + b, 0) : null,
    problems: roles.filter((r) => r.problem !== undefined).map((r) => `${r.role}: ${r.problem}`),
  };
}

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

/**
 * `kv 62% · prefix hit 31% · accept 2.41 · preempt 0`; figures an engine did not serve are left
 * out; a point without readable figures says why (`engine metrics: …`), and none at all is "".
 */
export function formatEngineMetrics(m: EngineMetrics | undefined): string {
  if (!m) return "";
  const b = engineMetricsBrief(m);
  const parts: string[] = [];
  if (b.kvCacheUsageMax !== null) parts.push(`kv ${pct(b.kvCacheUsageMax)}`);
  if (b.prefixHitRate !== null) parts.push(`prefix hit ${pct(b.prefixHitRate)}`);
  if (b.acceptanceLength !== null) parts.push(`accept ${b.acceptanceLength.toFixed(2)}`);
  if (b.preemptions !== null) parts.push(`preempt ${b.preemptions.toFixed(0)}`);
  if (parts.length === 0) return b.problems.length ? `engine metrics: ${b.problems[0]}` : "engine metrics: none read";
  return parts.join(" · ");
}
