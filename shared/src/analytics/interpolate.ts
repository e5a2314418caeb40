/**
 * Throughput per GPU and cost at a target interactivity along a frontier, read off a monotone
 * cubic through the frontier points (x = interactivity, y = throughput per GPU). Never
 * extrapolates: a target outside the measured interactivity range gives `ok: false` with a
 * message saying so. Cost is derived from the interpolated throughput (cost = rate ÷ tokens per
 * GPU-hour), so cost and throughput at a target always agree.
 */
import type { TcoRates } from "../skus.js";
import { monotoneSpline } from "./monotone-spline.js";
import { costPerMillionTokens, TCO_RATE_NAMES, type TcoRateName } from "./per-point.js";

export interface CurvePoint {
  x: number;
  y: number;
}

export type OutOfRange = {
  ok: false;
  reason: "empty" | "below-range" | "above-range";
  /** measured x range of the curve, when it has points */
  range?: [number, number];
  message: string;
};

export type ValueAt = { ok: true; value: number; exact: boolean } | OutOfRange;

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Sorted by x with equal x merged (keeping the highest y, as a frontier would). */
function prepare(curve: readonly CurvePoint[]): CurvePoint[] {
  const sorted = curve.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
  const out: CurvePoint[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && last.x === p.x) last.y = Math.max(last.y, p.y);
    else out.push({ x: p.x, y: p.y });
  }
  return out;
}

/** y at x along the curve by monotone cubic interpolation, or why not. */
export function valueAt(curve: readonly CurvePoint[], x: number): ValueAt {
  const pts = prepare(curve);
  if (pts.length === 0) return { ok: false, reason: "empty", message: "no measured points" };
  const lo = pts[0].x;
  const hi = pts[pts.length - 1].x;
  const range: [number, number] = [lo, hi];
  if (x < lo)
    return {
      ok: false,
      reason: "below-range",
      range,
      message: `${fmt(x)} is below the measured range ${fmt(lo)}–${fmt(hi)} (no extrapolation)`,
    };
  if (x > hi)
    return {
      ok: false,
      reason: "above-range",
      range,
      message: `${fmt(x)} is above the measured range ${fmt(lo)}–${fmt(hi)} (no extrapolation)`,
    };
  const spline = monotoneSpline(
    pts.map((p) => p.x),
    pts.map((p) => p.y),
  );
  const exact = pts.some((p) => p.x === x);
  return { ok: true, value: spline.at(x) as number, exact };
}

export type AtInteractivity =
  | { ok: true; interactivity: number; tputPerGpu: number; exact: boolean; cost: Record<TcoRateName, number | null> }
  | (OutOfRange & { interactivity: number });

/**
 * Throughput per GPU and total cost per million tokens (each TCO rate) at `interactivity`
 * along a frontier whose points are (interactivity, throughput per GPU).
 */
export function atInteractivity(
  frontier: readonly CurvePoint[],
  interactivity: number,
  tco: TcoRates,
): AtInteractivity {
  const v = valueAt(frontier, interactivity);
  if (!v.ok) return { ...v, interactivity };
  const cost = {} as Record<TcoRateName, number | null>;
  for (const r of TCO_RATE_NAMES) cost[r] = costPerMillionTokens(tco[r], v.value);
  return { ok: true, interactivity, tputPerGpu: v.value, exact: v.exact, cost };
}
