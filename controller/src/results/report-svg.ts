/**
 * Inline SVG charts for the HTML report: scatter of every measured point plus each group's
 * frontier drawn as a monotone (Steffen) spline through its frontier points, linear axes with
 * round ticks, a legend, and a <title> tooltip per point. No script, no external resource.
 */
import { monotoneSpline, sampleSpline } from "@benchfleet/shared";

export interface ChartPoint {
  x: number;
  y: number;
  /** tooltip text */
  label?: string;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  frontier: ChartPoint[];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
];

export function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmtTick = (v: number) =>
  Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(3)));

export function svgChart(spec: ChartSpec): string {
  const W = spec.width ?? 560;
  const H = spec.height ?? 360;
  const m = { l: 64, r: 16, t: 30, b: 46 };
  const all = spec.series
    .flatMap((s) => [...s.points, ...s.frontier])
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">`,
  );
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" class="ct">${esc(spec.title)}</text>`);
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`);
    return parts.join("");
  }
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 * 0.9 - 1, x1 * 1.1 + 1];
  if (y0 === y1) y1 = y0 + 1;
  const padX = (x1 - x0) * 0.04;
  x0 = Math.max(0, x0 - padX);
  x1 += padX;
  y1 += (y1 - y0) * 0.06;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  // grid and ticks
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line class="grid" x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}"/>`);
    parts.push(
      `<text class="tick" x="${sx(t).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle">${fmtTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}"/>`);
    parts.push(
      `<text class="tick" x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmtTick(t)}</text>`,
    );
  }
  parts.push(`<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}"/>`);
  parts.push(`<line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}"/>`);
  parts.push(
    `<text class="al" x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
  );
  parts.push(
    `<text class="al" transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const f = s.frontier.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (f.length >= 2) {
      const sp = monotoneSpline(
        f.map((p) => p.x),
        f.map((p) => p.y),
      );
      const d = sampleSpline(sp, 80)
        .map((p, k) => `${k === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
        .join("");
      parts.push(`<path class="frontier" d="${d}" stroke="${color}"/>`);
    }
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
      const onF = f.some((q) => q.x === p.x && q.y === p.y);
      parts.push(
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${onF ? 4 : 2.5}" fill="${onF ? color : "none"}" stroke="${color}">` +
          `<title>${esc(`${s.name}\n${p.label ?? ""}`)}</title></circle>`,
      );
    }
    const ly = m.t + 4 + i * 14;
    parts.push(`<rect x="${W - m.r - 190}" y="${ly}" width="10" height="10" fill="${color}"/>`);
    parts.push(
      `<text class="lg" x="${W - m.r - 176}" y="${ly + 9}">${esc(s.name.length > 30 ? `${s.name.slice(0, 29)}…` : s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}
