import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TEST_SKUS } from "../test-support/result-rows.js";
import { atInteractivity, valueAt } from "./interpolate.js";

describe("interpolation at a target interactivity", () => {
  it("is exact on linear data", () => {
    // tput/GPU = 3000 − 20·interactivity
    const curve = [10, 30, 60, 100].map((x) => ({ x, y: 3000 - 20 * x }));
    for (const x of [10, 12.5, 35, 77.7, 100]) {
      const v = valueAt(curve, x);
      expect(v.ok).toBe(true);
      if (v.ok) expect(v.value).toBeCloseTo(3000 - 20 * x, 9);
    }
    const at = atInteractivity(curve, 35, TEST_SKUS.h100.tco);
    expect(at.ok).toBe(true);
    if (at.ok) {
      expect(at.tputPerGpu).toBeCloseTo(2300, 9);
      expect(at.cost.hyperscaler).toBeCloseTo(1.3 / ((2300 * 3600) / 1e6), 12);
      expect(at.exact).toBe(false);
    }
  });

  it("is exact on linear data (property, any order of input points)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 2, maxLength: 10 }),
        fc.double({ min: -20, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, a, t) => {
          const curve = xs.map((x) => ({ x, y: 5000 + a * x }));
          const lo = Math.min(...xs);
          const hi = Math.max(...xs);
          const x = lo + t * (hi - lo);
          const v = valueAt(curve, x);
          expect(v.ok).toBe(true);
          if (v.ok) expect(Math.abs(v.value - (5000 + a * x))).toBeLessThan(1e-7);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never extrapolates and says so", () => {
    const curve = [
      { x: 20, y: 1500 },
      { x: 80, y: 300 },
    ];
    const below = valueAt(curve, 10);
    expect(below).toMatchObject({ ok: false, reason: "below-range", range: [20, 80] });
    if (!below.ok) expect(below.message).toMatch(/below the measured range 20\.0–80\.0 \(no extrapolation\)/);
    const above = atInteractivity(curve, 116, TEST_SKUS.h100.tco);
    expect(above).toMatchObject({ ok: false, reason: "above-range", interactivity: 116 });
    expect(valueAt([], 5)).toMatchObject({ ok: false, reason: "empty" });
    // a single measured point answers only at itself
    expect(valueAt([{ x: 50, y: 900 }], 50)).toEqual({ ok: true, value: 900, exact: true });
    expect(valueAt([{ x: 50, y: 900 }], 50.5)).toMatchObject({ ok: false, reason: "above-range" });
  });

  it("stays between the neighbouring frontier points on a real-shaped curve", () => {
    const curve = [
      { x: 7.9, y: 3210 },
      { x: 24.1, y: 1902 },
      { x: 55.2, y: 702 },
      { x: 116.3, y: 178 },
    ];
    let prev = Number.POSITIVE_INFINITY;
    for (let x = 7.9; x <= 116.3; x += 0.5) {
      const v = valueAt(curve, x);
      expect(v.ok).toBe(true);
      if (v.ok) {
        expect(v.value).toBeLessThanOrEqual(prev);
        prev = v.value;
      }
    }
  });
});
