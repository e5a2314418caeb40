import { describe, expect, it } from "vitest";
import { combineRepeats } from "../point-repeats.js";
import { makeRow, TEST_SKUS } from "../test-support/result-rows.js";
import { compareResults, MIN_NOISE } from "./compare.js";
import type { ResultRow } from "./result-row.js";
import { analyzeRows, groupFrontiers, tableAt } from "./row-frontier.js";

// a sweep of one H100 TP8 configuration over concurrency: (conc, total tok/s, median TPOT ms)
const CURVE: Array<[number, number, number]> = [
  [4, 1600, 9],
  [16, 5200, 14],
  [64, 14000, 25],
  [256, 26000, 60],
];

function sweep(id: string, image: string, scale: (conc: number) => number) {
  return CURVE.map(([conc, tput, tpot]) =>
    makeRow({
      sweepId: id,
      image,
      concurrency: conc,
      totalTput: tput * scale(conc),
      medianTpotMs: tpot,
      date: `2025-06-0${id === "a" ? 1 : 2}T00:00:00Z`,
    }),
  );
}

describe("frontiers over result rows", () => {
  it("groups by model/precision/ISL-OSL/SKU/framework and keeps the configuration; failed points never count", () => {
    const rows = [
      ...sweep("a", "img:1", () => 1),
      makeRow({ sku: "gb200", tp: 4, concurrency: 8, totalTput: 8000, medianTpotMs: 10 }),
      makeRow({ concurrency: 512, totalTput: 1e9, medianTpotMs: 1, status: "failed", failureReason: "timeout" }),
    ];
    const fr = groupFrontiers(analyzeRows(rows, TEST_SKUS));
    expect(fr.map((f) => f.key)).toEqual(["dsr1 fp8 1k/1k gb200 sglang", "dsr1 fp8 1k/1k h100 sglang"]);
    const h = fr[1];
    expect(h.measured).toBe(4);
    expect(h.points.map((p) => p.item.row.result.point.concurrency)).toEqual([256, 64, 16, 4]);
    expect(h.points[0].item.row.config.tp).toBe(8);
    const table = tableAt(analyzeRows(rows, TEST_SKUS), [40, 1000], TEST_SKUS);
    const hAt = table.find((t) => t.key.includes("h100"))?.at;
    expect(hAt?.[0].ok).toBe(true);
    expect(hAt?.[1]).toMatchObject({ ok: false, reason: "above-range" });
  });
});

