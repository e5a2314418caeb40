/**
 * What every frontier chart does with uPlot's cursor: the point under it and where its tooltip
 * goes (relative to the chart's wrapper), and, where a point names a job, a click that opens it.
 * The hooks are made once per chart and read the latest points through a ref, so a chart whose
 * data changes keeps its uPlot instance.
 */
import { useMemo, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";

export interface Hover<T> {
  point?: T;
  left: number;
  top: number;
}

export function useChartHover<T>(
  /** the point at each index of the chart's x data */
  pointAt: readonly (T | undefined)[],
  /** the job a click on a point opens; none: clicks do nothing */
  jobOf?: (p: T) => string | null | undefined,
) {
  const [hover, setHover] = useState<Hover<T>>({ left: 0, top: 0 });
  const wrap = useRef<HTMLDivElement>(null);
  const latest = useRef({ pointAt, jobOf });
  latest.current = { pointAt, jobOf };
  const hooks = useMemo<uPlot.Hooks.Arrays>(() => {
    const at = (u: uPlot) => {
      const idx = u.cursor.idx;
      return idx === null || idx === undefined ? undefined : latest.current.pointAt[idx];
    };
    return {
      ready: [
        (u: uPlot) =>
          u.over.addEventListener("click", () => {
            const p = at(u);
            const jobId = p === undefined ? undefined : latest.current.jobOf?.(p);
            if (jobId) location.hash = `#/jobs/${encodeURIComponent(jobId)}`;
          }),
      ],
      setCursor: [
        (u: uPlot) => {
          const o = u.over.getBoundingClientRect();
          const w = wrap.current?.getBoundingClientRect() ?? o;
          setHover({
            point: at(u),
            left: o.left - w.left + (u.cursor.left ?? 0),
            top: o.top - w.top + (u.cursor.top ?? 0),
          });
        },
      ],
    };
  }, []);
  return { hover, wrap, hooks };
}

/** One group's two series: every point as a scatter, and its frontier joined. */
export function scatterAndFrontier(name: string, color: string): uPlot.Series[] {
  return [
    {
      label: `${name} (all points)`,
      class: "bf-scatter",
      stroke: color,
      paths: () => null,
      points: { show: true, size: 6, stroke: color, fill: `${color}55` },
    },
    {
      label: name,
      class: "bf-frontier",
      stroke: color,
      width: 2,
      spanGaps: true,
      points: { show: true, size: 8, stroke: color, fill: color },
    },
  ];
}
