/**
 * Fault: a drained node's agent (`benchfleet agent start`, a real process) stops answering in the
 * middle of its load phase — its event loop held (SIGSTOP) for longer than the heartbeat timeout, as
 * a blocking disk write or a starved host holds it — and then resumes. The controller closes the
 * silent connection but gives the agent its disconnect grace to come back with the attempt: the
 * attempt is re-adopted and finishes, every point is stored (none rejected as stale), the job is not
 * retried and excludes no node, and the node ends drained, not excluded.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jobIdFor } from "@benchfleet/shared";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import {
  cancelUnfinishedSweeps,
  startTestController,
  sweepFinished,
  type TestController,
  TOKENS,
  until,
} from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

const HEARTBEAT_TIMEOUT_MS = 1500;
const STALL_MS = 3500;

describe("a drained node's agent that stalls past the heartbeat timeout (real agent process)", () => {
  let c: TestController;
  let agent: ChildProcess | undefined;
  let exited: Promise<unknown> | undefined;
  let dataDir: string | undefined;
  beforeEach(async () => {
    // pings far apart (as in production, 15 s against a 20 s heartbeat timeout): the heartbeat
    // timeout, not a missing pong, is what finds the silent agent
    c = await startTestController(inject("redisUrl"), {
      config: { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, disconnectGraceMs: 15_000, pingIntervalMs: 60_000 },
    });
    dataDir = mkdtempSync(join(tmpdir(), "bf-drain-stall-"));
  });
  afterEach(async () => {
    const pid = agent?.pid;
    if (pid && agent?.exitCode === null) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        /* gone */
      }
      await cancelUnfinishedSweeps(c, 15_000).catch(() => undefined);
      agent?.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      // the agent's process group: its emulated engines
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    agent = exited = undefined;
    await c.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("is re-adopted after the stall: the attempt finishes, no point stale, no retry, no exclusion", async () => {
    agent = spawnCli(
      [
        "agent",
        "start",
        "--controller",
        c.url.replace(/^http/, "ws"),
        "--token",
        TOKENS.enrol,
        "--agent-id",
        "stall-h100",
        "--emulate-sku",
        "h100",
        "--emulate-gpus",
        "8",
        "--emulate-ip",
        randomLoopback(),
        "--time-scale",
        "0.05",
        "--reconnect-max-ms",
        "1000",
        "--data-dir",
        dataDir!,
      ],
      { stdio: ["ignore", "ignore", "ignore"], detached: true },
    );
    const proc = agent;
    exited = new Promise((r) => proc.once("exit", r));
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/stall-h100")).body?.state === "idle",
      60_000,
      "agent registered idle",
    );
    const d = {
      ...makeDeployment({
        seed: "drain-stall",
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
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "stall", deployments: [d] }, TOKENS.operator)).body
      .sweepId as string;
    const jobId = jobIdFor(sweepId, d.fingerprint);
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.live?.phase === "load",
      60_000,
      "job in its load phase",
    );
    const drained = await c.api("POST", "/api/v1/nodes/stall-h100/drain", { reason: "maintenance" }, TOKENS.operator);
    expect(drained.body.state).toBe("draining");
    const staleBefore = c.ctx.supervisor.staleRejected;

    // the agent's event loop is held past the heartbeat timeout: the controller hears nothing
    process.kill(proc.pid!, "SIGSTOP");
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/stall-h100")).body.connected === false,
      STALL_MS,
      "the silent agent's connection closed by the heartbeat timeout",
    );
    await new Promise((r) => setTimeout(r, STALL_MS - HEARTBEAT_TIMEOUT_MS));
    const during = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body;
    expect(during.status).toBe("running");
    process.kill(proc.pid!, "SIGCONT");

    const sweep = await sweepFinished(c, sweepId, 120_000);
    const job = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body;
    expect({ sweep: sweep.status, job: job.status, lastError: job.lastError }).toEqual({
      sweep: "succeeded",
      job: "succeeded",
      lastError: undefined,
    });
    expect(job.attempts).toHaveLength(1);
    expect(job.pointsDone).toBe(3);
    expect(job.excludedNodes).toEqual([]);
    expect(c.ctx.supervisor.staleRejected).toBe(staleBefore);
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(3);
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/stall-h100")).body.state === "drained",
      10_000,
      "node drained after its attempt",
    );
  }, 240_000);
});
