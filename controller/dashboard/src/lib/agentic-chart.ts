/**
 * The agentic view's model: agentic points (trace replays of the agentic-coding scenario) as their
 * own frontier, throughput per GPU against interactivity, one series per group (model, precision,
 * SKU, framework, spec decoding, KV offloading). Every point is drawn; each group's frontier is
 * joined. uPlot's aligned data, the tooltip's text and the table rows with the hit rate. Pure.
 */
import {
  type AgenticFrontier,
  type AgenticFrontierPoint,
  type AgenticGroupKey,
  roleHitRatesText,
} from "@benchfleet/shared/browser";
import { fmtNum } from "./format.js";

export interface AgenticSeries {
  key: string;
  label: string;
  group: AgenticGroupKey;
  points: AgenticFrontierPoint[];
  frontier: AgenticFrontierPoint[];
  emulated: boolean;
}

export interface AgenticChart {
  series: AgenticSeries[];
  /** x, then per series its scatter (every point) and its frontier line */
  data: Array<Array<number | null>>;
  /** the point behind each x index */
  pointAt: AgenticFrontierPoint[];
  emulated: boolean;
}

export interface AgenticFilter {
  skus?: readonly string[];
  /** `none` | `dram` */
  kvOffloading?: string;
}

const finite = (v: number) => Number.isFinite(v);

/** The series name: the model's last path part and what sets the group apart. */
export function agenticSeriesLabel(g: AgenticGroupKey): string {
  const kv =
    g.kvOffloading === "none"
      ? "no offload"
      : `${g.kvOffloading}${g.kvOffloadBackend ? ` (${g.kvOffloadBackend})` : ""}`;
  const spec = g.specDecoding === "none" ? "no-spec" : g.specDecoding;
  return [g.model.split("/").pop() ?? g.model, g.precision, g.sku, g.framework, spec, kv].join(" · ");
}

export function buildAgenticChart(groups: readonly AgenticFrontier[], f: AgenticFilter = {}): AgenticChart {
  const series = groups
    .filter((g) => !f.skus || f.skus.includes(g.group.sku))
    .filter((g) => !f.kvOffloading || g.group.kvOffloading === f.kvOffloading)
    .map((g) => {
      const points = [...g.points, ...g.dominated].filter((p) => finite(p.x) && finite(p.y));
      return {
        key: g.key,
        label: agenticSeriesLabel(g.group),
        group: g.group,
        points,
        frontier: g.points.filter((p) => finite(p.x) && finite(p.y)).sort((a, b) => a.x - b.x),
        emulated: points.some((p) => p.emulated),
      };
    })
    .filter((s) => s.points.length > 0);
  const pointAt = series.flatMap((s) => s.points).sort((a, b) => a.x - b.x);
  const index = new Map(pointAt.map((p, i) => [p, i]));
  const data: Array<Array<number | null>> = [pointAt.map((p) => p.x)];
  for (const s of series) {
    const scatter: Array<number | null> = new Array(pointAt.length).fill(null);
    const line: Array<number | null> = new Array(pointAt.length).fill(null);
    for (const p of s.points) scatter[index.get(p)!] = p.y;
    for (const p of s.frontier) line[index.get(p)!] = p.y;
    data.push(scatter, line);
  }
  return { series, data, pointAt, emulated: series.some((s) => s.emulated) };
}

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)}%`);
const ms = (l: { median: number | null; p99: number | null }) => `${fmtNum(l.median)} / ${fmtNum(l.p99)} ms`;

/** The hit rate as the chart and table show it. */
export const hitRateText = (p: AgenticFrontierPoint) => pct(p.hitRate);

/** A disaggregated point's hit rate per role (`prefill 62.0% · decode 0.0%`); `–` with one role. */
export const roleHitRateText = (p: AgenticFrontierPoint) => roleHitRatesText(p.roleHitRates) || "–";

/** The host-DRAM KV tier the launch set per engine process, as the chart and table show it. */
export const hostTierText = (p: AgenticFrontierPoint) => p.hostTier?.label ?? "–";

/** The tooltip's text for one point: configuration, throughput, cache, per-turn latencies, job. */
export function agenticTooltipText(p: AgenticFrontierPoint, where?: string): string {
  return [
    ...(where ? [where] : []),
    `${p.configKey}  [${p.emulated ? "emulated" : "measured"}]`,
    `${fmtNum(p.y)} tok/s/GPU at ${fmtNum(p.x)} tok/s/user · ${p.concurrency} trajectories in flight · ${p.gpus} GPUs`,
    `prefix-cache hit rate ${pct(p.hitRate)}${p.roleHitRates.length > 1 ? ` (${roleHitRateText(p)})` : ""} · offloaded tokens ${p.offloadTokens === null ? "–" : fmtNum(p.offloadTokens, 0)}`,
    `host tier ${hostTierText(p)} · DRAM budget ${p.dramOffloadGb} GB${p.hostTier ? ` · launched ${p.hostTier.detail}` : ""}`,
    `per turn (median / p99): TTFT ${ms(p.turns.ttftMs)} · ITL ${ms(p.turns.itlMs)} · E2E ${ms(p.turns.e2elMs)}`,
    `${p.requests} turns · ${p.trajectoriesCompleted} trajectories completed · errors ${pct(p.errorRatio)}`,
    `trace ${p.trace}`,
    `sweep ${p.sweepId}${p.jobId ? ` · job ${p.jobId} (click to open)` : ""}`,
  ].join("\n");
}

/** One table row per point, frontier points first within a series, by interactivity. */
export function agenticTableRows(
  chart: AgenticChart,
): Array<{ series: string; point: AgenticFrontierPoint; onFrontier: boolean }> {
  return chart.series.flatMap((s) => {
    const on = new Set(s.frontier);
    return s.points
      .slice()
      .sort((a, b) => Number(on.has(b)) - Number(on.has(a)) || a.x - b.x)
      .map((point) => ({ series: s.label, point, onFrontier: on.has(point) }));
  });
}
