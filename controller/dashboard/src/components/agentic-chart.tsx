/**
 * The agentic frontier chart: per group every point (scatter) and its frontier (joined), each
 * frontier point labelled with its prefix-cache hit rate. Hovering shows the point's throughput,
 * cache figures and per-turn latencies; clicking a point opens its job.
 */
import { useMemo, useRef } from "preact/hooks";
import type uPlot from "uplot";
import { agenticTooltipText, type AgenticChart as Chart, hitRateText } from "../lib/agentic-chart.js";
import { PALETTE } from "../lib/frontier-chart.js";
import { scatterAndFrontier, useChartHover } from "./chart-hover.js";
import { PointChart } from "./point-chart.js";

const X_LABEL = "Interactivity (tok/s/user, median over turns)";
const Y_LABEL = "Throughput per GPU (tok/s/GPU)";

const padded = (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => {
  const pad = (max - min || Math.abs(max) || 1) * 0.08;
  return [Math.max(0, min - pad), max + pad];
};

export function AgenticChart(props: { chart: Chart; testId: string; height?: number }) {
  const { chart } = props;
  const { hover, wrap, hooks } = useChartHover(chart.pointAt, (p) => p.jobId);
  const current = useRef(chart);
  current.current = chart;
  const optionsKey = chart.series.map((s) => s.key).join(",");
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(() => {
    const series: uPlot.Series[] = [{ label: X_LABEL }];
    chart.series.forEach((s, i) => {
      series.push(...scatterAndFrontier(`${s.label}${s.emulated ? " (emulated)" : ""}`, PALETTE[i % PALETTE.length]!));
    });
    return {
      mode: 1,
      // a margin around the data, so the points at the ends keep room for their labels
      scales: { x: { time: false, range: padded }, y: { range: padded } },
      axes: [{ label: X_LABEL }, { label: Y_LABEL, size: 70 }],
      series,
      legend: { live: false },
      cursor: { points: { show: false } },
      hooks: {
        ...hooks,
        // each frontier point's hit rate beside it
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.font = `${Math.round(10 * devicePixelRatio)}px sans-serif`;
            ctx.fillStyle = "#334155";
            ctx.textAlign = "left";
            ctx.textBaseline = "alphabetic";
            const gap = 6 * devicePixelRatio;
            for (const s of current.current.series)
              for (const p of s.frontier) {
                const text = `hit ${hitRateText(p)}`;
                const x = u.valToPos(p.x, "x", true);
                const y = u.valToPos(p.y, "y", true);
                const w = ctx.measureText(text).width;
                // right of the point, or left of it where the plot ends
                const left = x + gap + w > u.bbox.left + u.bbox.width ? x - gap - w : x + gap;
                ctx.fillText(text, left, y - gap);
              }
            ctx.restore();
          },
        ],
      },
    };
  }, [optionsKey]);
  const where = (p: (typeof chart.pointAt)[number]) => {
    const s = chart.series.find((g) => g.points.includes(p));
    return s && `${s.label} · ${s.frontier.includes(p) ? "on the frontier" : "dominated"}`;
  };
  return (
    <PointChart
      wrap={wrap}
      hover={hover}
      tooltip={(p) => agenticTooltipText(p, where(p))}
      tooltipTestId="agentic-tooltip"
      options={options}
      data={chart.data as uPlot.AlignedData}
      optionsKey={optionsKey}
      height={props.height}
      testId={props.testId}
    />
  );
}
