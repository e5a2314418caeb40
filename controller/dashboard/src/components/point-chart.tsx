/**
 * A frontier chart whose points have a tooltip and may name a job: the uPlot chart inside the
 * wrapper `useChartHover` measures from, and the hovered point's text beside the cursor.
 */
import type { RefObject } from "preact";
import type uPlot from "uplot";
import type { Hover } from "./chart-hover.js";
import { UPlotChart } from "./uplot-chart.js";

export function PointChart<T extends { jobId?: string | null }>(props: {
  wrap: RefObject<HTMLDivElement | null>;
  hover: Hover<T>;
  /** the tooltip's text for the hovered point */
  tooltip: (p: T) => string;
  tooltipTestId: string;
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  optionsKey: string;
  testId: string;
  height?: number;
}) {
  const p = props.hover.point;
  return (
    <div ref={props.wrap} style={{ position: "relative" }}>
      <UPlotChart
        options={props.options}
        data={props.data}
        optionsKey={props.optionsKey}
        height={props.height ?? 380}
        testId={props.testId}
      />
      {p && (
        <div
          class="tooltip"
          style={{ left: `${props.hover.left + 12}px`, top: `${props.hover.top + 12}px` }}
          data-testid={props.tooltipTestId}
          data-job={p.jobId ?? ""}
        >
          {props.tooltip(p)}
        </div>
      )}
    </div>
  );
}
