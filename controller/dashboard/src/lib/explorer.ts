/**
 * The results explorer's model: a scenario (one model family and one ISL/OSL, never pooled), the
 * filters inside it (precisions, SKUs, frameworks, spec decoding, sweep), series keyed by any
 * combination of SKU × framework × precision × spec decoding, the x axis (interactivity, E2E
 * latency, TTFT) and y axis (throughput per GPU, cost per M tokens, energy per token), each
 * series' Pareto frontier, uPlot's aligned data and the table at target x values. Pure.
 */
import type { ExplorerPoint } from "@benchfleet/shared/browser";
import { paretoFrontier, valueAt } from "@benchfleet/shared/browser";

interface Axis {
  label: string;
  short: string;
  better: "max" | "min";
  get(p: ExplorerPoint): number | null;
}

export const X_AXES = {
  interactivity: {
    label: "Interactivity (tok/s/user)",
    short: "tok/s/user",
    better: "max",
    get: (p) => p.interactivity,
  },
  e2el: { label: "E2E latency median (ms)", short: "ms E2E", better: "min", get: (p) => p.e2elMs },
  ttft: { label: "TTFT median (ms)", short: "ms TTFT", better: "min", get: (p) => p.ttftMs },
} as const satisfies Record<string, Axis>;
export type XAxis = keyof typeof X_AXES;

export const Y_AXES = {
  tputPerGpu: {
    label: "Throughput per GPU (tok/s/GPU)",
    short: "tok/s/GPU",
    better: "max",
    get: (p) => p.tputPerGpu,
  },
  cost: { label: "Cost per M tokens ($, hyperscaler)", short: "$/M tok", better: "min", get: (p) => p.costPerMillion },
  energy: { label: "Energy per token (J)", short: "J/tok", better: "min", get: (p) => p.joulesPerToken },
} as const satisfies Record<string, Axis>;
export type YAxis = keyof typeof Y_AXES;

export const SERIES_DIMS = ["sku", "framework", "precision", "spec"] as const;
export type SeriesDim = (typeof SERIES_DIMS)[number];

const DIM_OF: Record<SeriesDim, (p: ExplorerPoint) => string> = {
  sku: (p) => p.sku,
  framework: (p) => p.framework,
  precision: (p) => p.precision,
  spec: (p) => (p.spec ? p.specDecoding : "no-spec"),
};

/** A model family with one ISL/OSL: the only set of points one chart may hold. */
export interface Scenario {
  family: string;
  isl: number;
  osl: number;
}

export const scenarioKey = (s: Scenario) => `${s.family} ${s.isl}/${s.osl}`;

/** Every scenario of the points with its point count, the largest first. */
export function scenarios(points: readonly ExplorerPoint[]): Array<Scenario & { points: number }> {
  const m = new Map<string, Scenario & { points: number }>();
  for (const p of points) {
    const k = scenarioKey(p);
    const s = m.get(k);
    if (s) s.points++;
    else m.set(k, { family: p.family, isl: p.isl, osl: p.osl, points: 1 });
  }
  return [...m.values()].sort((a, b) => b.points - a.points || scenarioKey(a).localeCompare(scenarioKey(b)));
}

/** Filters inside the scenario; an empty list or undefined means all. */
export interface ExplorerFilter {
  precisions?: readonly string[];
  skus?: readonly string[];
  frameworks?: readonly string[];
  /** "on": spec decoding only; "off": without only */
  spec?: "on" | "off";
  sweep?: string;
}

const inList = (v: string, list: readonly string[] | undefined) => !list?.length || list.includes(v);

export function selectPoints(
  points: readonly ExplorerPoint[],
  scenario: Scenario,
  f: ExplorerFilter = {},
): ExplorerPoint[] {
  return points.filter(
    (p) =>
      p.family === scenario.family &&
      p.isl === scenario.isl &&
      p.osl === scenario.osl &&
      inList(p.precision, f.precisions) &&
      inList(p.sku, f.skus) &&
      inList(p.framework, f.frameworks) &&
      (f.spec === undefined || p.spec === (f.spec === "on")) &&
      (!f.sweep || p.sweepId === f.sweep),
  );
}

export function seriesKeyOf(p: ExplorerPoint, dims: readonly SeriesDim[]): string {
  return dims.length ? dims.map((d) => DIM_OF[d](p)).join(" · ") : "all";
}

/** Dimensions left out of the series key that still vary among the points: what each series pools. */
export function pooledDims(points: readonly ExplorerPoint[], dims: readonly SeriesDim[]): SeriesDim[] {
  return SERIES_DIMS.filter((d) => !dims.includes(d) && new Set(points.map(DIM_OF[d])).size > 1);
}

export interface ExplorerSeries {
  key: string;
  points: ExplorerPoint[];
  frontier: ExplorerPoint[];
  emulated: boolean;
}

