import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { monotoneSpline, sampleSpline } from "./monotone-spline.js";

const increments = (min: number) =>
  fc.array(fc.double({ min, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 });
function cumsum(start: number, inc: number[]): number[] {
  const out = [start];
  for (const d of inc) out.push(out[out.length - 1] + d);
  return out;
}

describe("monotoneSpline", () => {
  it("reproduces linear data exactly (property)", () => {
    fc.assert(
      fc.property(
        increments(0.01),
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (inc, a, b, t) => {
          const xs = cumsum(1, inc);
          const sp = monotoneSpline(
            xs,
            xs.map((x) => a * x + b),
          );
          const x = xs[0] + t * (xs[xs.length - 1] - xs[0]);
          const scale = Math.abs(a) * Math.abs(x) + Math.abs(b) + 1;
          expect(Math.abs((sp.at(x) as number) - (a * x + b))).toBeLessThan(1e-9 * scale);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is monotone on monotone data, passes through the knots and keeps Fritsch–Carlson slopes (property)", () => {
    fc.assert(
      fc.property(
        increments(0.01),
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        (inc, dy, down) => {
          const xs = cumsum(0, inc);
          const ys = cumsum(0, dy.slice(0, xs.length - 1)).map((y) => (down ? -y : y));
          const sp = monotoneSpline(xs, ys);
          for (const [i, x] of xs.entries()) expect(sp.at(x)).toBe(ys[i]);
          // slopes: same sign as the secants around them, at most 3× the secant (no overshoot)
          for (let i = 0; i < xs.length - 1; i++) {
            const s = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
            for (const d of [sp.slopes[i], sp.slopes[i + 1]]) {
              if (s === 0)
                expect(Math.abs(d)).toBe(0); // flat interval: flat at both ends
              else {
                expect(d / s).toBeGreaterThanOrEqual(0);
                expect(d / s).toBeLessThanOrEqual(3 + 1e-9);
              }
            }
          }
          const samples = sampleSpline(sp, 200).map((p) => (down ? -p.y : p.y));
          for (let k = 1; k < samples.length; k++)
            expect(samples[k]).toBeGreaterThanOrEqual(samples[k - 1] - 1e-9 * (1 + Math.abs(samples[k])));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is monotone on a real-shaped throughput/interactivity frontier", () => {
    // shape of an 8×H100 DeepSeek frontier: throughput per GPU falls steeply, then flattens
    const xs = [7.9, 14.6, 24.1, 38.7, 55.2, 81.4, 116.3];
    const ys = [3210, 2655, 1902, 1188, 702, 341, 178];
    const sp = monotoneSpline(xs, ys);
    const s = sampleSpline(sp, 500);
    for (let k = 1; k < s.length; k++) expect(s[k].y).toBeLessThanOrEqual(s[k - 1].y);
    expect(s[0].y).toBe(3210);
    expect(s[s.length - 1].y).toBe(178);
  });

  it("does not extrapolate, and rejects bad knots", () => {
    const sp = monotoneSpline([1, 2, 3], [10, 20, 30]);
    expect(sp.at(0.999)).toBeUndefined();
    expect(sp.at(3.001)).toBeUndefined();
    expect(sp.at(Number.NaN)).toBeUndefined();
    expect(monotoneSpline([5], [7]).at(5)).toBe(7);
    expect(monotoneSpline([5], [7]).at(5.1)).toBeUndefined();
    expect(() => monotoneSpline([1, 1], [1, 2])).toThrow(/increase strictly/);
    expect(() => monotoneSpline([1, 2], [1])).toThrow(/2 x values but 1/);
    expect(() => monotoneSpline([], [])).toThrow(/no points/);
  });
});
