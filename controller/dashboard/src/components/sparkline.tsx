/** A tiny canvas line chart of recent values (GPU power/utilisation/memory per node). */
import { useEffect, useRef } from "preact/hooks";

export function Sparkline(props: {
  values: readonly number[];
  width?: number;
  height?: number;
  max?: number;
  color?: string;
  title?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const w = props.width ?? 80;
  const h = props.height ?? 20;
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext("2d");
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = w * dpr;
    c.height = h * dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const v = props.values;
    if (v.length < 2) return;
    const max = props.max ?? Math.max(...v, 1);
    ctx.strokeStyle = props.color ?? "#3b82f6";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    v.forEach((y, i) => {
      const px = (i / (v.length - 1)) * (w - 2) + 1;
      const py = h - 1 - (Math.min(y, max) / max) * (h - 2);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
  });
  return (
    <canvas
      ref={ref}
      class="spark"
      style={{ width: `${w}px`, height: `${h}px` }}
      title={props.title}
      data-points={props.values.length}
    />
  );
}