export interface ExplorerChart {
  series: ExplorerSeries[];
  /** uPlot aligned data: [x, (scatter, frontier) per series] */
  data: Array<Array<number | null>>;
  /** the point behind each x index */
  pointAt: ExplorerPoint[];
  emulated: boolean;
}

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

/** Series of the points keyed by `keyOf`, each with its Pareto frontier on (x, y). */
export function buildExplorerChartBy(
  points: readonly ExplorerPoint[],
  x: XAxis,
  y: YAxis,
  keyOf: (p: ExplorerPoint) => string,
): ExplorerChart {
  const ax = X_AXES[x];
  const ay = Y_AXES[y];
  const usable = points.filter((p) => finite(ax.get(p)) && finite(ay.get(p)));
  const byKey = new Map<string, ExplorerPoint[]>();
  for (const p of usable) {
    const k = keyOf(p);
    const list = byKey.get(k);
    if (list) list.push(p);
    else byKey.set(k, [p]);
  }
  const series = [...byKey.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, pts]) => ({
      key,
      points: pts,
      frontier: paretoFrontier(
        pts,
        { value: (p) => ax.get(p) as number, direction: ax.better },
        { value: (p) => ay.get(p) as number, direction: ay.better },
      )
        .map((f) => f.item)
        .sort((a, b) => (ax.get(a) as number) - (ax.get(b) as number)),
      emulated: pts.some((p) => p.emulated),
    }));
  const pointAt = usable.slice().sort((a, b) => (ax.get(a) as number) - (ax.get(b) as number));
  const index = new Map(pointAt.map((p, i) => [p, i]));
  const data: Array<Array<number | null>> = [pointAt.map((p) => ax.get(p) as number)];
  for (const s of series) {
    const scatter: Array<number | null> = new Array(pointAt.length).fill(null);
    const line: Array<number | null> = new Array(pointAt.length).fill(null);
    for (const p of s.points) scatter[index.get(p)!] = ay.get(p);
    for (const p of s.frontier) line[index.get(p)!] = ay.get(p);
    data.push(scatter, line);
  }
  return { series, data, pointAt, emulated: usable.some((p) => p.emulated) };
}

export function buildExplorerChart(
  points: readonly ExplorerPoint[],
  x: XAxis,
  y: YAxis,
  dims: readonly SeriesDim[],
): ExplorerChart {
  return buildExplorerChartBy(points, x, y, (p) => seriesKeyOf(p, dims));
}

/** Two significant digits, so default targets read as round numbers. */
function round2(v: number): number {
  if (v <= 0) return v;
  const e = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Math.round(v / e) * e;
}

/**
 * Four target x values inside the data: evenly spaced over the x range every series' frontier
 * covers, or, when the frontiers share no range, over the widest one. Empty without frontiers.
 */
export function defaultTargets(chart: ExplorerChart, x: XAxis): number[] {
  const get = X_AXES[x].get;
  const ranges = chart.series
    .map((s) => s.frontier.map((p) => get(p)).filter(finite))
    .filter((xs) => xs.length > 0)
    .map((xs) => [Math.min(...xs), Math.max(...xs)] as const);
  if (ranges.length === 0) return [];
  let lo = Math.max(...ranges.map((r) => r[0]));
  let hi = Math.min(...ranges.map((r) => r[1]));
  if (!(lo < hi)) [lo, hi] = ranges.reduce((w, r) => (r[1] - r[0] > w[1] - w[0] ? r : w));
  if (lo === hi) return [round2(lo)];
  const out = [0.1, 0.37, 0.63, 0.9].map((f) => round2(lo + (hi - lo) * f)).filter((v) => v >= lo && v <= hi);
  return [...new Set(out)];
}

/** The y metric at each target x along each series' frontier (monotone cubic, no extrapolation). */
export function explorerTable(
  chart: ExplorerChart,
  x: XAxis,
  y: YAxis,
  targets: readonly number[],
): Array<{ key: string; emulated: boolean; cells: Array<{ ok: boolean; value?: number; message?: string }> }> {
  return chart.series.map((s) => {
    const curve = s.frontier
      .map((p) => ({ x: X_AXES[x].get(p) as number, y: Y_AXES[y].get(p) as number }))
      .sort((a, b) => a.x - b.x);
    return {
      key: s.key,
      emulated: s.emulated,
      cells: targets.map((t) => {
        const v = valueAt(curve, t);
        return v.ok ? { ok: true, value: v.value } : { ok: false, message: v.message };
      }),
    };
  });
}

/** Parses a comma list from the URL, keeping only allowed values; undefined when none given. */
export function listParam<T extends string>(v: string | undefined, allowed?: readonly T[]): T[] | undefined {
  if (v === undefined) return undefined;
  const parts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean) as T[];
  return allowed ? parts.filter((p) => allowed.includes(p)) : parts;
}
