/**
 * The results explorer's chart: per series every point (scatter) and its Pareto frontier (joined)
 * on the chosen x and y axes. Hovering shows the point's full configuration, latency, cost, energy
 * and engine metrics; clicking a measured point opens its job.
 */
import type { ExplorerPoint } from "@benchfleet/shared/browser";
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { type ExplorerChart as Chart, X_AXES, type XAxis, Y_AXES, type YAxis } from "../lib/explorer.js";
import { fmtNum } from "../lib/format.js";
import { PALETTE } from "../lib/frontier-chart.js";
import { scatterAndFrontier, useChartHover } from "./chart-hover.js";
import { PointChart } from "./point-chart.js";

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(0)}%`);

/** The tooltip's text for one point. */
export function explorerTooltipText(p: ExplorerPoint, series?: string): string {
  const e = p.engine;
  const lines = [
    ...(series ? [series] : []),
    `${p.configKey}  [${p.emulated ? "emulated" : p.imported ? "imported" : "measured"}]`,
    `${p.model} · ${p.precision} · ${p.sku} · ${p.framework} · spec ${p.spec ? p.specDecoding : "off"}`,
    `${p.parallelism}${p.disagg ? " (disagg)" : ""} · ${p.gpus} GPUs${p.nodes ? ` · ${p.nodes} nodes` : ""} · conc ${p.concurrency} · ISL/OSL ${p.isl}/${p.osl}`,
    `${fmtNum(p.tputPerGpu)} tok/s/GPU (${fmtNum(p.outputTputPerGpu)} output) at ${fmtNum(p.interactivity)} tok/s/user`,
    `TTFT ${fmtNum(p.ttftMs)} ms · E2E ${fmtNum(p.e2elMs)} ms`,
    `cost $${fmtNum(p.costPerMillion, 3)}/M tokens · energy ${p.joulesPerToken === null ? "–" : `${fmtNum(p.joulesPerToken, 3)} J/token`}`,
    e
      ? `engine: KV cache ${pct(e.kvCacheUsage)} · prefix hits ${pct(e.prefixHitRate)} · MTP acceptance ${e.acceptanceLength === null ? "–" : fmtNum(e.acceptanceLength, 2)}`
      : "engine: no metrics scraped",
    `image ${p.image}${p.engineVersion ? ` · engine ${p.engineVersion}` : ""}`,
    `sweep ${p.sweepId}${p.jobId ? ` · job ${p.jobId} (click to open)` : ""}`,
  ];
  return lines.join("\n");
}

export function ExplorerChart(props: {
  chart: Chart;
  x: XAxis;
  y: YAxis;
  log: boolean;
  testId: string;
  height?: number;
}) {
  const { chart, x, y, log } = props;
  const { hover, wrap, hooks } = useChartHover(chart.pointAt, (p) => p.jobId);
  const optionsKey = `${x}|${y}|${log}|${chart.series.map((s) => s.key).join(",")}`;
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => {
    const series: uPlot.Series[] = [{ label: X_AXES[x].label }];
    chart.series.forEach((s, i) => {
      series.push(...scatterAndFrontier(`${s.key}${s.emulated ? " (emulated)" : ""}`, PALETTE[i % PALETTE.length]!));
    });
    return {
      mode: 1,
      scales: { x: { time: false, distr: log ? 3 : 1 }, y: { distr: log ? 3 : 1 } },
      axes: [{ label: X_AXES[x].label }, { label: Y_AXES[y].label, size: 70 }],
      series,
      legend: { live: false },
      cursor: { points: { show: false } },
      hooks,
    };
  }, [optionsKey]);
  const where = (p: (typeof chart.pointAt)[number]) => {
    const s = chart.series.find((g) => g.points.includes(p));
    return s && `${s.key} · ${s.frontier.includes(p) ? "on the frontier" : "dominated"}`;
  };
  return (
    <PointChart
      wrap={wrap}
      hover={hover}
      tooltip={(p) => explorerTooltipText(p, where(p))}
      tooltipTestId="chart-tooltip"
      options={options}
      data={chart.data as uPlot.AlignedData}
      optionsKey={optionsKey}
      height={props.height}
      testId={props.testId}
    />
  );
}
