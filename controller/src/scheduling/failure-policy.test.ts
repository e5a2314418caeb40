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
  it("a Slurm partition agent is neither excluded nor blamed for a failure of the work it ran", () => {
    // the same partition takes the retry; its agent excludes the bad Slurm node itself
    expect(
      decideFailure({
        kind: "reported",
        reason: "engine crashed (segfault)",
        retryable: true,
        nodes: ["part-gpu"],
        partitionAgents: ["part-gpu"],
      }),
    ).toEqual({ unrecoverable: false, exclude: [], blame: [], reason: "engine crashed (segfault)" });
    expect(
      decideFailure({ kind: "deadline", reason: "too slow", nodes: ["part-gpu", "n1"], partitionAgents: ["part-gpu"] }),
    ).toMatchObject({ unrecoverable: false, exclude: ["n1"], blame: ["n1"] });
    // a non-retryable error still fails the job at once
    expect(
      decideFailure({
        kind: "reported",
        reason: "CUDA error: out of memory",
        nodes: ["part-gpu"],
        partitionAgents: ["part-gpu"],
      }),
    ).toMatchObject({ unrecoverable: true, exclude: [], blame: [] });
  });
  it("a Slurm partition agent that is itself lost or unreachable is blamed, but not excluded from the job's retry", () => {
    expect(
      decideFailure({
        kind: "member-lost",
        reason: "heartbeat timeout of part-gpu",
        nodes: ["part-gpu"],
        partitionAgents: ["part-gpu"],
      }),
    ).toEqual({
      unrecoverable: false,
      exclude: [],
      blame: ["part-gpu"],
      reason: "member-lost: heartbeat timeout of part-gpu",
    });
    expect(
      decideFailure({
        kind: "assign-failed",
        reason: "assignment not delivered to part-gpu",
        nodes: ["part-gpu"],
        partitionAgents: ["part-gpu"],
      }),
    ).toMatchObject({ exclude: [], blame: ["part-gpu"] });
  });
  it("a retryable reported failure on a normal node excludes and blames it", () => {
    expect(
      decideFailure({
        kind: "reported",
        reason: "engine crashed",
        retryable: true,
        nodes: ["n1"],
        partitionAgents: [],
      }),
    ).toEqual({ unrecoverable: false, exclude: ["n1"], blame: ["n1"], reason: "engine crashed" });
  });
  it("a lost lock neither excludes nor blames", () => {
    expect(decideFailure({ kind: "lock-lost", reason: "x", nodes: ["n1"] })).toMatchObject({
      unrecoverable: false,
      exclude: [],
      blame: [],
    });
  });
});
