import { checkPortBase } from "@benchfleet/recipes";
import { portBaseForAttempt } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { type AttemptRecord, checkFence } from "./attempts.js";

const att = (o: Partial<AttemptRecord> = {}): AttemptRecord =>
  ({
    attemptId: "j.a2-7",
    jobId: "j",
    fencingToken: 7,
    state: "running",
    gang: [{ agentId: "n1", hostname: "h", ip: "1.1.1.1", rank: 0, gpuCount: 8, rdmaDevices: [] }],
    ...o,
  }) as AttemptRecord;

describe("fencing", () => {
  const msg = { attemptId: "j.a2-7", fencingToken: 7 };
  it("accepts the job's live attempt from a gang member", () => {
    expect(checkFence(att(), "j.a2-7", msg, "n1")).toBe("ok");
  });
  it("rejects unknown attempts, wrong tokens, non-members and superseded attempts", () => {
    expect(checkFence(undefined, "j.a2-7", msg, "n1")).toBe("unknown-attempt");
    expect(checkFence(att(), "j.a2-7", { ...msg, fencingToken: 6 }, "n1")).toBe("stale-token");
    expect(checkFence(att(), "j.a2-7", msg, "n9")).toBe("not-member");
    expect(checkFence(att(), "j.a3-9", msg, "n1")).toBe("superseded");
  });
  it("marks the job's latest but ended attempt as finished (late resends)", () => {
    expect(checkFence(att({ state: "succeeded" }), "j.a2-7", msg, "n1")).toBe("finished");
  });
  it("port blocks: deterministic per attempt, and always a block the recipes accept", () => {
    expect(portBaseForAttempt("sw.j.a1-7")).toBe(portBaseForAttempt("sw.j.a1-7"));
    // (blocks from the fencing token used to hold SGLang's default port 30000 for 11 of 400 tokens,
    // and the recipe refused the attempt)
    for (let i = 0; i < 2000; i++)
      expect(() => checkPortBase(portBaseForAttempt(`sw${i % 7}.job${i}.a${i % 3}-${i}`))).not.toThrow();
  });
});
