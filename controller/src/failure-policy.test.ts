import { describe, expect, it } from "vitest";
import { decideFailure, isNonRetryableReason } from "./failure-policy.js";

describe("failure policy", () => {
  it("a lost member is excluded for the job and blamed", () => {
    expect(decideFailure({ kind: "member-lost", reason: "heartbeat timeout of n2", nodes: ["n2"] })).toEqual({
      unrecoverable: false,
      exclude: ["n2"],
      blame: ["n2"],
      reason: "member-lost: heartbeat timeout of n2",
    });
  });
  it("a reported non-retryable error fails the job at once without blaming the node", () => {
    const d = decideFailure({
      kind: "reported",
      reason: "accuracy below threshold: 0.41 < 0.90",
      retryable: false,
      nodes: ["n1"],
    });
    expect(d).toMatchObject({ unrecoverable: true, exclude: [], blame: [] });
  });
  it("infers non-retryable reasons when the agent gave no verdict, and respects an explicit retryable", () => {
    expect(isNonRetryableReason("torch.OutOfMemoryError: CUDA error: out of memory")).toBe(true);
    expect(isNonRetryableReason("connection reset by peer")).toBe(false);
    expect(decideFailure({ kind: "reported", reason: "CUDA error: out of memory", nodes: ["n1"] }).unrecoverable).toBe(
      true,
    );
    expect(
      decideFailure({ kind: "reported", reason: "CUDA error: out of memory", retryable: true, nodes: ["n1"] })
        .unrecoverable,
    ).toBe(false);
  });
  it("a lost lock neither excludes nor blames", () => {
    expect(decideFailure({ kind: "lock-lost", reason: "x", nodes: ["n1"] })).toMatchObject({
      unrecoverable: false,
      exclude: [],
      blame: [],
    });
  });
});
