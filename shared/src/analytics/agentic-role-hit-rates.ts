/**
 * An agentic point's prefix-cache hit rate per engine role (prefill, decode, worker), beside the
 * overall rate. The overall sums every role's counters, as the reference lab's aggregation sums
 * every worker its multi-node replay scrapes (srtctl gives AIPerf each logical worker leader,
 * prefill and decode); per role, a disaggregated point shows where the hits are, as the lab's
 * per-source figures (`server_metrics.sources`, vLLM) do. Pure.
 */
import { prefixHitRate } from "../engine-metrics-brief.js";
import type { PointResult } from "../results.js";

export interface RoleHitRate {
  role: string;
  /** token-weighted over the role's processes (null: none reported one) */
  hitRate: number | null;
}

const ORDER = ["prefill", "decode", "worker"];

/** one entry per role that has engine metrics, prefill first */
export function agenticRoleHitRates(r: PointResult): RoleHitRate[] {
  const byRole = new Map<string, NonNullable<PointResult["engineMetrics"]>["roles"]>();
  for (const m of r.engineMetrics?.roles ?? []) byRole.set(m.role, [...(byRole.get(m.role) ?? []), m]);
  const rank = (role: string) => (ORDER.includes(role) ? ORDER.indexOf(role) : ORDER.length);
  return [...byRole.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
    .map(([role, roles]) => ({ role, hitRate: prefixHitRate(roles) }));
}

/** `prefill 62.0% · decode 0.0%`; "" for a point with one role (its rate is the overall) */
export function roleHitRatesText(rates: readonly RoleHitRate[]): string {
  if (rates.length < 2) return "";
  return rates.map((r) => `${r.role} ${r.hitRate === null ? "–" : `${(r.hitRate * 100).toFixed(1)}%`}`).join(" · ");
}
