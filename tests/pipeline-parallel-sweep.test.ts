/**
 * Kimi-K3 with pipeline parallelism, end to end on the emulated fleet: an agentic row in the lab's
 * master-config format (the shape of the lab's kimik3-fp4-b200-dynamo-vllm-agentic: one aggregated
 * worker, TP8 x PP2, decode workers 0) planned with `sweep start --srt-slurm` from our recipe
 * (configs/srt-slurm-recipes/kimik3-fp4/b200-vllm-direct-tp8pp2.yaml, srtctl's direct `vllm serve`)
 * and run by two real agents posing as 8-GPU B200 nodes. The worker's leader on the first node
 * serves; the second node's rank is headless. Kimi-K3 fp4 does not fit eight B200s (the emulated
 * engine refuses TP8 alone as out of memory), so the point completes only because the engine
 * splits the weights over both pipeline stages.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { PointResult, type PointRow } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, runCliAsync } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { randomLoopback } from "./helpers/loopback.js";

const KEY = "test-kimik3-fp4-b200-vllm-agentic-tp8pp2";
const AGENTS = ["pp-b200-a", "pp-b200-b"];

const CONFIG = `${KEY}:
  image: vllm/vllm-openai:kimi-k3
  model: moonshotai/Kimi-K3
  model-prefix: kimik3
  runner: cluster:test-b200-pp
  precision: fp4
  framework: dynamo-vllm
  multinode: true
  disagg: false
  benchfleet: { agentic-duration: 60 }
  scenarios:
    agentic-coding:
    - search-space:
      - spec-decoding: none
        conc-list: [4]
        prefill:
          num-worker: 1
          tp: 8
          pp: 2
          ep: 1
          dp-attn: false
          additional-settings:
          - "CONFIG_FILE=recipes/kimik3-fp4/b200-vllm-direct-tp8pp2.yaml"
        decode:
          num-worker: 0
          tp: 8
          pp: 2
          ep: 1
          dp-attn: false
`;

const RUNNERS = `labels:
  cluster:test-b200-pp: [b200-pp_00, b200-pp_01]
hardware:
  cluster:test-b200-pp:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

describe("a TP8 x PP2 Kimi-K3 row on two emulated B200 nodes", () => {
  let c: TestController;
  const agents: AgentHandle[] = [];
  const dirs: string[] = [];
  let configDir = "";
  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), "bf-pp-config-"));
    dirs.push(configDir);
    writeFileSync(join(configDir, "master.yaml"), CONFIG);
    writeFileSync(join(configDir, "runners.yaml"), RUNNERS);
    c = await startTestController(inject("redisUrl"));
    for (const agentId of AGENTS) {
      const dataDir = mkdtempSync(join(tmpdir(), "bf-pp-agent-"));
      dirs.push(dataDir);
      agents.push(
        await startAgent({
          controller: c.url.replace(/^http/, "ws"),
          token: TOKENS.enrol,
          agentId,
          dataDir,
          labels: ["cluster:test-b200-pp"],
          launcher: "emulated",
          emulate: { sku: "b200", gpus: 8, ip: randomLoopback() },
          // the emulator's clock runs 20× fast: the row's 60 trace seconds are 3 s of wall time
          emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
          backoff: { initialMs: 50, maxMs: 500 },
          stopGraceMs: 2000,
        }),
      );
    }
    for (const id of AGENTS)
      await until(async () => (await c.api("GET", `/api/v1/nodes/${id}`)).body?.state === "idle", 10_000, `${id} idle`);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await c?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("launches the worker over both nodes, replays the trace and stores the point", async () => {
    const operator = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.operator };
    const start = await runCliAsync(
      [
        "sweep",
        "start",
        "-c",
        join(configDir, "master.yaml"),
        "--runners",
        join(configDir, "runners.yaml"),
        "--keys",
        KEY,
        "--srt-slurm",
        join(REPO_ROOT, "configs", "srt-slurm-recipes"),
        "--json",
      ],
      { env: operator },
    );
    expect(start.code, start.stderr).toBe(0);
    const sweepId = JSON.parse(start.stdout).sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");

    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ configKey: KEY, sku: "b200", concurrency: 4 });
    expect([...row.nodes].sort()).toEqual(AGENTS);
    const r = PointResult.parse(row.result);
    expect(r.status, r.failureReason).toBe("ok");

    const a = r.agentic!;
    expect(a.requests.completed).toBeGreaterThan(0);
    expect(a.errorRatio).toBeLessThanOrEqual(a.failureThreshold);
    expect(a.ttftMs.median).toBeGreaterThan(0);
    expect(a.e2elMs.median).toBeGreaterThan(a.ttftMs.median!);
    // the point counts both stages' 16 GPUs
    expect(a.throughput.totalTokensPerGpu).toBeGreaterThan(0);
    expect(a.throughput.totalTokensPerGpu * 16).toBeCloseTo(a.throughput.totalTokensPerS, 3);

    // the leader's metrics (its http port; the headless rank serves none): vLLM's prefix cache found
    // the trajectories' earlier turns
    const roles = r.engineMetrics!.roles;
    expect(roles.map((x) => [x.process, x.engine, x.failedScrapes])).toEqual([["agg-0-rank0", "vllm", 0]]);
    expect(roles[0]!.prefixCache!.hitRate).toBeGreaterThan(0.1);

    // the gang: vllm serve's leader on the first node, its headless rank on the second
    const logs = await c.api("GET", `/api/v1/jobs/${row.jobId}/logs?tail=1000`, undefined, TOKENS.viewer);
    expect(logs.status, JSON.stringify(logs.body)).toBe(200);
    const text = JSON.stringify(logs.body);
    expect(text).toContain("agg-0-rank0");
    expect(text).toContain("headless rank: serves nothing; its worker's rank 0 serves");
  }, 240_000);
});
