/**
 * "Nothing run twice, nothing lost, nobody blamed wrongly" across the controller's own faults:
 * - an attempt that finished while the controller was down: its spooled results and final state are
 *   accepted after the restart, it is not re-run and its node is not blamed;
 * - a controller that failed an attempt on its own judgement (member taken for lost) takes it back
 *   when the leader's success arrives before any newer attempt started;
 * - the gang barrier survives a leader that was away when the last member got ready;
 * - a Redis outage longer than the heartbeat timeout: no agent disconnected, blamed or quarantined;
 * - a job whose every node is excluded goes back to one after the exclusion back-off (never waits forever).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisHandle, startRedis } from "@benchfleet/controller";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function controller(redisUrl: string, o: Parameters<typeof startTestController>[1] = {}) {
  const c = await startTestController(redisUrl, o);
  cleanups.push(() => c.close());
  return c;
}

function agent(c: TestController, id: string, o: Partial<ConstructorParameters<typeof ProtocolAgent>[0]> = {}) {
  const a = new ProtocolAgent({ url: c.url, agentId: id, token: TOKENS.enrol, sku: "h100", ...o });
  cleanups.push(() => a.close());
  return a;
}

async function failuresOf(c: TestController, nodeId: string): Promise<unknown[]> {
  return (await c.api("GET", `/api/v1/nodes/${nodeId}`)).body.failures;
}

describe("the controller's own faults", () => {
  it("an attempt finished during a controller outage is accepted after the restart: not re-run, nobody blamed", async () => {
    const redisUrl = inject("redisUrl");
    const dataDir = mkdtempSync(join(tmpdir(), "bf-promise-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    let c = await controller(redisUrl, { dataDir, config: { reconnectGraceMs: 8000 } });
    const keyPrefix = c.keyPrefix;
    const w = agent(c, "d1-a", { heartbeatMs: 0 });
    await w.connect();
    w.startHeartbeats(100);
    const d = makeDeployment({ seed: "d1", points: [1, 2, 3].map((n) => ({ concurrency: n, isl: 64, osl: 64 })) });
    const sweep = (await c.api("POST", "/api/v1/sweeps", { deployments: [d] })).body;
    const a = await w.nextAssignment();
    w.accept(a);
    w.memberReady(a);
    await w.waitFor((m) => m.type === "gang-ready");
    expect((await w.sendAcked(w.pointResult(a, a.points[0]!))).ok).toBe(true);

    await c.close();
    await until(() => w.closed, 3000, "agent socket closed");
    // the agent finishes the attempt while the controller is away: its results wait in its spool
    w.running = undefined;
    c = await controller(redisUrl, { dataDir, keyPrefix, config: { reconnectGraceMs: 8000 } });
    w.opts.url = c.url;
    const welcome = await w.connect();
    expect(welcome.running).toBe("none");
    // the spool is resent right after the welcome, before the first heartbeat (as the agent does)
    for (const p of a.points.slice(1)) expect((await w.sendAcked(w.pointResult(a, p))).ok).toBe(true);
    expect((await w.sendAcked(w.finished(a, "succeeded"))).ok).toBe(true);
    w.startHeartbeats(100);

    const job = await until(async () => {
      const j = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
      return j.status === "succeeded" ? j : undefined;
    });
    expect(job.attempts.map((x: { attemptId: string }) => x.attemptId)).toEqual([a.attemptId]);
    const results = (await c.api("GET", `/api/v1/results?sweep=${sweep.sweepId}&emulated=true`)).body;
    expect(results.total).toBe(3);
    expect(await failuresOf(c, "d1-a")).toEqual([]);
    // and no assignment came after the restart
    await new Promise((r) => setTimeout(r, 500));
    expect(w.received.filter((m) => m.type === "assign")).toHaveLength(1);
  }, 30_000);

  it("an agent back without its attempt and without its final state: failed as restarted, on its first heartbeat", async () => {
    const c = await controller(inject("redisUrl"));
    const w = agent(c, "d1-r", { heartbeatMs: 0 });
    await w.connect();
    w.startHeartbeats(100);
    const d = makeDeployment({ seed: "d1-restarted", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await w.nextAssignment();
    w.accept(a);
    await new Promise((r) => setTimeout(r, 800)); // past 3 heartbeat intervals
    w.kill();
    await until(() => w.closed, 3000, "socket closed");
    w.running = undefined; // the agent process restarted: the attempt is gone
    await w.connect();
    w.startHeartbeats(100);
    const att = await until(async () => {
      const j = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
      return j.attempts[0]?.state === "failed" ? j.attempts[0] : undefined;
    });
    expect(att.reason).toMatch(/agent restarted without it/);
    expect((await failuresOf(c, "d1-r")).length).toBe(1);
  }, 20_000);

  it("an assignment that reaches a busy agent late is not taken for a restart; one never taken up fails", async () => {
    const c = await controller(inject("redisUrl"), { config: { heartbeatTimeoutMs: 2000 } });
    const w = agent(c, "late-assign");
    await w.connect();
    const d = makeDeployment({ seed: "late-assign", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await w.nextAssignment();
    // heartbeats without the attempt for longer than 3 intervals: the agent has not got to it yet
    await new Promise((r) => setTimeout(r, 1200));
    w.accept(a);
    await w.runAssignment(a);
    const job = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
    expect(job.status).toBe("succeeded");
    expect(job.attempts).toHaveLength(1);

    const d2 = makeDeployment({ seed: "never-taken", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d2] });
    const mark = w.received.length;
    const b = await w.nextAssignment(5000, mark);
    const att = await until(async () => {
      const j = (await c.api("GET", `/api/v1/jobs/${b.jobId}`)).body;
      return j.attempts[0]?.state === "failed" ? j.attempts[0] : undefined;
    }, 6000);
    expect(att.reason).toMatch(/did not take up its assignment within 2000 ms/);
  }, 30_000);

  it("a success the controller had failed on its own judgement is taken back: job succeeded, no blame, no retry", async () => {
    const c = await controller(inject("redisUrl"), { config: { backoffMs: 3000 } });
    const w = agent(c, "d1-late");
    await w.connect();
    const d = makeDeployment({ seed: "d1-late", points: [1, 2].map((n) => ({ concurrency: n, isl: 64, osl: 64 })) });
    const sweep = (await c.api("POST", "/api/v1/sweeps", { deployments: [d] })).body;
    const a = await w.nextAssignment();
    w.accept(a);
    w.memberReady(a);
    await w.waitFor((m) => m.type === "gang-ready");
    // silent past the heartbeat timeout (1 s): the controller takes it for lost and fails the attempt
    w.stopHeartbeats();
    w.autoTeardown = false;
    await until(async () => (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.status === "queued", 5000);
    expect((await failuresOf(c, "d1-late")).length).toBe(1);
    // the agent was fine all along: it reconnects and delivers what it measured under its token
    w.kill();
    await until(() => w.closed, 3000, "socket closed");
    await w.connect();
    for (const p of a.points) expect((await w.sendAcked(w.pointResult(a, p))).ok).toBe(true);
    w.running = undefined;
    expect((await w.sendAcked(w.finished(a, "succeeded"))).ok).toBe(true);
    const job = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
    expect(job.status).toBe("succeeded");
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].state).toBe("succeeded");
    expect(job.excludedNodes).toEqual([]);
    expect(await failuresOf(c, "d1-late")).toEqual([]);
    expect((await c.api("GET", `/api/v1/results?sweep=${sweep.sweepId}&emulated=true`)).body.total).toBe(2);
    // the withdrawn retry never starts
    await new Promise((r) => setTimeout(r, 3500));
    expect(w.received.filter((m) => m.type === "assign")).toHaveLength(1);
    expect((await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.status).toBe("succeeded");
  }, 30_000);

  it("gang-ready reaches a leader that was away when the last member got ready", async () => {
    const c = await controller(inject("redisUrl"), { config: { disconnectGraceMs: 5000 } });
    const [x, y] = [agent(c, "d3-x", { domain: "r" }), agent(c, "d3-y", { domain: "r" })];
    await x.connect();
    await y.connect();
    const d = makeDeployment({ seed: "d3", nodes: 2, points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const ax = await x.nextAssignment();
    const ay = await y.nextAssignment();
    const [leader, la, member, ma] = ax.rank === 0 ? [x, ax, y, ay] : [y, ay, x, ax];
    leader.accept(la);
    member.accept(ma);
    leader.memberReady(la);
    await new Promise((r) => setTimeout(r, 200));
    leader.kill(); // away (within the disconnect grace) when the barrier completes
    await until(() => leader.closed, 3000, "socket closed");
    member.memberReady(ma);
    await new Promise((r) => setTimeout(r, 300));
    const mark = leader.received.length;
    const welcome = await leader.connect();
    expect(welcome.running).toBe("adopt");
    const gr = await leader.waitFor((m) => m.type === "gang-ready" && m.attemptId === la.attemptId, 3000, mark);
    expect(gr.type).toBe("gang-ready");
  }, 20_000);

  it("a job whose every node is excluded retries on one after the exclusion back-off", async () => {
    const c = await controller(inject("redisUrl"), { config: { exclusionBackoffMs: 1500, jobAttempts: 3 } });
    const w = agent(c, "d2-only", { sku: "mi300x" });
    await w.connect();
    const d = makeDeployment({ seed: "d2", sku: "mi300x", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a1 = await w.nextAssignment();
    const mark = w.received.length;
    w.accept(a1);
    w.running = undefined;
    expect((await w.sendAcked(w.finished(a1, "failed", { reason: "engine crashed", retryable: true }))).ok).toBe(true);
    const waiting = await until(async () => {
      const j = (await c.api("GET", `/api/v1/jobs/${a1.jobId}`)).body;
      return j.status === "queued" && /excluded/.test(j.waitingReason ?? "") ? j : undefined;
    }, 3000);
    expect(waiting.exclusions).toMatchObject([
      { nodeId: "d2-only", attemptId: a1.attemptId, reason: "engine crashed" },
    ]);
    expect(waiting.waitingReason).toMatch(/retries on one of them from/);
    // after the back-off it goes back to the only node; the start lifts the exclusion
    const a2 = await w.nextAssignment(5000, mark);
    expect(a2.attemptNumber).toBe(2);
    const j2 = (await c.api("GET", `/api/v1/jobs/${a2.jobId}`)).body;
    expect(j2.excludedNodes).toEqual([]);
    w.accept(a2);
    await w.runAssignment(a2);
    await until(async () => (await c.api("GET", `/api/v1/jobs/${a2.jobId}`)).body.status === "succeeded", 5000);
  }, 20_000);
});

describe("Redis outage", () => {
  let redis: RedisHandle | undefined;

  it("longer than the heartbeat timeout: no agent disconnected, blamed or quarantined; the attempt completes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-redis-blip-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    redis = await startRedis({ dataDir: dir });
    cleanups.push(async () => redis?.stop());
    const c = await controller(redis.url, { config: { quarantineK: 1, lockDurationMs: 30_000 } });
    const w = agent(c, "d4-a");
    await w.connect();
    const d = makeDeployment({ seed: "d4", points: [1, 2].map((n) => ({ concurrency: n, isl: 64, osl: 64 })) });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await w.nextAssignment();
    w.accept(a);
    w.memberReady(a);
    await w.waitFor((m) => m.type === "gang-ready");
    const port = redis.port;
    await redis.stop();
    // messages that need Redis queue up on the connection; heartbeats keep coming behind them
    w.phase(a, "warmup", "started");
    w.phase(a, "warmup");
    await new Promise((r) => setTimeout(r, 3000)); // 3× the heartbeat timeout
    redis = await startRedis({ dataDir: dir, port });
    await w.runAssignment(a);
    await until(async () => (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.status === "succeeded", 10_000);
    expect(w.closed).toBeUndefined();
    const node = (await c.api("GET", "/api/v1/nodes/d4-a")).body;
    expect(node.failures).toEqual([]);
    expect(node.adminState).toBe("active");
    expect((await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.attempts).toHaveLength(1);
  }, 40_000);
});
