/**
 * An agentic sweep end to end on the emulated fleet: a real controller, a real agent with the
 * emulated launcher (engine processes with the prefix cache and a host-DRAM tier, the load
 * generator replaying the synthetic trace), one agentic deployment with two points. The stored
 * results carry per-turn metrics and the engines' hit rates; the agentic frontier and the CLI show them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { type AgenticFrontier, PointResult, type PointRow } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

describe("agentic sweep on the emulated fleet", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "agentic-h200",
      dataDir: mkdtempSync(join(tmpdir(), "bf-agentic-")),
      launcher: "emulated",
      emulate: { sku: "h200", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(async () => (await c.api("GET", "/api/v1/nodes/agentic-h200")).body?.state === "idle", 10_000, "idle");
  });
  afterAll(async () => {
    await agent?.stop();
    await c.stop();
  });

  it("stores per-turn metrics and hit rates; the agentic frontier and the CLI show them", async () => {
    const { maxModelLen: _, ...base } = makeDeployment({
      seed: "agentic-sweep",
      sku: "h200",
      gpusPerNode: 1,
      // trace seconds: the emulator's clock runs 20× fast, so each point measures 3 s of wall time
      points: [2, 4].map((concurrency) => ({ concurrency, isl: 0, osl: 0, durationS: 60 })),
      phaseTimeoutS: 120,
    });
    const d = {
      ...base,
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      precision: "bf16",
      isl: 0,
      osl: 0,
      scenario: "agentic-coding",
      agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "vllm-native" }, dramOffloadGb: 40 },
      promptsPerConc: 4,
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "agentic", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");

    const list = await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const rows = list.body.items as PointRow[];
    expect(rows.map((r) => r.concurrency).sort()).toEqual([2, 4]);
    for (const row of rows) {
      const r = PointResult.parse(row.result);
      expect(r.status, r.failureReason).toBe("ok");
      expect(r.point).toMatchObject({ isl: 0, osl: 0, durationS: 60 });
      const a = r.agentic!;
      expect(a.trace.source).toBe("synthetic(seed=42)");
      expect(a.requests.completed).toBeGreaterThan(0);
      expect(a.ttftMs.p99).toBeGreaterThan(0);
      expect(a.e2elMs.median).toBeGreaterThan(a.ttftMs.median!);
      const engine = r.engineMetrics!.roles[0]!;
      // every turn extends its trajectory's history, so most of its prompt was cached before
      expect(engine.prefixCache!.hitRate).toBeGreaterThan(0.3);
      expect(engine.offload).not.toBeNull();
    }

    const f = await c.api("GET", `/api/v1/results/agentic-frontier?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const groups = f.body.groups as AgenticFrontier[];
    expect(groups).toHaveLength(1);
    expect(groups[0]!.group).toMatchObject({ sku: "h200", kvOffloading: "dram", kvOffloadBackend: "vllm-native" });
    expect(groups[0]!.measured).toBe(2);
    for (const p of groups[0]!.points) expect(p.hitRate).toBeGreaterThan(0.3);
    // agentic points stay out of the fixed-sequence-length frontier
    const fixed = await c.api("GET", `/api/v1/results/frontier?sweep=${sweepId}`, undefined, TOKENS.viewer);
    expect(fixed.status).toBe(200);
    expect(fixed.body.groups).toEqual([]);

    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer };
    const [ls, frontier] = await Promise.all([
      runCliAsync(["results", "ls", "--sweep", sweepId], { env }),
      runCliAsync(["results", "agentic", "--sweep", sweepId, "--csv"], { env }),
    ]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/prefix hit \d/);
    expect(ls.stdout).toContain("agentic 60s");
    expect(frontier.code, frontier.stderr).toBe(0);
    const [header, ...lines] = frontier.stdout.trim().split("\n");
    expect(header!.split(",").slice(0, 4)).toEqual(["group", "tok/s/user", "tok/s/GPU", "hit rate"]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.split(",")[3]).toMatch(/^\d+\.\d%$/);
  }, 240_000);
});
