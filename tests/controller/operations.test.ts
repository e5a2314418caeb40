/** Operator actions: cancel and retry of a sweep (and re-running only missing results); drain lets the current attempt finish. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("operator actions", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  const agent = async (id: string, sku: "h100" | "b300" | "gb200" = "h100") => {
    const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, sku, domain: `dom-${sku}` });
    agents.push(a);
    await a.connect();
    return a;
  };
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("cancel stops queued and running jobs (agents tear down); retry re-queues them; --missing re-runs only missing points", async () => {
    const w = await agent("op-1", "b300");
    const ds = [1, 2, 3].map((i) =>
      makeDeployment({
        seed: `cancel-${i}`,
        sku: "b300",
        points: [
          { concurrency: 1, isl: 8, osl: 8 },
          { concurrency: 2, isl: 8, osl: 8 },
        ],
      }),
    );
    const sweep = (await c.api("POST", "/api/v1/sweeps", { deployments: ds }, TOKENS.operator)).body;
    const a = await w.nextAssignment();
    w.accept(a);
    w.memberReady(a);
    await w.waitFor((m) => m.type === "gang-ready");
    await w.sendAcked(w.pointResult(a, a.points[0]!)); // one point stored before the cancel

    const cancelled = await c.api(
      "POST",
      `/api/v1/sweeps/${sweep.sweepId}/cancel`,
      { reason: "wrong image" },
      TOKENS.operator,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.counts.cancelled).toBe(3);
    expect(cancelled.body.status).toBe("cancelled");
    const cancel = await w.waitFor((m) => m.type === "cancel" && m.attemptId === a.attemptId);
    expect(cancel).toMatchObject({ reason: "wrong image" });
    // the agent tore down (autoTeardown); the node is free and nothing else is dispatched
    await until(async () => (await c.api("GET", "/api/v1/nodes/op-1")).body.state === "idle", 3000, "node idle");
    await new Promise((r) => setTimeout(r, 300));
    expect(w.received.filter((m) => m.type === "assign")).toHaveLength(1);
    for (const d of ds)
      expect(["failed", "unknown"]).toContain(
        await c.ctx.queues.state("deploy-b300", `${sweep.sweepId}.${d.fingerprint.slice(0, 16)}`),
      );

    // retry: all three come back; the interrupted one measures only its missing point
    const retried = (await c.api("POST", `/api/v1/sweeps/${sweep.sweepId}/retry`, {}, TOKENS.operator)).body;
    expect(retried.requeued).toHaveLength(3);
    const seen = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const next = await w.nextAssignment(5000, w.received.length - (w.received.at(-1)?.type === "assign" ? 1 : 0));
      seen.set(next.jobId, next.points.length);
      await w.runAssignment(next);
    }
    expect(seen.get(a.jobId)).toBe(1);
    const done = await until(async () => {
      const s = (await c.api("GET", `/api/v1/sweeps/${sweep.sweepId}`)).body;
      return s.status === "succeeded" ? s : undefined;
    });
    expect(done.pointsDone).toBe(6);

    // nothing missing now: --missing re-queues nothing
    const again = (await c.api("POST", `/api/v1/sweeps/${sweep.sweepId}/retry`, { missingOnly: true }, TOKENS.operator))
      .body;
    expect(again.requeued).toEqual([]);
  });

  it("drain lets the running attempt finish, then the node takes no work until undrained", async () => {
    const w = await agent("dr-1", "gb200");
    const ds = [1, 2].map((i) => makeDeployment({ seed: `drain-${i}`, sku: "gb200", gpusPerNode: 4 }));
    await c.api("POST", "/api/v1/sweeps", { deployments: ds }, TOKENS.operator);
    const a = await w.nextAssignment();
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const run = w.runAssignment(a, { holdUntil: hold });
    await until(() => w.received.some((m) => m.type === "gang-ready"), 3000, "gang-ready");

    const drained = await c.api("POST", "/api/v1/nodes/dr-1/drain", { reason: "maintenance" }, TOKENS.operator);
    expect(drained.body.state).toBe("draining");
    await w.waitFor((m) => m.type === "drain" && m.drain === true);
    expect(w.received.some((m) => m.type === "cancel")).toBe(false);
    release();
    await run;
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.status === "succeeded",
      3000,
      "first job succeeded",
    );
    await until(async () => (await c.api("GET", "/api/v1/nodes/dr-1")).body.state === "drained", 3000, "node drained");
    await new Promise((r) => setTimeout(r, 400));
    expect(w.received.filter((m) => m.type === "assign")).toHaveLength(1);

    const undrained = await c.api("POST", "/api/v1/nodes/dr-1/undrain", undefined, TOKENS.operator);
    expect(undrained.status).toBe(200);
    const b = await w.nextAssignment(5000, w.received.length);
    expect(b.jobId).not.toBe(a.jobId);
    await w.runAssignment(b);
  });
});
