import type { JobRecord } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import {
  addExclusions,
  dropExclusionsOf,
  type ExclusionNode,
  effectiveExclusions,
  liftExclusions,
} from "./exclusions.js";

const job = (nodes = 1): JobRecord =>
  ({ jobId: "j", runner: "h100", nodes, excludedNodes: [] }) as unknown as JobRecord;
const node = (id: string, o: Partial<ExclusionNode> = {}): ExclusionNode => ({
  id,
  labels: ["h100"],
  domain: "d",
  schedulable: true,
  capacity: 1,
  ...o,
});

describe("job exclusions", () => {
  it("skips excluded nodes while enough others could run the job", () => {
    const j = job();
    addExclusions(j, ["a"], { reason: "crash", attemptId: "j.a1", at: 1000, backoffMs: 500 });
    expect(j.excludedNodes).toEqual(["a"]);
    expect(effectiveExclusions(j, [node("a"), node("b")], 5000)).toEqual({ excluded: ["a"] });
  });

  it("waits with a reason naming the time until the back-off, then lifts the due exclusions", () => {
    const j = job();
    addExclusions(j, ["a"], { reason: "crash", attemptId: "j.a1", at: 1000, backoffMs: 500 });
    addExclusions(j, ["b"], { reason: "lost", attemptId: "j.a2", at: 2000, backoffMs: 500 });
    const fleet = [node("a"), node("b"), node("c", { labels: ["mi300x"] }), node("d", { schedulable: false })];
    const before = effectiveExclusions(j, fleet, 1200);
    expect(before.excluded).toEqual(["a", "b"]);
    expect(before.waiting).toMatch(/retries on one of them from 1970-01-01T00:00:01.500Z/);
    expect(effectiveExclusions(j, fleet, 1600)).toEqual({ excluded: ["b"] });
    expect(effectiveExclusions(j, fleet, 2600)).toEqual({ excluded: [] });
  });

  it("counts nodes per domain for a gang, and partition agents by capacity", () => {
    const j = job(2);
    addExclusions(j, ["a"], { reason: "x", attemptId: "j.a1", at: 0, backoffMs: 100 });
    const split = [node("a", { domain: "r1" }), node("b", { domain: "r1" }), node("c", { domain: "r2" })];
    expect(effectiveExclusions(j, split, 10).waiting).toBeDefined();
    expect(effectiveExclusions(j, [...split, node("e", { domain: "r2" })], 10)).toEqual({ excluded: ["a"] });
    expect(effectiveExclusions(j, [node("a"), node("p", { capacity: 4 })], 10)).toEqual({ excluded: ["a"] });
  });

  it("drops an attempt's exclusions and lifts single nodes", () => {
    const j = job();
    addExclusions(j, ["a", "b"], { reason: "x", attemptId: "j.a1", at: 0, backoffMs: 1 });
    addExclusions(j, ["c"], { reason: "y", attemptId: "j.a2", at: 0, backoffMs: 1 });
    expect(liftExclusions(j, ["b"]).map((e) => e.nodeId)).toEqual(["b"]);
    expect(j.excludedNodes).toEqual(["a", "c"]);
    dropExclusionsOf(j, "j.a1");
    expect(j.excludedNodes).toEqual(["c"]);
  });

  it("reads records without reasons (ids only) as due at once", () => {
    const j = { ...job(), excludedNodes: ["a"] };
    expect(effectiveExclusions(j, [node("a")], 0)).toEqual({ excluded: [] });
  });
});
