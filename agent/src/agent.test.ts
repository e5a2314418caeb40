import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type AgentHandle, startAgent } from "./agent.js";
import type { Discovery } from "./discovery/discover.js";
import { fixtureEngineArgv, makeAssignment, onePlan, processSpec } from "./test-support/assignment.js";
import { FakeController } from "./test-support/fake-controller.js";
import { loadgenPointRunner } from "./workloads.js";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const discovery: Discovery = {
  host: {
    hostname: "node-a",
    os: "test",
    kernel: "test",
    cpu: { model: "cpu", cores: 2, physicalCores: 2 },
    memTotalMiB: 1024,
    interfaces: [],
    primaryIp: "127.0.0.1",
  },
  vendor: "nvidia",
  gpuTool: "none",
  gpus: Array.from({ length: 8 }, (_, index) => ({
    vendor: "nvidia" as const,
    index,
    name: "NVIDIA H100 80GB HBM3",
    memoryMiB: 81559,
  })),
  sku: { sku: "h100", reason: "test" },
  runtimes: [],
  slurm: { present: false },
  rdmaDevices: [],
  problems: [],
};

async function controller(o: ConstructorParameters<typeof FakeController>[0] = {}): Promise<FakeController> {
  const c = new FakeController({ heartbeatIntervalMs: 100, ...o });
  await c.start();
  stops.push(() => c.kill());
  return c;
}

async function agent(
  c: FakeController,
  port: number,
  dataDir = mkdtempSync(join(tmpdir(), "bf-agent-")),
  over: Partial<Parameters<typeof startAgent>[0]> = {},
): Promise<AgentHandle> {
  const spec = processSpec({
    name: "worker-0",
    argv: fixtureEngineArgv(port),
    ports: { http: port },
    health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
  });
  const a = await startAgent({
    controller: c.url,
    token: "t0k",
    agentId: "agent-a",
    dataDir,
    launcher: "process",
    discovery,
    emulate: { sku: "h100", gpus: 8 },
    buildPlan: () => onePlan(spec, port),
    backoff: { initialMs: 50, maxMs: 200 },
    resendIntervalMs: 300,
    stopGraceMs: 2000,
    ...over,
  });
  stops.push(() => a.stop());
  return a;
}

