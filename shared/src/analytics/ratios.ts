/**
 * Ratios between groups at a target interactivity, e.g. GB200 vs H100 at 116 tok/s/user or
 * MTP vs no MTP: throughput per GPU of a ÷ b and cost per million tokens of a ÷ b (each at its
 * own SKU's TCO rate). A ratio exists only where both frontiers cover the target.
 */
import type { TcoRates } from "../skus.js";
import { type AtInteractivity, atInteractivity, type CurvePoint } from "./interpolate.js";
import { TCO_RATE_NAMES, type TcoRateName } from "./per-point.js";

export interface CurveWithRates {
  key: string;
  points: readonly CurvePoint[];
  tco: TcoRates;
}

export interface RatioAt {
  interactivity: number;
  a: AtInteractivity;
  b: AtInteractivity;
  /** a's throughput per GPU ÷ b's (> 1: a does more per GPU); null when either is out of range */
  throughputRatio: number | null;
  /** a's cost per M tokens ÷ b's, per TCO rate (< 1: a is cheaper) */
  costRatio: Record<TcoRateName, number | null> | null;
  /** why there is no ratio */
  message?: string;
}

export function ratioAt(a: CurveWithRates, b: CurveWithRates, interactivity: number): RatioAt {
  const ra = atInteractivity(a.points, interactivity, a.tco);
  const rb = atInteractivity(b.points, interactivity, b.tco);
  if (!ra.ok || !rb.ok) {
    const why = [!ra.ok ? `${a.key}: ${ra.message}` : null, !rb.ok ? `${b.key}: ${rb.message}` : null]
      .filter(Boolean)
      .join("; ");
    return { interactivity, a: ra, b: rb, throughputRatio: null, costRatio: null, message: why };
  }
  const costRatio = {} as Record<TcoRateName, number | null>;
  for (const r of TCO_RATE_NAMES) {
    const ca = ra.cost[r];
    const cb = rb.cost[r];
    costRatio[r] = ca !== null && cb !== null && cb > 0 ? ca / cb : null;
  }
  return {
    interactivity,
    a: ra,
    b: rb,
    throughputRatio: rb.tputPerGpu > 0 ? ra.tputPerGpu / rb.tputPerGpu : null,
    costRatio,
  };
}

/** Every curve against one baseline at each target interactivity. */
export function ratioTable(
  curves: readonly CurveWithRates[],
  baselineKey: string,
  targets: readonly number[],
): Array<{ key: string; ratios: RatioAt[] }> {
  const base = curves.find((c) => c.key === baselineKey);
  if (!base)
    throw new RangeError(
      `ratioTable: no curve "${baselineKey}" (have: ${curves.map((c) => c.key).join(", ") || "none"})`,
    );
  return curves
    .filter((c) => c.key !== baselineKey)
    .map((c) => ({ key: c.key, ratios: targets.map((t) => ratioAt(c, base, t)) }));
}
