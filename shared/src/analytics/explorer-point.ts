/**
 * One successful load point as the results explorer draws it: the configuration that identifies
 * its scenario (model family, ISL/OSL) and its series (SKU, framework, precision, spec decoding),
 * the candidate axes (interactivity, E2E latency, TTFT; throughput per GPU, cost per million
 * tokens, energy per token) and what the tooltip shows (parallelism, engine metrics, job). Pure.
 */
import type { EngineMetrics } from "../engine-metrics.js";
import { engineMetricsBrief } from "../engine-metrics-brief.js";
import { parallelismLabel } from "./grouping.js";
import type { AnalyzedRow } from "./row-frontier.js";

/** The engine metrics a point's tooltip shows, over all engine roles of the point. */
export interface ExplorerEngineSummary {
  /** highest KV-cache use of any role during the point, 1 = full */
  kvCacheUsage: number | null;
  /** prefix-cache hits over looked-up tokens, over the roles */
  prefixHitRate: number | null;
  /** speculative decoding (MTP) acceptance length of the decode roles: tokens per verification step */
  acceptanceLength: number | null;
}

export interface ExplorerPoint {
  rowId: string;
  sweepId: string;
  /** the job that measured it; null for imported rows */
  jobId: string | null;
  date: string;
  emulated: boolean;
  imported: boolean;
  configKey: string;
  model: string;
  /** model family: the deployment's model prefix (`dsr1`, `gptoss`) */
  family: string;
  precision: string;
  isl: number;
  osl: number;
  sku: string;
  framework: string;
  specDecoding: string;
  /** speculative decoding on (MTP, EAGLE …) */
  spec: boolean;
  disagg: boolean;
  parallelism: string;
  gpus: number;
  nodes: number | null;
  concurrency: number;
  image: string;
  engineVersion: string | null;
  interactivity: number | null;
  e2elMs: number | null;
  ttftMs: number | null;
  tputPerGpu: number;
  outputTputPerGpu: number;
  /** $ per million tokens at the SKU's hyperscaler rate */
  costPerMillion: number | null;
  joulesPerToken: number | null;
  engine: ExplorerEngineSummary | null;
}

/** The tooltip's summary of a point's engine metrics; null when none were scraped. */
export function engineSummary(m: EngineMetrics | undefined): ExplorerEngineSummary | null {
  if (!m || m.roles.length === 0) return null;
  const b = engineMetricsBrief(m);
  if (b.kvCacheUsageMax === null && b.prefixHitRate === null && b.acceptanceLength === null) return null;
  return { kvCacheUsage: b.kvCacheUsageMax, prefixHitRate: b.prefixHitRate, acceptanceLength: b.acceptanceLength };
}

export function explorerPointOf(a: AnalyzedRow): ExplorerPoint {
  const { row, metrics: m } = a;
  const c = row.config;
  return {
    rowId: row.id,
    sweepId: row.sweepId,
    jobId: row.provenance.jobId ?? null,
    date: row.date,
    emulated: row.result.emulated,
    imported: row.provenance.kind === "imported",
    configKey: c.configKey,
    model: c.model,
    family: c.modelPrefix || c.model,
    precision: c.precision,
    isl: c.isl,
    osl: c.osl,
    sku: c.sku,
    framework: c.framework,
    specDecoding: c.specDecoding,
    spec: c.specDecoding !== "" && c.specDecoding !== "none",
    disagg: c.disagg,
    parallelism: parallelismLabel(c),
    gpus: m.gpus.total,
    nodes: c.nodes ?? null,
    concurrency: m.concurrency,
    image: c.image,
    engineVersion: row.provenance.engineVersion ?? null,
    interactivity: m.interactivity,
    e2elMs: m.e2elMs.median,
    ttftMs: m.ttftMs.median,
    tputPerGpu: m.tputPerGpu,
    outputTputPerGpu: m.outputTputPerGpu,
    costPerMillion: m.cost.hyperscaler.total,
    joulesPerToken: m.joulesPerToken,
    engine: engineSummary(row.result.engineMetrics),
  };
}
