/**
 * Agentic points as their own frontier: throughput per GPU (y) against interactivity (x, median
 * tokens/s per user over the replay's turns), one frontier per group (model, precision, SKU,
 * framework, spec decoding, KV offloading and its backend), each point with the engine's prefix
 * cache hit rate over the point. Agentic points have no ISL/OSL, so they never join the
 * fixed-sequence-length frontiers. Pure.
 */

import type { Deployment } from "../deployment.js";
import { engineMetricsBrief } from "../engine-metrics-brief.js";
import type { PointResult } from "../results.js";
import { paretoFrontier } from "./pareto.js";

/** one stored agentic point with the deployment that produced it */
export interface AgenticRow {
  id: string;
  sweepId: string;
  deployment: Deployment;
  result: PointResult;
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
  concurrency: number;
  configKey: string;
  gpus: number;
  /** prompt tokens the engines found cached, share of those looked up (null: not scraped) */
  hitRate: number | null;
  /** tokens loaded back from host DRAM or found by the KV connector (null: not reported) */
  offloadTokens: number | null;
  dramOffloadGb: number;
  ttftP99Ms: number | null;
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
}

/** The engines' prefix-cache hit rate over a point (see engineMetricsBrief); null when none reported it. */
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

function groupOf(d: Deployment): AgenticGroupKey {
  return {
    model: d.model,
    precision: d.precision,
    sku: d.sku,
    framework: d.framework,
    specDecoding: d.specDecoding,
    kvOffloading: d.agentic?.kvOffloading ?? "none",
    kvOffloadBackend: d.agentic?.kvOffloadBackend?.name ?? null,
  };
}

export function agenticFrontiers(rows: readonly AgenticRow[]): AgenticFrontier[] {
  const groups = new Map<string, { group: AgenticGroupKey; points: AgenticFrontierPoint[] }>();
  for (const row of rows) {
    const a = row.result.agentic;
    if (!a || row.result.status !== "ok") continue;
    const group = groupOf(row.deployment);
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
      concurrency: a.concurrency,
      configKey: row.deployment.configKey,
      gpus: row.result.gpus.total,
      hitRate: agenticHitRate(row.result),
      offloadTokens: offloadTokens(row.result),
      dramOffloadGb: row.deployment.agentic?.dramOffloadGb ?? 0,
      ttftP99Ms: a.ttftMs.p99 ?? null,
      errorRatio: a.errorRatio,
      requests: a.requests.completed,
      trajectoriesCompleted: a.trajectories.completed,
    });
  }
  return [...groups.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([key, g]) => ({
      key,
      group: g.group,
      measured: g.points.length,
      points: paretoFrontier(
        g.points,
        { value: (p) => p.x, direction: "max" },
        { value: (p) => p.y, direction: "max" },
      ).map((f) => f.item),
    }));
}
