/** The controller's spine: hello → assign → phases/logs/results (acked, stored) → finished → job succeeded. */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("controller spine", () => {
  let c: TestController;
  const agents: ProtocolAgent[] = [];
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("runs a sweep of one job on one agent end to end", async () => {
    const agent = new ProtocolAgent({ url: c.url, agentId: "h100-a", token: TOKENS.enrol, sku: "h100" });
    agents.push(agent);
    const welcome = await agent.connect();
    expect(welcome.running).toBe("none");
    expect(welcome.heartbeatIntervalMs).toBe(200);

    const d = makeDeployment({ seed: "spine-1" });
    const created = await c.api("POST", "/api/v1/sweeps", { name: "spine", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect(created.body.triggeredBy).toBe("bob");
    expect(created.body.counts.queued).toBe(1);

    const a = await agent.nextAssignment();
    expect(a.sweepId).toBe(sweepId);
    expect(a.gang).toHaveLength(1);
    expect(a.rank).toBe(0);
    expect(a.points).toHaveLength(2);
    expect(a.deployment.fingerprint).toBe(d.fingerprint);

    const node = await c.api("GET", "/api/v1/nodes/h100-a");
    expect(node.body.state).toBe("busy");

    await agent.runAssignment(a);

    const job = await until(async () => {
      const r = await c.api("GET", `/api/v1/jobs/${a.jobId}`, undefined, TOKENS.viewer);
      return r.body.status === "succeeded" ? r.body : undefined;
    });
    expect(job.pointsDone).toBe(2);
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0].state).toBe("succeeded");

    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(2);
    expect(results.body.items[0].engineVersion).toBe("test-engine 1.0");
    expect(results.body.items[0].nodes).toEqual(["h100-a"]);
    expect(results.body.items[0].emulated).toBe(true);

    const sweep = await c.api("GET", `/api/v1/sweeps/${sweepId}`);
    expect(sweep.body.status).toBe("succeeded");
    expect(sweep.body.pointsDone).toBe(2);

    const logs = await c.api("GET", `/api/v1/jobs/${a.jobId}/logs`);
    // each line carries the time the agent read it, apart from its text
    const lines = logs.body.lines as Array<{ process: string; at?: string; line: string }>;
    expect(lines.map((l) => l.line)).toContain("server ready");
    for (const l of lines) expect(l.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(logs.body.older).toEqual([]);

    await until(async () => (await c.api("GET", "/api/v1/nodes/h100-a")).body.state === "idle", 3000, "node idle");
    // BullMQ agrees
    expect(await c.ctx.queues.state("deploy-h100", a.jobId)).toBe("completed");
  });
});
