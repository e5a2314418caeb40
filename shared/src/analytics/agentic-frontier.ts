/**
 * Agentic points as their own frontier: throughput per GPU (y) against interactivity (x, median
 * tokens/s per user over the replay's turns), one frontier per group (model, precision, SKU,
 * framework, spec decoding, KV offloading and its backend), each point with the engine's prefix
 * cache hit rate over the point and the host-DRAM tier its launch set, beside the row's DRAM
 * budget. Agentic points have no ISL/OSL, so they never join the fixed-sequence-length frontiers. Each point carries its per-turn latencies and its job, so a
 * view can show what a turn cost and open the job behind the point. Pure.
 */

import { engineMetricsBrief } from "../engine-metrics-brief.js";
import { type HostTierBrief, hostTierBrief } from "../kv-host-tier.js";
import type { PointResult } from "../results.js";
import { agenticRoleHitRates, type RoleHitRate } from "./agentic-role-hit-rates.js";
import type { AgenticConfig } from "./agentic-row.js";
import { paretoFrontier } from "./pareto.js";

/** one stored agentic point with the configuration that produced it */
export interface AgenticRow {
  id: string;
  sweepId: string;
  /** the job that measured the point (null: imported) */
  jobId?: string | null;
  /** read from another tool's result file */
  imported?: boolean;
  config: AgenticConfig;
  result: PointResult;
}

/** median and p99 of one per-turn latency, ms (null: not measured) */
export interface TurnLatency {
  median: number | null;
  p99: number | null;
}

export interface AgenticGroupKey {
  model: string;
  precision: string;
  sku: string;
  framework: string;
  specDecoding: string;
  kvOffloading: string;
  kvOffloadBackend: string | null;
}

export interface AgenticFrontierPoint {
  x: number;
  y: number;
  rowId: string;
  sweepId: string;
  jobId: string | null;
  emulated: boolean;
  imported: boolean;
  concurrency: number;
  configKey: string;
  gpus: number;
  /** prompt tokens the engines found cached, share of those looked up (null: not scraped) */
  hitRate: number | null;
  /** the hit rate per engine role (a disaggregated point: prefill and decode apart) */
  roleHitRates: RoleHitRate[];
  /** tokens loaded back from host DRAM or found by the KV connector (null: not reported) */
  offloadTokens: number | null;
  /** the deployment's host-DRAM budget per server process, GB: the ceiling the row allows */
  dramOffloadGb: number;
  /** the host-DRAM KV tier the launch started its engines with (null: not recorded, e.g. imported) */
  hostTier: HostTierBrief | null;
  ttftP99Ms: number | null;
  /** per-turn latencies: each turn is one streamed chat request */
  turns: { ttftMs: TurnLatency; itlMs: TurnLatency; e2elMs: TurnLatency };
  trace: string;
  errorRatio: number;
  requests: number;
  trajectoriesCompleted: number;
}

export interface AgenticFrontier {
  key: string;
  group: AgenticGroupKey;
  /** successful agentic points in the group */
  measured: number;
  points: AgenticFrontierPoint[];
  /** the group's other successful points, under the frontier */
  dominated: AgenticFrontierPoint[];
}

/**
 * The engines' prefix-cache hit rate over a point, summed over every role as the lab's aggregation
 * does (see prefixHitRate); null when none reported it.
 */
export function agenticHitRate(r: PointResult): number | null {
  return r.engineMetrics ? engineMetricsBrief(r.engineMetrics).prefixHitRate : null;
}

/** tokens the engines took from outside their GPU cache over the point (host tier or KV connector) */
function offloadTokens(r: PointResult): number | null {
  let total: number | null = null;
  for (const role of r.engineMetrics?.roles ?? []) {
    const o = role.offload;
    const v = o?.loadedTokens ?? o?.externalHitTokens ?? null;
    if (v !== null) total = (total ?? 0) + v;
  }
  return total;
}

const turnLatency = (s: Record<string, number>): TurnLatency => ({ median: s.median ?? null, p99: s.p99 ?? null });

function groupOf(c: AgenticConfig): AgenticGroupKey {
  return {
    model: c.model,
    precision: c.precision,
    sku: c.sku,
    framework: c.framework,
    specDecoding: c.specDecoding,
    kvOffloading: c.kvOffloading,
    kvOffloadBackend: c.kvOffloadBackend?.name ?? null,
  };
}

export function agenticFrontiers(rows: readonly AgenticRow[]): AgenticFrontier[] {
  const groups = new Map<string, { group: AgenticGroupKey; points: AgenticFrontierPoint[] }>();
  for (const row of rows) {
    const a = row.result.agentic;
    if (!a || row.result.status !== "ok") continue;
    const group = groupOf(row.config);
    const key = Object.values(group)
      .map((v) => v ?? "-")
      .join("|");
    const g = groups.get(key) ?? { group, points: [] };
    groups.set(key, g);
    g.points.push({
      x: a.interactivity.median ?? Number.NaN,
      y: a.throughput.totalTokensPerGpu,
      rowId: row.id,
      sweepId: row.sweepId,
      jobId: row.jobId ?? null,
      emulated: row.result.emulated === true,
      imported: row.imported === true,
      concurrency: a.concurrency,
      configKey: row.config.configKey,
      gpus: row.result.gpus.total,
      hitRate: agenticHitRate(row.result),
      roleHitRates: agenticRoleHitRates(row.result),
      offloadTokens: offloadTokens(row.result),
      dramOffloadGb: row.config.dramOffloadGb,
      hostTier: hostTierBrief(row.result.kvHostTiers),
      ttftP99Ms: a.ttftMs.p99 ?? null,
      turns: { ttftMs: turnLatency(a.ttftMs), itlMs: turnLatency(a.itlMs), e2elMs: turnLatency(a.e2elMs) },
      trace: a.trace.source,
      errorRatio: a.errorRatio,
      requests: a.requests.completed,
      trajectoriesCompleted: a.trajectories.completed,
    });
  }
  return [...groups.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([key, g]) => {
      const points = paretoFrontier(
        g.points,
        { value: (p) => p.x, direction: "max" },
        { value: (p) => p.y, direction: "max" },
      ).map((f) => f.item);
      const on = new Set(points);
      return { key, group: g.group, measured: g.points.length, points, dominated: g.points.filter((p) => !on.has(p)) };
    });
}
