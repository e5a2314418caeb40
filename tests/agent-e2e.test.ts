/**
 * End to end: the real controller (fastify + WebSocket hub + BullMQ on the test Redis), a real
 * agent (`startAgent`) posing as an H100 node with the emulated launcher, the real vLLM recipe,
 * the emulated engine process, the load generator. A sweep of one deployment runs every phase,
 * stores its points, streams logs, and the node is idle again with nothing left running.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { jobIdFor } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

describe("agent end to end against the real controller", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    await agent?.stop();
    await c.stop();
  });

  it("registers, takes an emulated job, runs all phases, stores results and logs, tears down", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "bf-agent-e2e-"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "e2e-h100-a",
      dataDir,
      launcher: "emulated",
      emulate: { sku: "h100", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.02", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/e2e-h100-a")).body?.state === "idle",
      10_000,
      "agent registered idle",
    );

    const d = {
      ...makeDeployment({
        seed: "agent-e2e",
        points: [
          { concurrency: 2, isl: 128, osl: 32 },
          { concurrency: 4, isl: 128, osl: 32 },
        ],
        phaseTimeoutS: 60,
      }),
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      isl: 128,
      osl: 32,
      promptsPerConc: 2,
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "agent-e2e", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;

    const job = await sweepFinished(c, sweepId, 60_000);
    expect(agent.outcomes.map((o) => o.outcome.status)).toEqual(["succeeded"]);
    expect(job.status).toBe("succeeded");
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(2);
    for (const item of results.body.items) expect(item.emulated).toBe(true);

    const jobId = jobIdFor(sweepId, d.fingerprint);
    const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?process=agent&tail=1000`, undefined, TOKENS.viewer);
    const lines = (logs.body.lines ?? []) as Array<{ line: string }>;
    expect(lines.some((l) => l.line.includes("phase load finished"))).toBe(true);
    // the emulated engine's own output was streamed too, under its process name
    expect((logs.body.processes as string[]).filter((p) => p !== "agent").length).toBeGreaterThan(0);
    // teardown left nothing: the engine's process group is gone, the spool is empty
    const outcome = agent.outcomes[0].outcome;
    expect(Object.keys(outcome.phaseDurationsMs)).toEqual(["prepare", "launch", "ready", "warmup", "load", "teardown"]);
    await until(() => readdirSync(join(dataDir, "spool")).length === 0, 5000, "spool drained");
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/e2e-h100-a")).body?.state === "idle",
      5000,
      "node idle again",
    );
  }, 90_000);
});
