/**
 * Monotone cubic interpolation (Steffen 1990, the method the reference dashboard draws its
 * frontiers with). Between knots the curve never overshoots: on each interval it stays within
 * the two knot values, so monotone data give a monotone curve; linear data are reproduced exactly.
 * No extrapolation: outside [first x, last x] `at` returns undefined and callers must say the
 * target is out of the measured range.
 */

export interface MonotoneSpline {
  readonly xs: readonly number[];
  readonly ys: readonly number[];
  /** derivative at each knot */
  readonly slopes: readonly number[];
  readonly domain: readonly [number, number];
  /** value at x, or undefined outside the knots' range */
  at(x: number): number | undefined;
}

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

export function monotoneSpline(xs: readonly number[], ys: readonly number[]): MonotoneSpline {
  if (xs.length !== ys.length) throw new RangeError(`monotoneSpline: ${xs.length} x values but ${ys.length} y values`);
  if (xs.length === 0) throw new RangeError("monotoneSpline: no points");
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i]))
      throw new RangeError(`monotoneSpline: point ${i} is not finite`);
    if (i > 0 && !(xs[i] > xs[i - 1])) throw new RangeError(`monotoneSpline: x must increase strictly (index ${i})`);
  }
  const n = xs.length;
  const h: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n - 1; i++) {
    h.push(xs[i + 1] - xs[i]);
    s.push((ys[i + 1] - ys[i]) / h[i]);
  }
  const d: number[] = new Array(n).fill(0);
  if (n >= 2) {
    d[0] = s[0];
    d[n - 1] = s[n - 2];
    for (let i = 1; i < n - 1; i++) {
      const p = (s[i - 1] * h[i] + s[i] * h[i - 1]) / (h[i - 1] + h[i]);
      d[i] = (sign(s[i - 1]) + sign(s[i])) * Math.min(Math.abs(s[i - 1]), Math.abs(s[i]), 0.5 * Math.abs(p));
    }
  }
  const lo = xs[0];
  const hi = xs[n - 1];
  const at = (x: number): number | undefined => {
    if (!(x >= lo && x <= hi)) return undefined;
    if (n === 1) return ys[0];
    // binary search for the interval [xs[i], xs[i+1]] containing x
    let a = 0;
    let b = n - 1;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (xs[m] <= x) a = m;
      else b = m;
    }
    const i = a;
    if (x === xs[i]) return ys[i];
    if (x === xs[i + 1]) return ys[i + 1];
    const dx = x - xs[i];
    const hi2 = h[i] * h[i];
    const c3 = (d[i] + d[i + 1] - 2 * s[i]) / hi2;
    const c2 = (3 * s[i] - 2 * d[i] - d[i + 1]) / h[i];
    const v = ((c3 * dx + c2) * dx + d[i]) * dx + ys[i];
    // guard against rounding pushing the value a hair outside the interval's bounds
    const ylo = Math.min(ys[i], ys[i + 1]);
    const yhi = Math.max(ys[i], ys[i + 1]);
    return Math.min(yhi, Math.max(ylo, v));
  };
  return { xs: [...xs], ys: [...ys], slopes: d, domain: [lo, hi], at };
}

/** Samples the spline at `n` evenly spaced x over its domain (for drawing). */
export function sampleSpline(spline: MonotoneSpline, n: number): Array<{ x: number; y: number }> {
  const [lo, hi] = spline.domain;
  if (n < 2 || lo === hi) return [{ x: lo, y: spline.at(lo) as number }];
  const out: Array<{ x: number; y: number }> = [];
  for (let k = 0; k < n; k++) {
    const x = k === n - 1 ? hi : lo + ((hi - lo) * k) / (n - 1);
    out.push({ x, y: spline.at(x) as number });
  }
  return out;
}
