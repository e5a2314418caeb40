/**
 * Failure handling: a gang member killed mid-attempt (gang torn down, retried elsewhere with the
 * node excluded, results stored once), stale-attempt messages rejected and counted, duplicate
 * results stored once, non-retryable failures, quarantine after failures of K different jobs.
 */

import type { Assignment } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("failure handling", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  const agent = async (id: string, o: Partial<ConstructorParameters<typeof ProtocolAgent>[0]> = {}) => {
    const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, sku: "h200", domain: "rack1", ...o });
    agents.push(a);
    await a.connect();
    return a;
  };
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"), { config: { quarantineK: 2 } });
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("a member killed mid-attempt: gang torn down, retried without it, results stored once, stale messages rejected", async () => {
    const [a, b, x] = [await agent("g-a"), await agent("g-b"), await agent("g-c")];
    const byId = new Map([a, b, x].map((p) => [p.id, p]));
    const d = makeDeployment({
      seed: "gang-kill",
      sku: "h200",
      nodes: 2,
      points: [1, 2, 4].map((n) => ({ concurrency: n, isl: 128, osl: 128 })),
    });
    const sweep = (await c.api("POST", "/api/v1/sweeps", { deployments: [d] })).body;

    // first attempt: two of the three agents get it
    const first = await Promise.any([a, b, x].map((p) => p.nextAssignment(5000)));
    const gang1 = first.gang.map((m) => byId.get(m.agentId)!);
    const assigns1 = await Promise.all(gang1.map((p) => p.nextAssignment()));
    const leader1 = gang1[0]!;
    const member1 = gang1[1]!;
    const la = assigns1[0]!;
    for (const [i, p] of gang1.entries()) {
      p.accept(assigns1[i]!);
      p.memberReady(assigns1[i]!);
    }
    await leader1.waitFor((m) => m.type === "gang-ready" && m.attemptId === la.attemptId);
    // one point is measured, then the non-leader machine dies
    expect((await leader1.sendAcked(leader1.pointResult(la, la.points[0]!))).ok).toBe(true);
    const marks = new Map([a, b, x].map((p) => [p.id, p.received.length]));
    member1.kill();

    // the leader is told to tear down; the job is retried on a gang without the dead node
    await leader1.waitFor((m) => m.type === "cancel" && m.attemptId === la.attemptId, 5000);
    const survivors = [a, b, x].filter((p) => p !== member1);
    const second = await Promise.any(survivors.map((p) => p.nextAssignment(8000, marks.get(p.id)))).catch(async (e) => {
      console.log(
        JSON.stringify((await c.api("GET", `/api/v1/jobs?sweep=${sweep.sweepId}`)).body, null, 1),
        JSON.stringify(
          (await c.api("GET", `/api/v1/nodes`)).body.items.map((n: any) => [n.id, n.state, n.attemptId, n.connected]),
        ),
      );
      throw e;
    });
    expect(second.attemptId).not.toBe(la.attemptId);
    expect(second.fencingToken).toBeGreaterThan(la.fencingToken);
    expect(second.gang.map((m) => m.agentId).sort()).toEqual(survivors.map((p) => p.id).sort());
    // the point already stored is not measured again
    expect(second.points.map((p) => p.concurrency)).toEqual([2, 4]);
    const job = (await c.api("GET", `/api/v1/jobs/${second.jobId}`)).body;
    expect(job.excludedNodes).toEqual([member1.id]);
    expect(job.attempts[0].state).toBe("failed");
    expect(job.attempts[0].reason).toMatch(/member-lost/);

    // stale: the first attempt's leader sends a result and a finish for its superseded attempt
    const staleBefore = (await c.api("GET", "/api/v1/status")).body.staleMessagesRejected;
    const staleAck = await leader1.sendAcked(leader1.pointResult(la, la.points[1]!));
    expect(staleAck.ok).toBe(false);
    expect(staleAck.reason).toMatch(/stale/);
    expect((await c.api("GET", "/api/v1/status")).body.staleMessagesRejected).toBe(staleBefore + 1);

    // run the second attempt; send one result twice (a resend after a lost ack) — stored once
    const gang2 = second.gang.map((m) => byId.get(m.agentId)!);
    const assigns2: Assignment[] = await Promise.all(
      gang2.map((p) =>
        p
          .waitFor((m) => m.type === "assign" && m.assignment.attemptId === second.attemptId)
          .then((m) => (m as { assignment: Assignment }).assignment),
      ),
    );
    const lead2 = gang2[0]!;
    const runs = gang2.slice(1).map((p, i) => p.runAssignment(assigns2[i + 1]!));
    const dup = lead2.pointResult(assigns2[0]!, assigns2[0]!.points[0]!);
    const leaderRun = lead2.runAssignment(assigns2[0]!);
    await until(() => lead2.received.some((m) => m.type === "gang-ready"), 5000, "gang-ready");
    expect((await lead2.sendAcked(dup)).ok).toBe(true);
    expect((await lead2.sendAcked({ ...dup, msgId: "resend-with-new-id" })).ok).toBe(true);
    await Promise.all([leaderRun, ...runs]);

    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${second.jobId}`)).body.status === "succeeded",
      5000,
      "job succeeded",
    );
    const results = (await c.api("GET", `/api/v1/results?sweep=${sweep.sweepId}&emulated=true`)).body;
    expect(results.total).toBe(3);
    expect(results.items.map((r: { concurrency: number }) => r.concurrency).sort()).toEqual([1, 2, 4]);
    expect(results.items.find((r: { concurrency: number }) => r.concurrency === 1).attemptId).toBe(la.attemptId);
  });

  it("a non-retryable failure fails the job at once, without excluding or blaming the node", async () => {
    const p = await agent("nr-1", { sku: "b200", domain: "r9" });
    const d = makeDeployment({ seed: "non-retryable", sku: "b200" });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await p.nextAssignment();
    p.accept(a);
    const ack = await p.sendAcked(
      p.finished(a, "failed", { reason: "CUDA error: out of memory at tp=8", retryable: false }),
    );
    expect(ack.ok).toBe(true);
    p.running = undefined;
    const job = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
    expect(job.status).toBe("failed");
    expect(job.attempts).toHaveLength(1);
    expect(job.excludedNodes).toEqual([]);
    expect(await c.ctx.queues.state("deploy-b200", a.jobId)).toBe("failed");
    expect(c.ctx.registry.failureHistory().filter((f) => f.nodeId === "nr-1")).toHaveLength(0);
  });

  it("a retryable failure on a Slurm partition agent is retried on the same partition, without excluding or blaming it", async () => {
    // one agent stands for the 3-node partition "gpu"; the agent excludes the bad Slurm node itself
    const part = await agent("slurm-gpu", {
      sku: "gb200",
      domain: "slurm-gpu",
      launcher: "slurm",
      slurm: { partition: "gpu", nodes: 3 },
    });
    const d = makeDeployment({ seed: "slurm-partition-retry", sku: "gb200", nodes: 2 });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a1 = await part.nextAssignment();
    expect(a1.gang.map((m) => m.agentId)).toEqual([part.id]);
    part.accept(a1);
    const mark = part.received.length;
    const ack = await part.sendAcked(
      part.finished(a1, "failed", { reason: "engine crashed on Slurm node gpu-2 (segfault)", retryable: true }),
    );
    expect(ack.ok).toBe(true);
    part.running = undefined;
    part.heartbeat();

    // the retry goes to the same partition agent: it is not excluded for the job, nor blamed
    const a2 = await part.nextAssignment(5000, mark);
    expect(a2.jobId).toBe(a1.jobId);
    expect(a2.attemptId).not.toBe(a1.attemptId);
    expect(a2.gang.map((m) => m.agentId)).toEqual([part.id]);
    const job = (await c.api("GET", `/api/v1/jobs/${a1.jobId}`)).body;
    expect(job.excludedNodes).toEqual([]);
    expect(job.attempts[0].state).toBe("failed");
    expect(job.attempts[0].reason).toMatch(/engine crashed on Slurm node gpu-2/);
    expect(c.ctx.registry.failureHistory().filter((f) => f.nodeId === part.id)).toHaveLength(0);
    expect((await c.api("GET", `/api/v1/nodes/${part.id}`)).body.state).not.toBe("quarantined");

    await part.runAssignment(a2);
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${a1.jobId}`)).body.status === "succeeded",
      5000,
      "job succeeded",
    );
  });

  it("a node failing attempts of K different jobs is quarantined and gets no more work", async () => {
    const bad = await agent("q-bad", { sku: "mi300x", domain: "amd1" });
    const ds = [1, 2, 3].map((i) => makeDeployment({ seed: `quarantine-${i}`, sku: "mi300x", gpusPerNode: 8 }));
    await c.api("POST", "/api/v1/sweeps", { deployments: ds });
    const failed = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const a = await bad.nextAssignment(5000, bad.received.length);
      bad.accept(a);
      await bad.sendAcked(bad.finished(a, "failed", { reason: "engine crashed (segfault)", retryable: true }));
      bad.running = undefined;
      bad.heartbeat();
      failed.add(a.jobId);
      // a normal node is excluded for the job it failed (contrast with the Slurm partition agent above)
      expect((await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.excludedNodes).toEqual([bad.id]);
    }
    expect(failed.size).toBe(2);
    const node = await until(async () => {
      const n = (await c.api("GET", "/api/v1/nodes/q-bad")).body;
      return n.state === "quarantined" ? n : undefined;
    });
    expect(node.adminReason).toMatch(/auto: attempts of 2 different jobs failed/);
    // a healthy node picks the work up; the quarantined one gets nothing more
    const seen = bad.received.length;
    const good = await agent("q-good", { sku: "mi300x", domain: "amd1" });
    const g = await good.nextAssignment();
    await good.runAssignment(g);
    await new Promise((r) => setTimeout(r, 300));
    expect(bad.received.slice(seen).some((m) => m.type === "assign")).toBe(false);
    // release: back to idle, history cleared
    const rel = await c.api("POST", "/api/v1/nodes/q-bad/release", undefined, TOKENS.operator);
    expect(rel.status).toBe(200);
    expect(rel.body.state).not.toBe("quarantined");
    expect((await c.api("GET", "/api/v1/nodes/q-bad")).body.failures).toEqual([]);
  });
});
