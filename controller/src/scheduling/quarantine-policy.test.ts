import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type NodeFailure, quarantineVerdict, shouldQuarantine } from "./quarantine-policy.js";

const NOW = Date.UTC(2025, 0, 1, 12);
const MIN = 60_000;
const policy = { k: 3, windowMs: 60 * MIN };
const fail = (nodeId: string, jobId: string, minutesAgo: number, reason = "gang member lost"): NodeFailure => ({
  nodeId,
  jobId,
  at: NOW - minutesAgo * MIN,
  reason,
});

describe("shouldQuarantine", () => {
  it("quarantines after failures of K different jobs within the window", () => {
    const h = [fail("n1", "a", 50), fail("n1", "b", 30), fail("n1", "c", 1)];
    expect(shouldQuarantine(h.slice(0, 2), "n1", NOW, policy)).toBe(false);
    expect(shouldQuarantine(h, "n1", NOW, policy)).toBe(true);
  });

  it("counts repeated failures of the same job once", () => {
    const h = [fail("n1", "a", 40), fail("n1", "a", 20), fail("n1", "a", 5), fail("n1", "b", 2)];
    expect(shouldQuarantine(h, "n1", NOW, policy)).toBe(false);
    expect(quarantineVerdict(h, "n1", NOW, policy).jobs.map((j) => j.jobId)).toEqual(["b", "a"]);
  });

  it("forgets failures older than the window and ignores other nodes and future timestamps", () => {
    const h = [
      fail("n1", "a", 61),
      fail("n1", "b", 60), // exactly windowMs ago: outside (the window is (now - windowMs, now])
      fail("n1", "c", 10),
      fail("n2", "d", 5),
      fail("n2", "e", 5),
      fail("n1", "f", -5), // clock skew: in the future, not counted
    ];
    expect(quarantineVerdict(h, "n1", NOW, policy).jobs.map((j) => j.jobId)).toEqual(["c"]);
    expect(shouldQuarantine(h, "n1", NOW, { k: 1, windowMs: 60 * MIN })).toBe(true);
    expect(shouldQuarantine(h, "n1", NOW, { k: 2, windowMs: 60 * MIN })).toBe(false);
    expect(shouldQuarantine(h, "n1", NOW, { k: 3, windowMs: 62 * MIN })).toBe(true);
  });

  it("explains the verdict with the failing jobs", () => {
    const h = [
      fail("n7", "j1", 3, "heartbeat timeout"),
      fail("n7", "j2", 2, "NCCL error"),
      fail("n7", "j3", 1, "crash"),
    ];
    const v = quarantineVerdict(h, "n7", NOW, policy);
    expect(v.quarantine).toBe(true);
    expect(v.reason).toBe(
      "attempts of 3 different jobs failed on n7 within 60 min (threshold 3): j3 (crash); j2 (NCCL error); j1 (heartbeat timeout)",
    );
    expect(quarantineVerdict(h.slice(0, 1), "n7", NOW, policy).reason).toBe(
      "1 of 3 different-job failures on n7 within 60 min",
    );
  });

  it("rejects a bad policy", () => {
    expect(() => shouldQuarantine([], "n", NOW, { k: 0, windowMs: MIN })).toThrow(/k must be an integer >= 1/);
    expect(() => shouldQuarantine([], "n", NOW, { k: 2, windowMs: 0 })).toThrow(/windowMs must be > 0/);
  });

  it("matches a brute-force count of distinct jobs (property)", () => {
    const arbFailure = fc.record({
      nodeId: fc.constantFrom("n1", "n2"),
      jobId: fc.constantFrom("a", "b", "c", "d", "e"),
      at: fc.integer({ min: -120, max: 5 }).map((m) => NOW + m * MIN),
      reason: fc.constant("x"),
    });
    fc.assert(
      fc.property(fc.array(arbFailure, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (h, k) => {
        const distinct = new Set(
          h.filter((f) => f.nodeId === "n1" && f.at > NOW - 60 * MIN && f.at <= NOW).map((f) => f.jobId),
        );
        expect(shouldQuarantine(h, "n1", NOW, { k, windowMs: 60 * MIN })).toBe(distinct.size >= k);
      }),
    );
  });
});