describe("agent against a controller-side fixture", () => {
  it("registers, heartbeats with telemetry, runs an assignment, streams logs and results until acked", async () => {
    const c = await controller({ token: "t0k" });
    const port = await freePort();
    const a = await agent(c, port);
    const hello = await c.waitFor(() => c.hellos[0], 5000, "hello");
    expect(hello.agent).toMatchObject({
      agentId: "agent-a",
      sku: "h100",
      gpuCount: 8,
      launcher: "process",
      emulated: true,
    });
    expect(hello.health.ok).toBe(true);
    const hb = await c.waitFor(() => c.of("heartbeat")[0], 5000, "heartbeat");
    expect(hb.telemetry).toMatchObject({ gpuTelemetry: false, gpus: [] });
    c.send("agent-a", { type: "assign", assignment: makeAssignment() });
    const fin = await c.waitFor(() => c.of("attempt-finished")[0], 20_000, "attempt-finished");
    expect(fin).toMatchObject({ status: "succeeded", attemptId: "att-1" });
    // a slow ack may let the resend timer send a result twice: the msgId makes that harmless
    expect([...new Set(c.of("point-result").map((p) => `${p.msgId}:${p.result.point.concurrency}`))]).toEqual([
      "att-1.c2-i128-o16:2",
      "att-1.c4-i128-o16:4",
    ]);
    expect(c.of("log").some((l) => l.process === "worker-0")).toBe(true);
    // a heartbeat during the attempt reported it running
    expect(c.of("heartbeat").some((h) => h.running?.attemptId === "att-1")).toBe(true);
    await c.waitFor(() => a.current() === undefined, 5000, "idle");
    expect(a.outcomes.map((x) => x.outcome.status)).toEqual(["succeeded"]);
    expect(c.invalid).toEqual([]);
  });

  it("reconnects after the controller dies mid-attempt, re-reports the attempt, and resends results until acked", async () => {
    const c = await controller({ autoAck: false });
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "bf-agent-"));
    // each point takes at least 800 ms, so the attempt is still running when the agent reconnects
    const slow: Parameters<typeof startAgent>[0]["runPoint"] = async (o) => {
      await new Promise((r) => setTimeout(r, 800));
      return loadgenPointRunner(o);
    };
    const a = await agent(c, port, dataDir, { runPoint: slow });
    await c.waitFor(() => c.hellos[0], 5000, "hello");
    c.send("agent-a", { type: "assign", assignment: makeAssignment() });
    await c.waitFor(() => c.of("point-result")[0], 20_000, "first point");
    await c.kill(); // the controller dies mid-attempt; no ack was given
    await new Promise((r) => setTimeout(r, 300));
    const c2 = new FakeController({ port: c.port, heartbeatIntervalMs: 100 });
    c2.port = c.port;
    await c2.start();
    stops.push(() => c2.kill());
    const hello2 = await c2.waitFor(() => c2.hellos[0], 10_000, "hello after reconnect");
    expect(a.client.connections).toBeGreaterThan(1);
    // every spooled message arrives at the new controller and is acked; the attempt finished meanwhile or after
    await c2.waitFor(() => c2.of("attempt-finished")[0], 20_000, "final state");
    const points = new Set(c2.of("point-result").map((p) => p.msgId));
    expect(points).toEqual(new Set(["att-1.c2-i128-o16", "att-1.c4-i128-o16"]));
    await c2.waitFor(() => readdirSync(join(dataDir, "spool")).length === 0, 5000, "empty spool");
    expect(hello2.running).toMatchObject({
      attemptId: "att-1",
      jobId: makeAssignment().jobId,
      fencingToken: 1,
      phase: "load",
    });
  });

  it("a restarted agent resends what it spooled before it stopped", async () => {
    const c = await controller({ autoAck: false });
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "bf-agent-"));
    const a = await agent(c, port, dataDir);
    await c.waitFor(() => c.hellos[0], 5000, "hello");
    c.send("agent-a", { type: "assign", assignment: makeAssignment() });
    await c.waitFor(() => c.of("attempt-finished")[0], 20_000, "final state");
    await a.stop();
    expect(readdirSync(join(dataDir, "spool")).length).toBe(3);
    const c2 = await controller();
    await agent(c2, port, dataDir);
    await c2.waitFor(() => c2.of("attempt-finished")[0], 5000, "resent final state");
    expect(new Set(c2.of("point-result").map((p) => p.msgId)).size).toBe(2);
    await c2.waitFor(() => readdirSync(join(dataDir, "spool")).length === 0, 5000, "empty spool");
  });

  it("aborts its attempt when the controller says so after a reconnect, and cancels on request", async () => {
    const c = await controller({ running: "abort" });
    const port = await freePort();
    const a = await agent(c, port);
    await c.waitFor(() => c.hellos[0], 5000, "hello");
    c.send("agent-a", { type: "assign", assignment: makeAssignment() });
    await c.waitFor(() => c.of("member-ready")[0], 20_000, "member-ready");
    // the controller never relays gang-ready; the connection drops; the new welcome says abort
    await c.kill();
    const c2 = new FakeController({ port: c.port, heartbeatIntervalMs: 100, running: "abort" });
    await c2.start();
    stops.push(() => c2.kill());
    const fin = await c2.waitFor(() => c2.of("attempt-finished")[0], 15_000, "aborted attempt");
    expect(fin).toMatchObject({
      status: "cancelled",
      reason: "the controller aborted this attempt after the reconnect",
    });
    await c2.waitFor(() => a.current() === undefined, 5000, "idle");
    expect(a.outcomes[0].outcome).toMatchObject({ status: "cancelled" });
  });

  it("refuses a slurm launcher without a partition clearly", async () => {
    await expect(
      startAgent({
        controller: "ws://127.0.0.1:1",
        token: "x",
        dataDir: mkdtempSync(join(tmpdir(), "bf-agent-")),
        discovery,
        launcher: "slurm",
      }),
    ).rejects.toThrow("the slurm launcher needs a partition (--slurm-partition)");
  });
});
