/**
 * `benchfleet events` (human output) as a real CLI process following a sweep while a scripted agent
 * runs its job: one line per change — a job saved many times while running prints "running" once,
 * an attempt once per state, load-point progress once per point and stage — and throughput per GPU.
 */
import type { Assignment } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "../helpers/cli.js";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";

describe("benchfleet events: one line per change", () => {
  let c: TestController;
  let agent: ProtocolAgent | undefined;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => {
    await agent?.close();
    await c?.stop();
  });

  const progress = (a: Assignment, pointIndex: number, done: number) => ({
    type: "progress" as const,
    attemptId: a.attemptId,
    fencingToken: a.fencingToken,
    pointIndex,
    points: a.points.length,
    concurrency: a.points[pointIndex]!.concurrency,
    isl: 64,
    osl: 64,
    stage: "run" as const,
    done,
    total: a.points[pointIndex]!.concurrency * 10,
    outputTokensPerS: 16_000,
    elapsedS: done / 10,
    at: new Date().toISOString(),
  });

  it("a job run prints each state once, progress once per point, per-GPU tok/s", async () => {
    agent = new ProtocolAgent({ url: c.url, agentId: "evl-1", token: TOKENS.enrol, sku: "h200", domain: "r1" });
    const d = makeDeployment({
      seed: "events-lines",
      sku: "h200",
      points: [4, 8].map((concurrency) => ({ concurrency, isl: 64, osl: 64 })),
    });
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "evl", deployments: [d] })).body.sweepId as string;
    const child = spawnCli(["events", "--sweep", sweepId, "--controller", c.url, "--token", TOKENS.viewer], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
    try {
      await until(() => out.includes(`sweep ${sweepId}`), 30_000, "snapshot from the CLI");
      await agent.connect();
      const a = await agent.nextAssignment();
      agent.accept(a);
      for (const phase of ["prepare", "launch", "ready", "warmup"] as const) {
        agent.phase(a, phase, "started");
        agent.phase(a, phase, "finished");
      }
      agent.phase(a, "load", "started");
      for (const [i, point] of a.points.entries()) {
        for (const done of [10, 20, 30]) agent.send(progress(a, i, done));
        expect((await agent.sendAcked(agent.pointResult(a, point))).ok).toBe(true);
      }
      agent.phase(a, "load", "finished");
      expect((await agent.sendAcked(agent.finished(a, "succeeded"))).ok).toBe(true);
      await until(() => out.includes(`sweep ${sweepId} succeeded`), 10_000, "sweep succeeded in the CLI output").catch(
        (e) => {
          throw new Error(`${(e as Error).message}; the CLI printed:\n${out}`);
        },
      );

      const lines = out.trim().split("\n");
      const about = (re: RegExp) => lines.filter((l) => re.test(l));
      expect(about(new RegExp(`job ${a.jobId} test-events-lines TP8 running$`))).toHaveLength(1);
      expect(about(new RegExp(`job ${a.jobId} .*succeeded$`))).toHaveLength(1);
      expect(about(new RegExp(`attempt ${a.attemptId} running$`))).toHaveLength(1);
      // three reports per point: one line each point, the first report's figures, per GPU (8 GPUs)
      expect(about(/ point \d\/2 c=\d+ run: /).map((l) => l.slice(9))).toEqual([
        `${a.attemptId} point 1/2 c=4 run: 10/40 requests 2,000 output tok/s/GPU`,
        `${a.attemptId} point 2/2 c=8 run: 10/80 requests 2,000 output tok/s/GPU`,
      ]);
      const points = about(new RegExp(`point ${a.jobId} c=`));
      expect(points).toHaveLength(2);
      for (const l of points) expect(l).toMatch(/: [\d,]+ tok\/s\/GPU/);
      // no line printed twice in a row about the same thing
      for (let i = 1; i < lines.length; i++) expect(lines[i]!.slice(9), lines[i]).not.toBe(lines[i - 1]!.slice(9));
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.once("exit", r));
    }
  }, 90_000);
});
