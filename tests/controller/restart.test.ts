/**
 * The controller PROCESS is killed (SIGKILL) mid-attempt and restarted: the agent reconnects and
 * reports its attempt, which is re-adopted (same attempt, same fencing token); nothing runs twice,
 * no result is lost or duplicated. The restart waits past the 2 s BullMQ lock, so the expired lock
 * is restored before the stalled checker could hand the job out again.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@benchfleet/shared";
import { afterAll, describe, expect, inject, it } from "vitest";
import { TOKENS, testEnv, until } from "../helpers/controller.js";
import { type ControllerProcess, spawnController } from "../helpers/controller-process.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("controller restart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "bf-restart-"));
  let proc: ControllerProcess | undefined;
  const agents: ProtocolAgent[] = [];
  afterAll(async () => {
    for (const a of agents) await a.close();
    await proc?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("re-adopts the running attempt after a kill -9; the job runs once", async () => {
    const port = await freePort();
    const env = {
      ...testEnv(),
      REDIS_URL: inject("redisUrl"),
      BENCHFLEET_KEY_PREFIX: `r${randomBytes(4).toString("hex")}`,
      BENCHFLEET_DATA_DIR: dataDir,
      BENCHFLEET_PORT: String(port),
      BENCHFLEET_HEARTBEAT_INTERVAL_MS: "200",
      BENCHFLEET_HEARTBEAT_TIMEOUT_MS: "1500",
      BENCHFLEET_DISCONNECT_GRACE_MS: "1000",
      BENCHFLEET_RECONNECT_GRACE_MS: "10000",
      BENCHFLEET_AGENT_RECONNECT_MAX_MS: "2000",
      BENCHFLEET_LOCK_DURATION_MS: "2000",
      BENCHFLEET_STALLED_INTERVAL_MS: "500",
      BENCHFLEET_DISPATCH_INTERVAL_MS: "100",
      BENCHFLEET_BACKOFF_MS: "100",
    };
    proc = await spawnController(env);
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${proc!.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKENS.admin}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await r.json()) as any;
    };
    const worker = new ProtocolAgent({ url: proc.url, agentId: "rs-1", token: TOKENS.enrol, sku: "h100" });
    agents.push(worker);
    await worker.connect();
    const d = makeDeployment({ seed: "restart", points: [1, 2, 3].map((n) => ({ concurrency: n, isl: 64, osl: 64 })) });
    const sweep = await api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await worker.nextAssignment();
    worker.accept(a);
    worker.phase(a, "launch");
    worker.memberReady(a);
    await worker.waitFor((m) => m.type === "gang-ready");
    expect((await worker.sendAcked(worker.pointResult(a, a.points[0]!))).ok).toBe(true);

    // kill -9 the controller mid-attempt; stay down longer than the BullMQ lock (2 s)
    await proc.kill("SIGKILL");
    await until(() => worker.closed, 3000, "agent socket closed");
    await new Promise((r) => setTimeout(r, 2600));
    proc = await spawnController(env);

    // the agent reconnects and reports the attempt it still runs
    const welcome = await worker.connect();
    expect(welcome.running).toBe("adopt");
    // a second idle agent must not get the job
    const other = new ProtocolAgent({ url: proc.url, agentId: "rs-2", token: TOKENS.enrol, sku: "h100" });
    agents.push(other);
    await other.connect();

    const mark = worker.received.length;
    for (const p of a.points.slice(1)) expect((await worker.sendAcked(worker.pointResult(a, p))).ok).toBe(true);
    // the point sent before the crash is resent (its ack could have been lost): still stored once
    expect((await worker.sendAcked(worker.pointResult(a, a.points[0]!))).ok).toBe(true);
    // wait past a few stalled-check intervals and lock periods while the attempt keeps running
    await new Promise((r) => setTimeout(r, 2500));
    expect(worker.received.slice(mark).filter((m) => m.type === "assign" || m.type === "cancel")).toEqual([]);
    expect(other.received.some((m) => m.type === "assign")).toBe(false);
    const ack = await worker.sendAcked(worker.finished(a, "succeeded"));
    expect(ack.ok).toBe(true);
    worker.running = undefined;

    const job = await until(async () => {
      const j = await api("GET", `/api/v1/jobs/${a.jobId}`);
      return j.status === "succeeded" ? j : undefined;
    });
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].attemptId).toBe(a.attemptId);
    const results = await api("GET", `/api/v1/results?sweep=${sweep.sweepId}&emulated=true`);
    expect(results.total).toBe(3);
    expect(new Set(results.items.map((r: { attemptId: string }) => r.attemptId))).toEqual(new Set([a.attemptId]));
    const status = await api("GET", "/api/v1/status");
    expect(status.recovered).toEqual({ adopting: 1, lost: 0 });
    expect(other.received.some((m) => m.type === "assign")).toBe(false);
  }, 60_000);
});
