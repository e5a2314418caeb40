/**
 * Drain with a real agent (`startAgent`, emulated launcher and engine, the load generator): a node
 * drained while its attempt is in the load phase finishes that attempt — every point stored, none
 * rejected as stale, the job succeeded and not excluded from the node — and then takes no work until
 * undrained.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { jobIdFor } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

describe("drain lets the running attempt finish (real agent)", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    await agent?.stop();
    await c.stop();
  });

  it("drained in the load phase: all points stored, job succeeded, node drained, no exclusion", async () => {
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "drain-h100",
      dataDir: mkdtempSync(join(tmpdir(), "bf-drain-e2e-")),
      launcher: "emulated",
      emulate: { sku: "h100", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/drain-h100")).body?.state === "idle",
      15_000,
      "agent registered idle",
    );
    const d = {
      ...makeDeployment({
        seed: "drain-e2e",
        points: [2, 4, 8].map((concurrency) => ({ concurrency, isl: 128, osl: 64 })),
        phaseTimeoutS: 120,
      }),
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      isl: 128,
      osl: 64,
      promptsPerConc: 4,
    };
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "drain", deployments: [d] }, TOKENS.operator)).body
      .sweepId as string;
    const jobId = jobIdFor(sweepId, d.fingerprint);
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.live?.phase === "load",
      60_000,
      "job in its load phase",
    );
    const drained = await c.api("POST", "/api/v1/nodes/drain-h100/drain", { reason: "maintenance" }, TOKENS.operator);
    expect(drained.body.state).toBe("draining");
    const staleBefore = c.ctx.supervisor.staleRejected;

    const sweep = await sweepFinished(c, sweepId, 120_000);
    expect(sweep.status).toBe("succeeded");
    expect(agent.outcomes.map((o) => o.outcome.status)).toEqual(["succeeded"]);
    const job = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body;
    expect(job.status).toBe("succeeded");
    expect(job.pointsDone).toBe(3);
    expect(job.attempts).toHaveLength(1);
    expect(job.excludedNodes).toEqual([]);
    expect(c.ctx.supervisor.staleRejected).toBe(staleBefore);
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(3);
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/drain-h100")).body.state === "drained",
      10_000,
      "node drained after its attempt",
    );
    const undrained = await c.api("POST", "/api/v1/nodes/drain-h100/undrain", undefined, TOKENS.operator);
    expect(undrained.status).toBe(200);
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/drain-h100")).body.state === "idle",
      10_000,
      "node idle after undrain",
    );
  }, 240_000);
});
