import { describe, expect, it } from "vitest";
import { type AttemptRecord, checkFence, portBaseFor } from "./attempts.js";

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
  it("port blocks are deterministic and in range", () => {
    expect(portBaseFor(7)).toBe(portBaseFor(407));
    for (const t of [0, 1, 399, 400, 123456]) {
      expect(portBaseFor(t)).toBeGreaterThanOrEqual(20_000);
      expect(portBaseFor(t) + 99).toBeLessThanOrEqual(65_000);
    }
  });
});
