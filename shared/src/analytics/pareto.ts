/**
 * Pareto frontier over any pair of axes, each with its own direction (max or min).
 * A point is on the frontier when no other point is at least as good on both axes and strictly
 * better on one. Points at identical coordinates are collapsed into one frontier point that keeps
 * every item (`item` is the first in input order, `ties` the rest), so the configuration behind
 * each point is never lost. Items whose x or y is missing or not finite are left out.
 * The result is sorted by x ascending.
 */

export type Direction = "max" | "min";

export interface ParetoAxis<T> {
  value(item: T): number | null | undefined;
  direction: Direction;
}

export interface FrontierPoint<T> {
  x: number;
  y: number;
  item: T;
  /** other items at exactly the same (x, y) */
  ties: T[];
}

/** Whether a is at least as good as b on both axes and strictly better on one. */
export function dominates(
  a: { x: number; y: number },
  b: { x: number; y: number },
  dx: Direction,
  dy: Direction,
): boolean {
  const sx = dx === "max" ? 1 : -1;
  const sy = dy === "max" ? 1 : -1;
  const ax = sx * a.x;
  const bx = sx * b.x;
  const ay = sy * a.y;
  const by = sy * b.y;
  return ax >= bx && ay >= by && (ax > bx || ay > by);
}

export function paretoFrontier<T>(items: readonly T[], xAxis: ParetoAxis<T>, yAxis: ParetoAxis<T>): FrontierPoint<T>[] {
  const sx = xAxis.direction === "max" ? 1 : -1;
  const sy = yAxis.direction === "max" ? 1 : -1;
  const pts: Array<{ x: number; y: number; u: number; v: number; item: T; order: number }> = [];
  items.forEach((item, order) => {
    const x = xAxis.value(item);
    const y = yAxis.value(item);
    if (typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y)) return;
    // normalised so that bigger is better on both; +0 turns -0 into 0 for tie detection
    pts.push({ x, y, u: sx * x + 0, v: sy * y + 0, item, order });
  });
  // best u first; for equal u, best v first; then input order (stable)
  pts.sort((a, b) => b.u - a.u || b.v - a.v || a.order - b.order);
  const out: FrontierPoint<T>[] = [];
  let bestV = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pts.length; ) {
    const p = pts[i];
    let j = i + 1;
    const ties: T[] = [];
    while (j < pts.length && pts[j].u === p.u && pts[j].v === p.v) ties.push(pts[j++].item);
    if (p.v > bestV) {
      out.push({ x: p.x, y: p.y, item: p.item, ties });
      bestV = p.v;
    }
    i = j;
  }
  return out.sort((a, b) => a.x - b.x);
}

/** One frontier per group (key order = first appearance). */
export function paretoByGroup<T>(
  items: readonly T[],
  groupOf: (item: T) => string,
  xAxis: ParetoAxis<T>,
  yAxis: ParetoAxis<T>,
): Map<string, FrontierPoint<T>[]> {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = groupOf(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  const out = new Map<string, FrontierPoint<T>[]>();
  for (const [k, g] of groups) out.set(k, paretoFrontier(g, xAxis, yAxis));
  return out;
}
