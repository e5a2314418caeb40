/**
 * The Pareto frontier chart: y metric against interactivity, per group every point (scatter) and
 * its frontier (points joined), hover shows the configuration behind a point. The results
 * explorer draws groups of one selection; the sweep comparison draws one group per sweep, with
 * dominated points faint and only the frontiers named in the legend.
 */
import { useMemo } from "preact/hooks";
import type uPlot from "uplot";
import { fmtNum } from "../lib/format.js";
import { type ChartModel, type ChartRow, PALETTE, Y_METRICS, type YMetric } from "../lib/frontier-chart.js";
import { useChartHover } from "./chart-hover.js";
import { UPlotChart } from "./uplot-chart.js";

function Tooltip(props: { row: ChartRow | undefined; y: YMetric; left: number; top: number; extra?: string }) {
  const r = props.row;
  if (!r) return null;
  const tput =
    props.y === "outputTputPerGpu"
      ? `${fmtNum(Y_METRICS.outputTputPerGpu.get(r))} output tok/s/GPU (${fmtNum(r.tputPerGpu)} total)`
      : `${fmtNum(r.tputPerGpu)} tok/s/GPU`;
  return (
    <div
      class="tooltip"
      style={{ left: `${props.left + 12}px`, top: `${props.top + 12}px` }}
      data-testid="chart-tooltip"
    >
      {`${props.extra ? `${props.extra}\n` : ""}${r.configKey}${r.emulated ? "  [emulated]" : ""}
${r.sku} · ${r.framework} · ${r.precision}${r.parallelism ? ` · ${r.parallelism}` : ""}
conc ${r.concurrency} · ISL/OSL ${r.isl}/${r.osl} · ${r.gpusTotal} GPUs
${tput} at ${fmtNum(r.interactivity)} tok/s/user
sweep ${r.sweepId}`}
    </div>
  );
}

export function FrontierChart(props: {
  chart: ChartModel;
  y: YMetric;
  log: boolean;
  testId: string;
  height?: number;
  /** comparison style: faint dominated points, legend names the frontiers only, tooltip names the group */
  compare?: boolean;
}) {
  const { chart, y, log } = props;
  const { hover, wrap, hooks } = useChartHover(chart.rowAt);

  const optionsKey = `${y}|${log}|${props.compare ? "c" : "g"}|${chart.groups.map((g) => g.key).join(",")}`;
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => {
    const series: uPlot.Series[] = [{ label: "interactivity" }];
    chart.groups.forEach((g, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const name = `${g.key}${g.emulated ? " (emulated)" : ""}`;
      series.push({
        label: props.compare ? `${name} (all points)` : name,
        class: props.compare ? "bf-scatter" : undefined,
        stroke: props.compare ? `${color}99` : color,
        paths: () => null,
        points: props.compare
          ? { show: true, size: 7, stroke: `${color}99`, fill: `${color}33` }
          : { show: true, size: 6, stroke: color, fill: `${color}55` },
      });
      series.push({
        label: props.compare ? name : `${g.key} frontier`,
        class: props.compare ? "bf-frontier" : undefined,
        stroke: color,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 8, stroke: color, fill: color },
      });
    });
    return {
      mode: 1,
      scales: { x: { time: false, distr: log ? 3 : 1 }, y: { distr: log ? 3 : 1 } },
      axes: [{ label: "Interactivity (tok/s/user)" }, { label: Y_METRICS[y].label, size: 70 }],
      series,
      legend: { live: false },
      cursor: { points: { show: false } },
      hooks,
    };
  }, [optionsKey]);

  let extra: string | undefined;
  if (props.compare && hover.point) {
    const row = hover.point;
    const g = chart.groups.find((x) => x.points.includes(row));
    if (g) extra = `${g.key} · ${g.frontier.includes(row) ? "on the frontier" : "dominated"}`;
  }
  return (
    <div ref={wrap} style={{ position: "relative" }}>
      <UPlotChart
        options={options}
        data={chart.data as uPlot.AlignedData}
        optionsKey={optionsKey}
        height={props.height ?? 380}
        testId={props.testId}
      />
      <Tooltip row={hover.point} y={y} left={hover.left} top={hover.top} extra={extra} />
    </div>
  );
}