describe("compare", () => {
  it("flags a planted regression (−20% at concurrency 64) and nothing else", () => {
    const a = analyzeRows(
      sweep("a", "img:1", () => 1),
      TEST_SKUS,
    );
    const b = analyzeRows(
      sweep("b", "img:2", (c) => (c === 64 ? 0.8 : 1.01)),
      TEST_SKUS,
    );
    const cmp = compareResults(a, b, 0.05);
    expect(cmp.points).toHaveLength(4);
    expect(cmp.onlyInA).toBe(0);
    const bad = cmp.points.filter((p) => p.regression);
    expect(bad.map((p) => p.concurrency)).toEqual([64]);
    expect(bad[0].tputDelta).toBeCloseTo(-0.2, 12);
    expect(bad[0].reasons).toEqual(["throughput/GPU -20.0% (beyond 5.0% noise)"]);
    expect(bad[0].a.image).toBe("img:1");
    expect(bad[0].b.image).toBe("img:2");
    expect(cmp.regressions.points).toBe(1);
    expect(cmp.frontiers).toHaveLength(1);
    expect(cmp.frontiers[0].regression).toBe(true);
    const at40 = cmp.frontiers[0].at.find((d) => d.interactivity === 1000 / 25);
    expect(at40?.delta).toBeCloseTo(-0.2, 12);
  });

  it("no regression within tolerance", () => {
    const a = analyzeRows(
      sweep("a", "img:1", () => 1),
      TEST_SKUS,
    );
    const b = analyzeRows(
      sweep("b", "img:2", () => 0.97),
      TEST_SKUS,
    );
    const cmp = compareResults(a, b, 0.05);
    expect(cmp.regressions).toEqual({ points: 0, frontiers: 0 });
    expect(cmp.points.every((p) => Math.abs((p.tputDelta ?? 0) + 0.03) < 1e-12)).toBe(true);
    expect(() => compareResults(a, b, 2)).toThrow(/tolerance/);
  });

  it("repeated points: a regression only beyond the runs' measured spread", () => {
    // each point run 3 times with ±6 % scatter: the range is 12 % of the mean
    const repeated = (rows: ResultRow[]) =>
      rows.map((r) => {
        const runs = [0.94, 1, 1.06].map((k) => ({
          bench: { ...r.result.bench, total_token_throughput: r.result.bench.total_token_throughput * k },
        }));
        const { repeats } = combineRepeats(runs);
        return { ...r, result: { ...r.result, repeats } };
      });
    const a = analyzeRows(repeated(sweep("a", "img:1", () => 1)), TEST_SKUS);
    // 8 % slower: beyond the 5 % single-run minimum, within the 12 % spread
    const within = compareResults(a, analyzeRows(repeated(sweep("b", "img:1", () => 0.92)), TEST_SKUS));
    expect(within.regressions.points).toBe(0);
    expect(within.points[0]!.threshold).toBeCloseTo(0.12, 9);
    expect(within.points[0]!.a).toMatchObject({ runs: 3 });
    expect(within.points[0]!.a.tputSpread).toBeCloseTo(0.12, 9);
    // the whole frontier too: 8 % lower everywhere, within the spread of its points
    expect(within.regressions.frontiers).toBe(0);
    expect(within.frontiers[0]!.at.length).toBeGreaterThan(2);
    for (const d of within.frontiers[0]!.at) {
      expect(d.delta).toBeCloseTo(-0.08, 9);
      expect(d.threshold).toBeCloseTo(0.12, 9);
      expect(d.regression).toBe(false);
    }
    // 20 % slower: beyond it
    const beyond = compareResults(a, analyzeRows(repeated(sweep("b", "img:1", () => 0.8)), TEST_SKUS));
    expect(beyond.regressions.points).toBe(4);
    expect(beyond.points[0]!.reasons).toEqual(["throughput/GPU -20.0% (beyond 12.0% noise)"]);
    expect(beyond.regressions.frontiers).toBe(1);
    expect(beyond.frontiers[0]!.at.every((d) => d.regression)).toBe(true);
    // the same 8 % measured once on each side: the single-run minimum (5 %) applies
    const once = compareResults(
      analyzeRows(
        sweep("a", "img:1", () => 1),
        TEST_SKUS,
      ),
      analyzeRows(
        sweep("b", "img:1", () => 0.92),
        TEST_SKUS,
      ),
    );
    expect(once.regressions.points).toBe(4);
    expect(once.points[0]!.threshold).toBe(0.05);
    expect(once.regressions.frontiers).toBe(1);
    expect(once.frontiers[0]!.at.every((d) => d.threshold === 0.05 && d.regression)).toBe(true);
    // one side repeated without spread, the other measured once: the single-run minimum still applies
    const steady = sweep("a", "img:1", () => 1).map((r) => ({
      ...r,
      result: { ...r.result, repeats: combineRepeats([r.result, r.result]).repeats },
    }));
    const mixed = compareResults(
      analyzeRows(steady, TEST_SKUS),
      analyzeRows(
        sweep("b", "img:1", () => 0.97),
        TEST_SKUS,
      ),
    );
    expect(mixed.frontiers[0]!.at.every((d) => d.threshold === 0.05 && !d.regression)).toBe(true);
  });

  it("identical repeated runs: the threshold never drops below the minimum noise", () => {
    const still = (rows: ResultRow[]) =>
      rows.map((r) => ({ ...r, result: { ...r.result, repeats: combineRepeats([r.result, r.result]).repeats } }));
    const a = analyzeRows(still(sweep("a", "img:1", () => 1)), TEST_SKUS);
    const b = analyzeRows(still(sweep("b", "img:1", () => 0.995)), TEST_SKUS);
    const cmp = compareResults(a, b);
    expect(cmp.points.every((p) => p.threshold === MIN_NOISE)).toBe(true);
    expect(cmp.regressions.points).toBe(0);
    expect(cmp.frontiers[0]!.at.every((d) => d.threshold === MIN_NOISE)).toBe(true);
    expect(cmp.regressions.frontiers).toBe(0);
    expect(cmp.changes).toEqual([]);
  });

  it("lists what changed between the runs: image, engine version, fingerprint, spec decoding", () => {
    const a = sweep("a", "img:1", () => 1);
    const b = sweep("b", "img:2", () => 1).map((r) => ({
      ...r,
      provenance: { kind: "measured" as const, engineVersion: "0.6.0" },
      config: { ...r.config, fingerprint: "fp-new-recipe-0000" },
    }));
    const cmp = compareResults(analyzeRows(a, TEST_SKUS), analyzeRows(b, TEST_SKUS));
    expect(cmp.changes).toEqual([
      { what: "image", a: ["img:1"], b: ["img:2"] },
      { what: "engine version", a: ["(not reported)"], b: ["0.6.0"] },
      { what: "deployment fingerprint", a: ["fp-h100-8-s"], b: ["fp-new-recip"] },
    ]);
  });
});
