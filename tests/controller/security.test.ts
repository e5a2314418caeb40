/**
 * Auth and robustness: unauthenticated and wrong-role API calls are rejected; agents need a valid
 * token (per-agent or enrolment, bound at first hello); malformed frames get an error message and the
 * connection is kept (or closed cleanly before hello); the controller keeps working afterwards.
 */

import { PROTOCOL_VERSION } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WebSocket } from "ws";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("auth and malformed input", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("rejects unauthenticated and wrong-role API calls with JSON errors", async () => {
    const noToken = await c.api("GET", "/api/v1/sweeps", undefined, "");
    expect(noToken.status).toBe(401);
    expect(noToken.body).toMatchObject({ error: "unauthorized" });
    const badToken = await c.api("GET", "/api/v1/nodes", undefined, "not-a-real-token-at-all");
    expect(badToken.status).toBe(401);
    const d = makeDeployment({ seed: "auth" });
    const viewerCreate = await c.api("POST", "/api/v1/sweeps", { deployments: [d] }, TOKENS.viewer);
    expect(viewerCreate.status).toBe(403);
    expect(viewerCreate.body.error).toBe("forbidden");
    expect(viewerCreate.body.message).toMatch(/needs role operator/);
    expect((await c.api("POST", "/api/v1/nodes/x/drain", {}, TOKENS.viewer)).status).toBe(403);
    expect((await c.api("GET", "/api/v1/sweeps", undefined, TOKENS.viewer)).status).toBe(200);
    // public endpoints
    expect((await c.api("GET", "/api/v1/health", undefined, "")).status).toBe(200);
    const oa = await c.api("GET", "/api/v1/openapi.json", undefined, "");
    expect(oa.status).toBe(200);
    expect(oa.body.paths["/api/v1/sweeps/{id}/cancel"].post["x-role"]).toBe("operator");
    // the events socket needs a token too
    const ws = new WebSocket(`${c.url.replace("http", "ws")}/api/v1/events/ws`);
    const code = await new Promise<number>((resolve) => {
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => resolve(101));
      ws.once("error", () => resolve(-1));
    });
    expect(code).toBe(401);
  });

  it("validates API input: bad bodies and queries get 400 with details; unknown ids 404", async () => {
    const bad = await c.api("POST", "/api/v1/sweeps", { deployments: [{ fingerprint: "nope" }] }, TOKENS.operator);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("bad-request");
    expect(Array.isArray(bad.body.details)).toBe(true);
    const notJson = await fetch(`${c.url}/api/v1/sweeps`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.operator}`, "content-type": "application/json" },
      body: "{oops",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe("bad-request");
    expect((await c.api("GET", "/api/v1/jobs?status=bogus")).status).toBe(400);
    expect((await c.api("GET", "/api/v1/jobs?limit=99999")).status).toBe(400);
    expect((await c.api("GET", "/api/v1/sweeps/nope")).status).toBe(404);
    expect((await c.api("GET", "/api/v1/nope")).body.error).toBe("not-found");
  });

  it("agents: wrong or missing tokens are refused; an enrolment token binds the agent id to a credential the controller issues", async () => {
    const wrong = new ProtocolAgent({ url: c.url, agentId: "sec-1", token: "wrong-token-0123456789" });
    agents.push(wrong);
    await expect(wrong.connect()).rejects.toThrow(/4003/);
    const pinnedWrong = new ProtocolAgent({ url: c.url, agentId: "pinned-1", token: "other-token-0123456789" });
    agents.push(pinnedWrong);
    await expect(pinnedWrong.connect()).rejects.toThrow(/4003/);
    const pinned = new ProtocolAgent({ url: c.url, agentId: "pinned-1", token: "pinned-agent-token-0123456789" });
    agents.push(pinned);
    expect((await pinned.connect()).agentId).toBe("pinned-1");

    const first = new ProtocolAgent({
      url: c.url,
      agentId: "sec-bound",
      token: TOKENS.enrol,
      hostname: "host-a",
      fresh: true,
    });
    agents.push(first);
    const welcome = await first.connect();
    expect(welcome.credential).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await first.close();
    // the same enrolment token and the same (self-stated) hostname are not enough without the credential
    const impostor = new ProtocolAgent({
      url: c.url,
      agentId: "sec-bound",
      token: TOKENS.enrol,
      hostname: "host-a",
      fresh: true,
    });
    agents.push(impostor);
    await expect(impostor.connect()).rejects.toThrow(/4003/);
    impostor.credential = "a-guessed-credential-0123456789";
    await expect(impostor.connect()).rejects.toThrow(/4003/);
    // the enrolled agent comes back with its credential (from any host name)
    const again = new ProtocolAgent({ url: c.url, agentId: "sec-bound", token: TOKENS.enrol, hostname: "host-b" });
    again.credential = first.credential;
    agents.push(again);
    const back = await again.connect();
    expect(back.agentId).toBe("sec-bound");
    expect(back.credential).toBeUndefined();
    await again.close();
    // an operator forgets the enrolment of an agent that lost its data dir: it enrols anew
    expect((await c.api("DELETE", "/api/v1/agents/sec-bound/enrolment", undefined, TOKENS.operator)).status).toBe(403);
    expect((await c.api("DELETE", "/api/v1/agents/sec-bound/enrolment")).body).toEqual({
      agentId: "sec-bound",
      forgotten: true,
    });
    const fresh = new ProtocolAgent({ url: c.url, agentId: "sec-bound", token: TOKENS.enrol, fresh: true });
    agents.push(fresh);
    expect((await fresh.connect()).credential).toBeDefined();
  });

  it("an enrolment token cannot take over an agent id that has its own token, nor fail its attempt", async () => {
    const owner = new ProtocolAgent({ url: c.url, agentId: "pinned-1", token: "pinned-agent-token-0123456789" });
    agents.push(owner);
    await owner.connect();
    const d = makeDeployment({ seed: "takeover", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] });
    const a = await owner.nextAssignment(5000);
    owner.accept(a);
    const thief = new ProtocolAgent({ url: c.url, agentId: "pinned-1", token: TOKENS.enrol, fresh: true });
    agents.push(thief);
    await expect(thief.connect()).rejects.toThrow(/4003/);
    await new Promise((r) => setTimeout(r, 300));
    expect(owner.closed).toBeUndefined();
    const job = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
    expect(job.status).toBe("running");
    expect(job.attempts.map((x: { state: string }) => x.state)).toEqual([expect.stringMatching(/dispatched|running/)]);
    await owner.runAssignment(a);
  });

  it("an unauthenticated request with a large body is refused before the body is read", async () => {
    const { connect } = await import("node:net");
    const port = Number(new URL(c.url).port);
    for (const path of ["/api/v1/sweeps", "/api/v1/no-such-route"]) {
      const sock = connect(port, "127.0.0.1");
      let answer = "";
      sock.on("data", (b) => (answer += b.toString("latin1")));
      const closed = new Promise<void>((r) => sock.once("close", () => r()));
      sock.on("error", () => {});
      // headers announce 60 MiB; none of it is sent: the answer must not wait for it
      sock.write(
        `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${60 * 2 ** 20}\r\n\r\n{"a":`,
      );
      await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
      sock.destroy();
      expect(answer, path).toMatch(path === "/api/v1/sweeps" ? /^HTTP\/1\.1 401/ : /^HTTP\/1\.1 404/);
      expect(answer.toLowerCase(), path).toContain("connection: close");
    }
  });

  it("tokens are not accepted in URLs; the events socket takes the header or a browser's subprotocol", async () => {
    const q = await c.api("GET", `/api/v1/sweeps?token=${TOKENS.admin}`, undefined, "");
    expect(q.status).toBe(401);
    const ws = (url: string, o: ConstructorParameters<typeof WebSocket>[2], protocols?: string[]) =>
      new Promise<number | string>((resolve) => {
        const s = new WebSocket(url, protocols ?? [], o);
        s.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        s.once("open", () => {
          resolve(`open ${s.protocol}`);
          s.close();
        });
        s.once("error", () => resolve(-1));
      });
    const base = `${c.url.replace("http", "ws")}/api/v1/events/ws`;
    expect(await ws(`${base}?token=${TOKENS.viewer}`, {})).toBe(401);
    expect(await ws(base, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).toBe("open ");
    const offered = ["benchfleet.events", `benchfleet.bearer.${Buffer.from(TOKENS.viewer).toString("base64url")}`];
    expect(await ws(base, {}, offered)).toBe("open benchfleet.events");
    const wrong = [
      "benchfleet.events",
      `benchfleet.bearer.${Buffer.from("nope-0123456789abcdef").toString("base64url")}`,
    ];
    expect(await ws(base, {}, wrong)).toBe(401);
  });

  it("malformed frames: error before hello closes cleanly; after hello the connection is kept; no crash", async () => {
    // before hello: error message, then a clean close
    const raw = new ProtocolAgent({ url: c.url, agentId: "mal-0", token: TOKENS.enrol });
    agents.push(raw);
    await raw.open();
    raw.sendRaw("this is not json");
    const err = await raw.waitFor((m) => m.type === "error");
    expect(err).toMatchObject({ code: "4400" });
    await until(() => raw.closed, 2000, "closed");
    expect(raw.closed!.code).toBe(4400);

    // wrong protocol version
    const old = new ProtocolAgent({ url: c.url, agentId: "mal-v", token: TOKENS.enrol });
    agents.push(old);
    await old.open();
    old.send({
      type: "hello",
      protocol: PROTOCOL_VERSION + 1,
      token: TOKENS.enrol,
      agent: old.info(),
      health: { ok: true, reasons: [], checkedAt: new Date().toISOString() },
    });
    await until(() => old.closed, 2000, "closed");
    expect(old.closed!.code).toBe(4002);

    // after hello: each bad frame gets an error, the connection stays, the agent still works
    const p = new ProtocolAgent({ url: c.url, agentId: "mal-1", token: TOKENS.enrol, sku: "h200", domain: "mal" });
    agents.push(p);
    await p.connect();
    const frames = [
      "{not json",
      JSON.stringify({ type: "nope" }),
      JSON.stringify({ type: "point-result", msgId: "x" }),
      JSON.stringify({
        type: "log",
        attemptId: "a",
        fencingToken: 1,
        process: "../../etc/passwd",
        stream: "stdout",
        lines: ["x"],
      }),
      JSON.stringify([1, 2, 3]),
      JSON.stringify({ type: "heartbeat", seq: -1, health: {} }),
    ];
    for (const f of frames) p.sendRaw(f);
    await until(
      () => p.received.filter((m) => m.type === "error").length >= frames.length,
      3000,
      "an error per bad frame",
    );
    expect(p.closed).toBeUndefined();
    // messages about attempts that do not exist: rejected and counted, no crash
    p.send({
      type: "phase",
      attemptId: "no-such-attempt",
      fencingToken: 7,
      phase: "load",
      status: "started",
      at: new Date().toISOString(),
    });
    await until(
      () => p.received.some((m) => m.type === "error" && m.code === "stale-attempt"),
      3000,
      "stale-attempt error",
    );
    // an oversized frame closes the socket (1009) without harming the controller
    const big = new ProtocolAgent({ url: c.url, agentId: "mal-big", token: TOKENS.enrol });
    agents.push(big);
    await big.connect();
    big.sendRaw("x".repeat(5 * 1024 * 1024));
    await until(() => big.closed, 3000, "oversized frame closes");
    expect(big.closed!.code).toBe(1009);

    const d = makeDeployment({ seed: "after-malformed", sku: "h200" });
    await c.api("POST", "/api/v1/sweeps", { deployments: [d] }, TOKENS.operator);
    const a = await p.nextAssignment();
    await p.runAssignment(a);
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body.status === "succeeded",
      3000,
      "job succeeded",
    );
    const status = (await c.api("GET", "/api/v1/status")).body;
    expect(status.malformedAgentFrames).toBeGreaterThanOrEqual(frames.length + 1);
  });
});
