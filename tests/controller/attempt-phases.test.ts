/**
 * Phases close when an attempt ends, for every gang member: after success (the non-leader still
 * in `load` when the leader finishes, then its late teardown), after a reported failure, after an
 * operator cancel, and for the failed attempt a retry supersedes. The API never shows a phase of an
 * ended attempt as `started`.
 */
import type { Assignment } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

type PhaseEntry = { status: string; at: string; durationMs?: number; reason?: string };
type AttemptView = { attemptId: string; state: string; phases: Record<string, PhaseEntry> };

describe("attempt phases close on every end", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  const agent = async (id: string, sku: "h100" | "h200" | "b200") => {
    const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, sku, domain: `rack-${sku}` });
    agents.push(a);
    await a.connect();
    return a;
  };
  const attempts = async (jobId: string): Promise<AttemptView[]> =>
    (await c.api("GET", `/api/v1/jobs/${jobId}`)).body.attempts;
  const openPhases = (a: AttemptView) =>
    Object.entries(a.phases)
      .filter(([, p]) => p.status === "started")
      .map(([k]) => k);
  const started = (p: ProtocolAgent, a: Assignment, phase: "load" | "launch") =>
    p.send({
      type: "phase",
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      phase,
      status: "started",
      at: new Date(Date.now() - 2000).toISOString(),
    });

  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("success of a two-node gang closes the member's open phase; its late teardown is kept", async () => {
    const [x, y] = [await agent("ph-a", "h200"), await agent("ph-b", "h200")];
    const byId = new Map([x, y].map((p) => [p.id, p]));
    const d = makeDeployment({
      seed: "phases-gang",
      sku: "h200",
      nodes: 2,
      points: [{ concurrency: 1, isl: 64, osl: 64 }],
    });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const first = await Promise.any([x, y].map((p) => p.nextAssignment(5000)));
    const gang = first.gang.map((m) => byId.get(m.agentId)!);
    const as = await Promise.all(gang.map((p) => p.nextAssignment()));
    const [leader, member] = [gang[0]!, gang[1]!];
    for (const [i, p] of gang.entries()) {
      p.accept(as[i]!);
      p.memberReady(as[i]!);
      started(p, as[i]!, "load");
    }
    await leader.waitFor((m) => m.type === "gang-ready" && m.attemptId === as[0]!.attemptId);
    await until(async () => Object.keys((await attempts(first.jobId))[0]!.phases).length === 2, 5000, "phases");
    expect((await leader.sendAcked(leader.pointResult(as[0]!, as[0]!.points[0]!))).ok).toBe(true);
    leader.phase(as[0]!, "load");
    expect((await leader.sendAcked(leader.finished(as[0]!, "succeeded"))).ok).toBe(true);

    const [att] = await attempts(first.jobId);
    expect(att!.state).toBe("succeeded");
    expect(openPhases(att!)).toEqual([]);
    const memberLoad = att!.phases["1:load"]!;
    expect(memberLoad.status).toBe("finished");
    expect(memberLoad.durationMs).toBeGreaterThanOrEqual(2000);

    // the member, released, tears down and says so after the end: recorded, nothing reopened
    await member.waitFor((m) => m.type === "release" && m.attemptId === as[1]!.attemptId);
    started(member, as[1]!, "launch");
    member.phase(as[1]!, "teardown");
    await until(
      async () => (await attempts(first.jobId))[0]!.phases["1:teardown"]?.status === "finished",
      5000,
      "teardown",
    );
    const after = (await attempts(first.jobId))[0]!;
    expect(openPhases(after)).toEqual([]);
    expect(after.phases["1:launch"]).toBeUndefined();
    await member.sendAcked(member.finished(as[1]!, "succeeded"));
  });

  it("a reported failure, its retry, and an operator cancel leave no phase running", async () => {
    const [u, v] = [await agent("ph-c", "b200"), await agent("ph-d", "b200")];
    const d = makeDeployment({ seed: "phases-fail", sku: "b200", points: [{ concurrency: 2, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a1 = await Promise.any([u, v].map((x) => x.nextAssignment(5000)));
    const p = a1.gang[0]!.agentId === u.id ? u : v;
    const q = p === u ? v : u;
    p.accept(a1);
    started(p, a1, "launch");
    await until(async () => (await attempts(a1.jobId))[0]?.phases["0:launch"] !== undefined, 5000, "launch");
    expect((await p.sendAcked(p.finished(a1, "failed", { reason: "engine crashed", retryable: true }))).ok).toBe(true);
    p.running = undefined;
    const failed = (await attempts(a1.jobId))[0]!;
    expect(failed.state).toBe("failed");
    expect(failed.phases["0:launch"]).toMatchObject({ status: "failed" });
    expect(openPhases(failed)).toEqual([]);

    // the retry runs, then the operator cancels it in `load`
    // the failed node is excluded from the retry: the other one runs it
    const a2 = await q.nextAssignment(15_000);
    expect(a2.attemptId).not.toBe(a1.attemptId);
    q.accept(a2);
    started(q, a2, "load");
    await until(async () => (await attempts(a2.jobId))[1]?.phases["0:load"] !== undefined, 5000, "load");
    expect((await c.api("POST", `/api/v1/jobs/${a2.jobId}/cancel`, {})).status).toBe(200);
    const all = await attempts(a2.jobId);
    expect(all.map((a) => a.state)).toEqual(["failed", "cancelled"]);
    for (const a of all) expect(openPhases(a)).toEqual([]);
    expect(all[1]!.phases["0:load"]).toMatchObject({ status: "cancelled" });
    // a late `started` of the cancelled attempt does not reopen it
    started(q, a2, "load");
    q.phase(a2, "teardown");
    await until(async () => (await attempts(a2.jobId))[1]!.phases["0:teardown"] !== undefined, 5000, "teardown");
    expect(openPhases((await attempts(a2.jobId))[1]!)).toEqual([]);
  });
});
