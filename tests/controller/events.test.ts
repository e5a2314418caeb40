/**
 * /api/v1/events/ws: snapshot then deltas for fleet, sweeps, a sweep, a job and its logs; bad frames
 * answered with errors; a slow subscriber loses telemetry (with a `dropped` notice) but never state changes.
 * Also `benchfleet events --json` as a real CLI process following the live stream.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WebSocket } from "ws";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

class Sub {
  frames: any[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (raw: Buffer) => this.frames.push(JSON.parse(raw.toString("utf8"))));
  }
  static async open(url: string, token = TOKENS.viewer): Promise<Sub> {
    const ws = new WebSocket(`${url.replace("http", "ws")}/api/v1/events/ws`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    return new Sub(ws);
  }
  send(o: unknown) {
    this.ws.send(JSON.stringify(o));
  }
  find(pred: (f: any) => boolean, timeoutMs = 5000) {
    return until(() => this.frames.find(pred), timeoutMs, "event frame");
  }
}

describe("event hub", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  const subs: Sub[] = [];
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"), { config: { eventSoftLimitBytes: 64 * 1024 } });
  });
  afterAll(async () => {
    for (const s of subs) s.ws.terminate();
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("snapshots then deltas for fleet, sweeps, a sweep, a job and its logs", async () => {
    const s = await Sub.open(c.url);
    subs.push(s);
    s.send({ type: "subscribe", topic: "fleet" });
    s.send({ type: "subscribe", topic: "sweeps" });
    const fleet = await s.find((f) => f.type === "snapshot" && f.topic === "fleet");
    expect(Array.isArray(fleet.data.nodes)).toBe(true);
    const agent = new ProtocolAgent({ url: c.url, agentId: "ev-1", token: TOKENS.enrol, sku: "h100" });
    agents.push(agent);
    await agent.connect();
    await s.find(
      (f) =>
        f.type === "event" && f.event.kind === "node" && f.event.nodeId === "ev-1" && f.event.data.state === "idle",
    );

    const sweep = (
      await c.api("POST", "/api/v1/sweeps", { deployments: [makeDeployment({ seed: "events" })] }, TOKENS.operator)
    ).body;
    await s.find((f) => f.type === "event" && f.topic === "sweeps" && f.event.sweepId === sweep.sweepId);
    s.send({ type: "subscribe", topic: "sweep", id: sweep.sweepId });
    const snap = await s.find((f) => f.type === "snapshot" && f.topic === "sweep");
    expect(snap.data.sweep.sweepId).toBe(sweep.sweepId);
    const a = await agent.nextAssignment();
    s.send({ type: "subscribe", topic: "job", id: a.jobId });
    s.send({ type: "subscribe", topic: "job-logs", id: a.jobId });
    await s.find((f) => f.type === "snapshot" && f.topic === "job-logs");
    await agent.runAssignment(a);
    await s.find((f) => f.type === "event" && f.topic === "job-logs" && f.event.lines.includes("server ready"));
    await s.find((f) => f.type === "event" && f.event.kind === "point" && f.event.jobId === a.jobId);
    // an event is sent once per subscriber, under the first of its topics the subscriber follows
    await s.find(
      (f) =>
        f.type === "event" &&
        f.event.kind === "job" &&
        f.event.jobId === a.jobId &&
        f.event.data.status === "succeeded",
    );
    await s.find((f) => f.type === "event" && f.event.kind === "sweep" && f.event.data.status === "succeeded");

    // bad frames: errors, connection kept
    s.ws.send("garbage");
    s.send({ type: "subscribe", topic: "job" });
    s.send({ type: "subscribe", topic: "sweep", id: "no-such-sweep" });
    await until(() => s.frames.filter((f) => f.type === "error").length >= 3, 3000, "three errors");
    s.send({ type: "ping" });
    await s.find((f) => f.type === "pong");
  });

  it("subscribers of one topic get the same event as a text frame (serialised once, sent to each)", async () => {
    const raw: Array<{ text: string; isBinary: boolean }[]> = [];
    for (let i = 0; i < 3; i++) {
      const s = await Sub.open(c.url);
      subs.push(s);
      const mine: { text: string; isBinary: boolean }[] = [];
      raw.push(mine);
      s.ws.on("message", (d: Buffer, isBinary: boolean) => mine.push({ text: d.toString("utf8"), isBinary }));
      s.send({ type: "subscribe", topic: "fleet" });
      await s.find((f) => f.type === "snapshot" && f.topic === "fleet");
    }
    c.ctx.bus.publish({ kind: "telemetry", nodeId: "ev-1", data: { marker: "same-frame", gpus: [1, 2] } });
    await until(() => raw.every((r) => r.some((m) => m.text.includes("same-frame"))), 5000, "telemetry at all three");
    const got = raw.map((r) => r.find((m) => m.text.includes("same-frame"))!);
    for (const g of got) {
      expect(g.isBinary).toBe(false);
      expect(g.text).toBe(got[0]!.text);
    }
    expect(JSON.parse(got[0]!.text)).toEqual({
      type: "event",
      topic: "fleet",
      event: { kind: "telemetry", nodeId: "ev-1", data: { marker: "same-frame", gpus: [1, 2] } },
    });
  });

  let slowTries = 0;
  it("a slow subscriber loses telemetry but never state changes", async () => {
    // a node of its own to drain (no other test's agent; a retry's own too)
    const node = `ev-slow-${++slowTries}`;
    const agent = new ProtocolAgent({ url: c.url, agentId: node, token: TOKENS.enrol, sku: "h100" });
    agents.push(agent);
    await agent.connect();
    await until(
      async () => ((await c.api("GET", `/api/v1/nodes/${node}`)).body?.state === "idle" ? true : undefined),
      5000,
      `${node} idle`,
    );
    const slow = await Sub.open(c.url);
    subs.push(slow);
    slow.send({ type: "subscribe", topic: "fleet" });
    await slow.find((f) => f.type === "snapshot");
    // stop reading on the client: the server's send buffer fills up
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const payload = "x".repeat(16 * 1024);
    const N = 2000;
    for (let i = 0; i < N; i++) {
      c.ctx.bus.publish({ kind: "telemetry", nodeId: node, data: { i, payload } });
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(c.ctx.events.droppedTotal).toBeGreaterThan(0);
    // a state change while slow is still delivered
    await c.api("POST", `/api/v1/nodes/${node}/drain`, { reason: "slow-test" }, TOKENS.operator);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.find(
      (f) =>
        f.type === "event" && f.event.kind === "node" && f.event.nodeId === node && f.event.data.state === "drained",
      // the paused socket's backlog is read first: on a busy host that takes seconds
      15_000,
    );
    const dropped = await slow.find((f) => f.type === "dropped");
    expect(dropped.count).toBeGreaterThan(0);
    const telemetry = slow.frames.filter((f) => f.type === "event" && f.event.kind === "telemetry").length;
    expect(telemetry).toBeLessThan(N);
    await c.api("POST", `/api/v1/nodes/${node}/undrain`, undefined, TOKENS.operator);
  });

  it("`benchfleet events --json` follows the live stream", async () => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=source",
        "--import",
        "tsx",
        join(ROOT, "cli/src/main.ts"),
        "events",
        "--json",
        "--controller",
        c.url,
        "--token",
        TOKENS.viewer,
      ],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      await until(() => out.includes('"topic":"sweeps"'), 15_000, "snapshot from the CLI");
      const sweep = (
        await c.api(
          "POST",
          "/api/v1/sweeps",
          { name: "cli-follow", deployments: [makeDeployment({ seed: "events-cli", sku: "h200" })] },
          TOKENS.operator,
        )
      ).body;
      await until(() => out.includes(sweep.sweepId), 5000, "sweep event in CLI output");
      const lines = out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(
        lines.some((f) => f.type === "event" && f.event.kind === "sweep" && f.event.sweepId === sweep.sweepId),
      ).toBe(true);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    }
  }, 30_000);
});
