/**
 * A recipe-driven disaggregated vLLM agentic row with a Mooncake store (`backend.mooncake_kv_store`)
 * end to end on the emulated fleet: planned from a master config we write and our recipe
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml) as `plan
 * --srt-slurm` plans it, run by a real controller and two real agents posing as GB200 nodes. The
 * Mooncake master gets its stand-in beside etcd/NATS before the workers start, the emulated engines
 * take the workers' argv (the MultiConnector kv-transfer-config, the store's variables) and the
 * trace replay measures the point.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { planFromFiles, REPO_ROOT } from "@benchfleet/controller";
import { PointResult, type PointRow } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { randomLoopback } from "./helpers/loopback.js";

const CONFIG_FILE = "recipes/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml";
const KEY = "test-dsr1-fp4-gb200-dynamo-vllm-agentic-mooncake";
const settings = `additional-settings: ["CONFIG_FILE=${CONFIG_FILE}"]`;
const MASTER = `
${KEY}:
  image: vllm/vllm-openai:v0.27.1
  model: nvidia/DeepSeek-R1-0528-FP4-V2
  model-prefix: dsr1
  runner: cluster:gb200-mooncake
  precision: fp4
  framework: dynamo-vllm
  kv-p2p-transfer: nixl
  multinode: true
  disagg: true
  benchfleet: { agentic-duration: 60 }
  scenarios:
    agentic-coding:
      - dram-utilization: 0.1
        search-space:
          - kv-offloading: dram
            kv-offload-backend: { name: mooncake }
            conc-list: [4]
            prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, ${settings} }
            decode: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, ${settings} }
`;
const RUNNERS = `
labels:
  cluster:gb200-mooncake: [gb200-mooncake_00, gb200-mooncake_01]
hardware:
  cluster:gb200-mooncake:
    available-cpu-dram-mib: 880_000
    gpus-per-node: 4
`;

describe("a recipe-driven vLLM agentic row with a Mooncake store on the emulated fleet", () => {
  const tmp = mkdtempSync(join(tmpdir(), "bf-srt-mooncake-"));
  let c: TestController;
  const agents: AgentHandle[] = [];
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
    for (const id of ["gb200-mooncake-a", "gb200-mooncake-b"])
      agents.push(
        await startAgent({
          controller: c.url.replace(/^http/, "ws"),
          token: TOKENS.enrol,
          agentId: id,
          labels: ["cluster:gb200-mooncake"],
          dataDir: mkdtempSync(join(tmp, `${id}-`)),
          launcher: "emulated",
          emulate: { sku: "gb200", gpus: 4, ip: randomLoopback() },
          emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
          backoff: { initialMs: 50, maxMs: 500 },
          stopGraceMs: 2000,
        }),
      );
    for (const id of ["gb200-mooncake-a", "gb200-mooncake-b"])
      await until(async () => (await c.api("GET", `/api/v1/nodes/${id}`)).body?.state === "idle", 10_000, id);
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("plans the row from its recipe and runs it: the master's stand-in up, the point measured", async () => {
    writeFileSync(join(tmp, "master.yaml"), MASTER);
    writeFileSync(join(tmp, "runners.yaml"), RUNNERS);
    const planned = planFromFiles({
      config: [join(tmp, "master.yaml")],
      runners: join(tmp, "runners.yaml"),
      srtSlurm: [join(REPO_ROOT, "configs", "srt-slurm-recipes")],
    });
    expect(planned.deployments).toHaveLength(1);
    const d = planned.deployments[0]!;
    expect(d.srtRecipe?.configFile).toBe(CONFIG_FILE);
    expect(d.srtRecipe?.text).toContain("mooncake_kv_store:");
    expect(d).toMatchObject({ scenario: "agentic-coding", nodes: 2, agentic: { kvOffloading: "dram" } });

    const created = await c.api("POST", "/api/v1/sweeps", { name: "mooncake", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 120_000)).status).toBe("succeeded");

    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(1);
    const r = PointResult.parse(rows[0]!.result);
    expect(r.status, r.failureReason).toBe("ok");
    expect(r.point.concurrency).toBe(4);
    expect(r.agentic!.requests.completed).toBeGreaterThan(0);
    expect(r.agentic!.ttftMs.p99).toBeGreaterThan(0);
    // the prefill engine reuses its trajectories' prefixes and reports a host tier (its store contribution)
    const prefill = r.engineMetrics!.roles.find((x) => x.role === "prefill")!;
    expect(prefill.prefixCache!.hitRate).toBeGreaterThan(0.3);
    expect(prefill.offload!.externalQueryTokens).toBeGreaterThan(0);

    // the master ran in the attempt on the head node (gang rank 0) beside etcd and NATS: its stand-in
    // listened on the store's three ports (RPC, HTTP metadata, metrics)
    const jobId = rows[0]!.jobId;
    const attempts = (await c.api("GET", `/api/v1/jobs/${jobId}/attempts`, undefined, TOKENS.viewer)).body.items;
    const head = attempts.at(-1).gang.find((m: { rank: number }) => m.rank === 0).agentId as string;
    const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?tail=1000`, undefined, TOKENS.viewer);
    expect(logs.status, JSON.stringify(logs.body)).toBe(200);
    const lines = logs.body.lines as Array<{ process: string; line: string }>;
    const listening = (p: string) =>
      lines.filter((l) => l.process === `${head}/${p}` && /^infra listening on \d+$/.test(l.line)).length;
    expect(listening("infra-mooncake-master")).toBe(3);
    expect(listening("infra-etcd")).toBe(2);
    // and started before the head's worker, as srtctl waits for the master before any worker
    const started = (p: string) =>
      lines.findIndex((l) => l.process === `${head}/agent` && l.line.includes(`started ${p} `));
    expect(started("infra-mooncake-master")).toBeGreaterThanOrEqual(0);
    expect(started("infra-mooncake-master")).toBeLessThan(started("prefill-0-rank0"));
  }, 240_000);
});
