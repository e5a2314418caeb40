import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dominates, type ParetoAxis, paretoByGroup, paretoFrontier } from "./pareto.js";

type P = { x: number; y: number; id: string };
const X: ParetoAxis<P> = { value: (p) => p.x, direction: "max" };
const Y: ParetoAxis<P> = { value: (p) => p.y, direction: "max" };
const ids = (f: ReturnType<typeof paretoFrontier<P>>) => f.map((p) => p.item.id);

describe("paretoFrontier on hand-made sets", () => {
  it("keeps only non-dominated points, sorted by x", () => {
    const pts: P[] = [
      { x: 10, y: 1000, id: "a" }, // high throughput, low interactivity
      { x: 20, y: 800, id: "b" },
      { x: 15, y: 700, id: "c" }, // dominated by b
      { x: 40, y: 300, id: "d" },
      { x: 30, y: 200, id: "e" }, // dominated by d
      { x: 5, y: 900, id: "f" }, // dominated by a
    ];
    expect(ids(paretoFrontier(pts, X, Y))).toEqual(["a", "b", "d"]);
  });

  it("a single point is its own frontier; an empty set has none", () => {
    expect(ids(paretoFrontier([{ x: 1, y: 2, id: "only" }], X, Y))).toEqual(["only"]);
    expect(paretoFrontier([], X, Y)).toEqual([]);
  });

  it("ties: equal x keeps the best y; equal y keeps the best x; duplicates collapse and keep every configuration", () => {
    const pts: P[] = [
      { x: 10, y: 500, id: "lowY" },
      { x: 10, y: 900, id: "best" },
      { x: 8, y: 900, id: "lowX" },
      { x: 10, y: 900, id: "dup" },
      { x: 20, y: 100, id: "far" },
    ];
    const f = paretoFrontier(pts, X, Y);
    expect(ids(f)).toEqual(["best", "far"]);
    expect(f[0].ties.map((t) => t.id)).toEqual(["dup"]);
  });

  it("any pair of axes with direction: interactivity ↑ vs cost ↓", () => {
    const pts = [
      { x: 10, y: 0.3, id: "cheap-slow" },
      { x: 50, y: 1.2, id: "pricey-fast" },
      { x: 40, y: 1.5, id: "worse" },
      { x: 30, y: 0.6, id: "mid" },
    ];
    const f = paretoFrontier(pts, X, { value: (p) => p.y, direction: "min" });
    expect(f.map((p) => p.item.id)).toEqual(["cheap-slow", "mid", "pricey-fast"]);
  });

  it("leaves out points with missing or non-finite values", () => {
    const pts = [
      { x: Number.POSITIVE_INFINITY, y: 1, id: "inf" },
      { x: 1, y: Number.NaN, id: "nan" },
      { x: 2, y: 2, id: "ok" },
    ];
    expect(ids(paretoFrontier(pts, X, Y))).toEqual(["ok"]);
    const withNull = paretoFrontier(
      [{ v: null }, { v: 3 }],
      { value: (p) => p.v, direction: "max" },
      { value: () => 1, direction: "max" },
    );
    expect(withNull.map((p) => p.x)).toEqual([3]);
  });

  it("per group", () => {
    const pts = [
      { g: "h100", x: 1, y: 1, id: "h1" },
      { g: "h100", x: 2, y: 2, id: "h2" },
      { g: "gb200", x: 1, y: 5, id: "g1" },
    ];
    const m = paretoByGroup<P & { g: string }>(pts, (p) => p.g, X, Y);
    expect([...m.keys()]).toEqual(["h100", "gb200"]);
    expect(m.get("h100")?.map((p) => p.item.id)).toEqual(["h2"]);
    expect(m.get("gb200")?.map((p) => p.item.id)).toEqual(["g1"]);
  });
});

describe("paretoFrontier properties", () => {
  // small integer grid so that ties and duplicates are frequent
  const point = fc.record({ x: fc.integer({ min: 0, max: 12 }), y: fc.integer({ min: 0, max: 12 }) });
  const dirs = fc.constantFrom<["max" | "min", "max" | "min"]>(
    ["max", "max"],
    ["max", "min"],
    ["min", "max"],
    ["min", "min"],
  );

  it("no frontier point is dominated; every other point is dominated by or tied with a frontier point; every item is kept once", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 40 }), dirs, (raw, [dx, dy]) => {
        const pts = raw.map((p, i) => ({ ...p, id: String(i) }));
        const f = paretoFrontier(pts, { value: (p) => p.x, direction: dx }, { value: (p) => p.y, direction: dy });
        for (const fp of f) for (const q of pts) expect(dominates(q, fp, dx, dy)).toBe(false);
        const onFrontier = new Set(f.flatMap((fp) => [fp.item.id, ...fp.ties.map((t) => t.id)]));
        for (const q of pts) {
          if (onFrontier.has(q.id)) continue;
          expect(f.some((fp) => dominates(fp, q, dx, dy))).toBe(true);
        }
        // ties hold only items at identical coordinates; x strictly increases along the frontier
        for (const fp of f) for (const t of fp.ties) expect([t.x, t.y]).toEqual([fp.x, fp.y]);
        for (let i = 1; i < f.length; i++) expect(f[i].x).toBeGreaterThan(f[i - 1].x);
        if (pts.length > 0) expect(f.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on input order (same coordinates)", () => {
    fc.assert(
      fc.property(
        fc
          .array(point, { maxLength: 30 })
          .chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length }))),
        ([a, b]) => {
          const coords = (arr: typeof a) =>
            paretoFrontier(arr, { value: (p) => p.x, direction: "max" }, { value: (p) => p.y, direction: "max" }).map(
              (p) => [p.x, p.y, p.ties.length],
            );
          expect(coords(b)).toEqual(coords(a));
        },
      ),
      { numRuns: 200 },
    );
  });
});
