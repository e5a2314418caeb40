/**
 * uPlot wrapper: builds the chart once per options change, feeds new data with setData. The
 * instance is kept on the container element as `uplot`, so a test in the page can read the
 * series and data the chart draws.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export function UPlotChart(props: {
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height?: number;
  optionsKey: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const height = props.height ?? 280;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(300, el.clientWidth || 600);
    const u = new uPlot({ ...props.options, width, height } as uPlot.Options, props.data, el);
    plot.current = u;
    (el as HTMLDivElement & { uplot?: uPlot }).uplot = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(300, el.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = undefined;
      delete (el as HTMLDivElement & { uplot?: uPlot }).uplot;
    };
  }, [props.optionsKey, height]);
  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);
  return <div ref={box} class="chart" data-testid={props.testId} />;
}
