import { describe, expect, it } from "vitest";
import { TEST_SKUS } from "../test-support/result-rows.js";
import { ratioAt, ratioTable } from "./ratios.js";

const line = (a: number, b: number, xs: number[]) => xs.map((x) => ({ x, y: a + b * x }));

describe("ratios between groups at a target interactivity", () => {
  const h100 = { key: "h100", points: line(1200, -8, [20, 60, 140]), tco: TEST_SKUS.h100.tco };
  const gb200 = { key: "gb200", points: line(6000, -30, [20, 100, 180]), tco: TEST_SKUS.gb200.tco };

  it("GB200 vs H100 at 116 tok/s/user", () => {
    const r = ratioAt(gb200, h100, 116);
    // gb200: 6000 − 30·116 = 2520; h100: 1200 − 8·116 = 272
    expect(r.a.ok && r.a.tputPerGpu).toBeCloseTo(2520, 9);
    expect(r.b.ok && r.b.tputPerGpu).toBeCloseTo(272, 9);
    expect(r.throughputRatio).toBeCloseTo(2520 / 272, 9);
    // cost ratio = (2.21 / 2520) / (1.30 / 272)
    expect(r.costRatio?.hyperscaler).toBeCloseTo(2.21 / 2520 / (1.3 / 272), 9);
    expect(r.costRatio?.rental).toBeCloseTo(3.3 / 2520 / (1.3 / 272), 9);
  });

  it("no ratio outside either range, with the reason", () => {
    const r = ratioAt(gb200, h100, 160);
    expect(r.throughputRatio).toBeNull();
    expect(r.message).toMatch(/^h100: 160 is above the measured range/);
  });

  it("table against a baseline", () => {
    const t = ratioTable([h100, gb200], "h100", [35, 116]);
    expect(t).toHaveLength(1);
    expect(t[0].key).toBe("gb200");
    expect(t[0].ratios.map((r) => r.throughputRatio)).toEqual([
      expect.closeTo(4950 / 920, 9),
      expect.closeTo(2520 / 272, 9),
    ]);
    expect(() => ratioTable([h100], "b200", [35])).toThrow(/no curve "b200"/);
  });
});
