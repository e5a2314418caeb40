/**
 * Agentic points whose KV-offload backend runs servers of its own (Mooncake's master, one LMCache
 * server per GPU), end to end on the emulated fleet: a real controller, a real agent with the
 * emulated launcher. The side servers start (as stand-ins) before the engine and pass their health
 * checks, the emulated engine's host-DRAM tier stands in for the store, and the points' results
 * carry hit rates and offload traffic. And an aggregated dynamo-sglang point (decode num-worker 0):
 * the emulated Dynamo frontend forwards to the aggregated worker.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { buildLaunchPlan, ScriptPreset } from "@benchfleet/recipes";
import { makePlacement, makeDeployment as makeRecipeDeployment } from "@benchfleet/recipes/test-support";
import { Deployment, PointResult, type PointRow } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

const AGENT = "agentic-offload-h200";

function offloaded(backend: string): Deployment {
  const { maxModelLen: _, ...base } = makeDeployment({
    seed: `agentic-offload-${backend}`,
    sku: "h200",
    gpusPerNode: 8,
    // trace seconds: the emulator's clock runs 20× fast, so the point measures 3 s of wall time
    points: [{ concurrency: 2, isl: 0, osl: 0, durationS: 60 }],
    phaseTimeoutS: 120,
  });
  return {
    ...base,
    model: "meta-llama/Llama-3.1-8B-Instruct",
    modelPrefix: "llama3-8b",
    precision: "bf16",
    isl: 0,
    osl: 0,
    scenario: "agentic-coding",
    agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: backend }, dramOffloadGb: 40 },
    promptsPerConc: 4,
  };
}

describe("agentic points with Mooncake and LMCache on the emulated fleet", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: AGENT,
      dataDir: mkdtempSync(join(tmpdir(), "bf-agentic-offload-")),
      launcher: "emulated",
      emulate: { sku: "h200", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(async () => (await c.api("GET", `/api/v1/nodes/${AGENT}`)).body?.state === "idle", 10_000, "idle");
  });
  afterAll(async () => {
    await agent?.stop();
    await c.stop();
  });

  it("launches the store's servers before the engine and measures hit rates through the DRAM tier", async () => {
    const deployments = [offloaded("mooncake"), offloaded("lmcache")];
    const created = await c.api("POST", "/api/v1/sweeps", { name: "offload", deployments }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");

    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const r = PointResult.parse(row.result);
      expect(r.status, r.failureReason).toBe("ok");
      expect(r.agentic!.requests.completed).toBeGreaterThan(0);
      const engine = r.engineMetrics!.roles[0]!;
      expect(engine.prefixCache!.hitRate).toBeGreaterThan(0.3);
      expect(engine.offload).not.toBeNull();
    }

    // the side servers ran in the attempt beside the engine: their stand-ins' output is in its logs
    const expected: Record<string, string[]> = {
      mooncake: ["infra-mooncake-master"],
      lmcache: Array.from({ length: 8 }, (_, g) => `infra-lmcache-worker-0-rank0-${g}`),
    };
    for (const row of rows) {
      const backend = deployments.find((d) => d.configKey === row.configKey)!.agentic!.kvOffloadBackend!.name;
      const logs = await c.api("GET", `/api/v1/jobs/${row.jobId}/logs?tail=1000`, undefined, TOKENS.viewer);
      expect(logs.status, JSON.stringify(logs.body)).toBe(200);
      const names = JSON.stringify(logs.body.processes);
      for (const name of expected[backend]!) expect(names).toContain(name);
    }
  }, 240_000);

  it("runs a Mooncake point whose store its script preset sizes (minimaxm3_fp8_h200_mtp.sh)", async () => {
    // the key of the lab's row, so the controller stores configs/recipes/scripts/agentic/'s preset
    // with it; the emulated engine models DeepSeek-R1 (configs/models.yaml has no MiniMax-M3), whose
    // MTP head stands in for the script's EAGLE3 draft
    const d: Deployment = {
      ...offloaded("mooncake"),
      configKey: "minimaxm3-fp8-h200-vllm-agentic-mtp",
      configKeys: ["minimaxm3-fp8-h200-vllm-agentic-mtp"],
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "minimaxm3",
      precision: "fp8",
      specDecoding: "mtp",
      agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "mooncake" }, dramOffloadGb: 1234 },
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "preset", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");
    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(1);
    const r = PointResult.parse(rows[0]!.result);
    expect(r.status, r.failureReason).toBe("ok");
    expect(r.agentic!.requests.completed).toBeGreaterThan(0);
    expect(r.engineMetrics!.roles[0]!.offload).not.toBeNull();
    const job = (await c.api("GET", `/api/v1/jobs/${rows[0]!.jobId}`, undefined, TOKENS.viewer)).body;
    const stored = ScriptPreset.parse(job.deployment.recipeSettings.script);
    expect(stored.script).toBe("benchmarks/single_node/agentic/minimaxm3_fp8_h200_mtp.sh");
    expect(stored.mooncake?.["segment-gib"]).toEqual({ "node-reserve-gib": 414, "rank-reserve-gib": 4 });
    // a launch built from what was stored, as the agent builds it: (1149 GiB − 414) ÷ 8 − 4 per rank
    const storedD = Deployment.parse(job.deployment);
    const plan = buildLaunchPlan(storedD, makePlacement(storedD));
    const worker = plan.nodes[0]!.processes.find((p) => p.name === "worker-0-rank0")!;
    expect(JSON.parse(worker.files[0]!.content).global_segment_size).toBe("87GB");
    const logs = await c.api("GET", `/api/v1/jobs/${rows[0]!.jobId}/logs?tail=1000`, undefined, TOKENS.viewer);
    expect(JSON.stringify(logs.body.processes)).toContain("infra-mooncake-master");
  }, 240_000);

  it("serves an aggregated dynamo-sglang point through the emulated frontend", async () => {
    const base = offloaded("agg");
    const shape = makeRecipeDeployment({
      configKey: "test-agentic-dynamo-sglang-agg",
      sku: "h200",
      framework: "dynamo-sglang",
      model: base.model,
      modelPrefix: base.modelPrefix,
      precision: base.precision,
      image: base.image,
      concs: [2],
      prefill: { numWorker: 1, tp: 8 },
      decode: { numWorker: 0, tp: 8 },
    });
    const d: Deployment = {
      ...base,
      configKey: shape.configKey,
      configKeys: [shape.configKey],
      framework: "dynamo-sglang",
      multinode: shape.multinode,
      disagg: shape.disagg,
      prefill: shape.prefill!,
      decode: shape.decode!,
      agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "hicache" }, dramOffloadGb: 40 },
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "agg", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");
    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(1);
    const r = PointResult.parse(rows[0]!.result);
    expect(r.status, r.failureReason).toBe("ok");
    expect(r.agentic!.requests.completed).toBeGreaterThan(0);
  }, 240_000);
});
