/**
 * An agent that refuses an assignment because it still runs or tears down an attempt the controller
 * had given up (or because it is stopping or draining) is not at fault: the attempt fails without
 * blame or exclusion, the node stays busy with what the agent reported, and the agent's teardown
 * report frees it for the job's next attempt.
 */

import { afterEach, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function controller(o: Parameters<typeof startTestController>[1] = {}) {
  const c = await startTestController(inject("redisUrl"), o);
  cleanups.push(() => c.close());
  return c;
}

function agent(c: TestController, id: string) {
  const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, sku: "h100" });
  cleanups.push(() => a.close());
  return a;
}

const job = async (c: TestController, jobId: string) => (await c.api("GET", `/api/v1/jobs/${jobId}`)).body;
const node = async (c: TestController, id: string) => (await c.api("GET", `/api/v1/nodes/${id}`)).body;

describe("assignment refusals", () => {
  it("busy with an attempt the controller gave up: no blame, node busy until its teardown report", async () => {
    const c = await controller({ config: { heartbeatTimeoutMs: 3000, backoffMs: 200 } });
    const w = agent(c, "refuse-busy");
    await w.connect();
    const d = makeDeployment({ seed: "refuse-busy", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a1 = await w.nextAssignment();
    // the agent is slow to take it up: the controller gives the attempt up without blame
    await until(async () => (await job(c, a1.jobId)).attempts[0]?.state === "failed", 8000);
    const mark = w.received.length;
    const a2 = await w.nextAssignment(8000, mark);
    expect(a2.attemptNumber).toBe(2);
    // it had taken a1 up after all and still tears it down: it refuses a2
    w.stopHeartbeats();
    const refusal = w.finished(a2, "failed", {
      reason: `agent refuse-busy is busy with attempt ${a1.attemptId}`,
      retryable: true,
      refused: { cause: "busy", attemptId: a1.attemptId },
    });
    expect((await w.sendAcked(refusal)).ok).toBe(true);
    const failed = (await job(c, a2.jobId)).attempts.find((x: { attemptId: string }) => x.attemptId === a2.attemptId);
    expect(failed).toMatchObject({ state: "failed", failureKind: "assign-failed" });
    expect(failed.reason).toMatch(/is busy with attempt/);
    const n = await node(c, "refuse-busy");
    expect(n.failures).toEqual([]);
    expect(n.attemptId).toBe(a1.attemptId);
    expect((await job(c, a2.jobId)).exclusions ?? []).toEqual([]);
    // its teardown report of a1 frees the node: the job's next attempt runs there
    w.running = undefined;
    // (a1 is superseded by a2: the report is answered "stale", and it frees the node all the same)
    await w.sendAcked(w.finished(a1, "cancelled"));
    expect((await node(c, "refuse-busy")).attemptId).toBeUndefined();
    w.startHeartbeats(200);
    const a3 = await w.nextAssignment(8000, w.received.length);
    expect(a3.attemptNumber).toBe(3);
    await w.runAssignment(a3);
    await until(async () => (await job(c, a3.jobId)).status === "succeeded", 5000);
    expect((await node(c, "refuse-busy")).failures).toEqual([]);
  }, 30_000);

  it("a refusal while draining or stopping fails the attempt without blame or exclusion", async () => {
    const c = await controller({ config: { backoffMs: 200 } });
    const w = agent(c, "refuse-stop");
    await w.connect();
    w.startHeartbeats(200);
    const d = makeDeployment({ seed: "refuse-stop", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a1 = await w.nextAssignment();
    const mark = w.received.length;
    const r1 = w.finished(a1, "failed", { reason: "agent refuse-stop is draining", refused: { cause: "draining" } });
    expect((await w.sendAcked(r1)).ok).toBe(true);
    const a2 = await w.nextAssignment(8000, mark);
    const mark2 = w.received.length;
    const r2 = w.finished(a2, "failed", { reason: "agent refuse-stop is stopping", refused: { cause: "stopping" } });
    expect((await w.sendAcked(r2)).ok).toBe(true);
    const a3 = await w.nextAssignment(8000, mark2);
    await w.runAssignment(a3);
    const j = await until(async () => {
      const x = await job(c, a3.jobId);
      return x.status === "succeeded" ? x : undefined;
    }, 5000);
    expect(j.attempts.map((x: { failureKind?: string }) => x.failureKind)).toEqual([
      "assign-failed",
      "assign-failed",
      undefined,
    ]);
    expect(j.exclusions ?? []).toEqual([]);
    expect((await node(c, "refuse-stop")).failures).toEqual([]);
  }, 30_000);
});
