/**
 * End to end on a real Slurm cluster: the real controller, a Slurm-mode agent (`--launcher slurm`,
 * on the "login node") standing for a 3-node partition, emulated engines as job steps. A 2-node
 * disaggregated deployment is allocated with sbatch, every process of the plan runs on its node by
 * srun, the leader's load and results flow back, and the allocation is gone afterwards. Then a fault:
 * an engine killed on its node fails the attempt; the retry runs on the same partition with that
 * node excluded, and the job succeeds.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { type SlurmCluster, startSlurmCluster } from "@benchfleet/cli";
import { jobIdFor } from "@benchfleet/shared";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "./helpers/cli.js";
import {
  cancelUnfinishedSweeps,
  startTestController,
  sweepFinished,
  type TestController,
  TOKENS,
  until,
} from "./helpers/controller.js";
import { twoNodeDisagg } from "./helpers/deployments.js";

const AGENT = "login-gpu";
const FAKE_GPU_TOOLS = fileURLToPath(new URL("./fixtures/gpu-tools", import.meta.url));

describe("Slurm-mode agent end to end", () => {
  let c: TestController;
  let cluster: SlurmCluster;
  const agents: AgentHandle[] = [];
  const dataDirs: string[] = [];
  const partitionAgent = (agentId: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), "bf-slurm-agent-"));
    dataDirs.push(dataDir);
    return startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId,
      dataDir,
      launcher: "slurm",
      emulate: { sku: "h200", gpus: 8 },
      // GPU power of the "nodes" comes from a stand-in nvidia-smi on the steps' PATH (no GPU here)
      slurm: {
        partition: cluster.partition,
        env: { ...cluster.env, PATH: `${FAKE_GPU_TOOLS}:${process.env.PATH}` },
        gpuTelemetry: "nvidia-smi",
      },
      emulateExtraArgs: ["--time-scale", "0.02", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 3000,
    }).then((a) => {
      agents.push(a);
      return a;
    });
  };
  beforeAll(async () => {
    [c, cluster] = await Promise.all([startTestController(inject("redisUrl")), startSlurmCluster({ nodes: 3 })]);
    await partitionAgent(AGENT);
  });
  // a test that failed halfway leaves no sweep running and no allocation queued for the next one
  afterEach(async () => {
    if (c) await cancelUnfinishedSweeps(c);
    await cluster?.cancelAll();
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await Promise.all([c?.stop(), cluster?.stop()]);
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  const queue = () => cluster.cmd("squeue", ["-h", "-o", "%i|%j|%T"]).trim();
  const sweepDone = (sweepId: string) => sweepFinished(c, sweepId, 90_000);

  it("registers as the partition; runs a 2-node disaggregated deployment as job steps; leaves nothing queued", async () => {
    const node = await until(async () => {
      const r = await c.api("GET", `/api/v1/nodes/${AGENT}`);
      return r.body?.state === "idle" ? r.body : undefined;
    }, 15_000);
    expect(node.info).toMatchObject({
      launcher: "slurm",
      slurm: { partition: "gpu", nodes: 3 },
      domain: "slurm:gpu",
      sku: "h200",
      gpuCount: 8,
    });
    // the CLI shows what the agent stands for
    const ls = await runCliAsync(["nodes", "ls", "--controller", c.url, "--token", TOKENS.viewer]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split("\n").find((l) => l.startsWith(AGENT))).toMatch(
      /h200\s+8 × 3 nodes\s+slurm:gpu\s+idle\s+ok/,
    );

    const d = twoNodeDisagg("slurm-ok");
    expect(d.nodes).toBe(2);
    const created = await c.api("POST", "/api/v1/sweeps", { name: "slurm-e2e", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    const done = await sweepDone(sweepId);
    expect(done.status).toBe("succeeded");
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(1);
    // energy of the whole deployment: both nodes' 8 GPUs sampled on their nodes (400 W each, stand-in tool)
    const energy = results.body.items[0].result.energy;
    expect(energy).toMatchObject({ gpus: 16, complete: true });
    expect(energy.avgPowerW).toBeCloseTo(16 * 400, 0);
    expect(energy.joulesPerOutputToken).toBeGreaterThan(0);

    const jobId = jobIdFor(sweepId, d.fingerprint);
    const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?tail=2000`, undefined, TOKENS.viewer);
    const lines = (logs.body.lines ?? []) as Array<{ process: string; line: string }>;
    const slurmLines = lines.filter((l) => l.process === "slurm").map((l) => l.line);
    const running = slurmLines.find((l) => /allocation job \d+ running on/.test(l));
    expect(running).toMatch(/running on node\d \(127\.[\d.]+\), node\d \(127\.[\d.]+\)$/);
    expect(slurmLines.some((l) => /allocation job \d+ cancelled/.test(l))).toBe(true);
    // every process of the plan was a step of the allocation, on its node
    const started = lines
      .filter((l) => l.process === "agent")
      .map((l) => l.line.replace(/^\[agent\] /, ""))
      .filter((l) => l.startsWith("started "));
    expect(started.length).toBeGreaterThanOrEqual(3);
    for (const s of started) expect(s).toMatch(/\(slurm job \d+ step \S+ on node\d\)$/);
    expect(new Set(started.map((s) => /on (node\d)\)$/.exec(s)![1])).size).toBe(2);
    // the emulated engines' own output came back through srun
    expect((logs.body.processes as string[]).some((p) => p.startsWith("prefill"))).toBe(true);
    expect(queue()).toBe("");
  }, 120_000);

  it("an engine killed on its node fails the attempt; the retry avoids that node on the same partition", async () => {
    const d = twoNodeDisagg("slurm-fault");
    const created = await c.api("POST", "/api/v1/sweeps", { name: "slurm-fault", deployments: [d] }, TOKENS.operator);
    const sweepId = created.body.sweepId as string;
    const jobId = jobIdFor(sweepId, d.fingerprint);
    // wait until the decode engine runs as a step, then kill its process on the node (not through Slurm)
    const step = await until(() => {
      const out = cluster.cmd("squeue", ["-h", "-s", "-o", "%i|%j|%N"]);
      return out.split("\n").find((l) => /\|decode[^|]*\|node\d$/.test(l.trim()));
    }, 60_000);
    const victimNode = step.trim().split("|")[2]!;
    const addr = cluster.nodes.find((n) => n.name === victimNode)!.addr;
    const engine = await until(() => {
      try {
        const pattern = `emulate --role decode .*--host ${addr.replace(/\./g, "\\.")} `;
        return execFileSync("pgrep", ["-f", "--", pattern], { encoding: "utf8" }).trim().split("\n")[0];
      } catch {
        return undefined;
      }
    }, 30_000);
    process.kill(Number(engine), "SIGKILL");

    const done = await sweepDone(sweepId);
    expect(done.status).toBe("succeeded");
    const attempts = await c.api("GET", `/api/v1/jobs/${jobId}/attempts`, undefined, TOKENS.viewer);
    const list = attempts.body.items ?? attempts.body;
    expect(list.map((a: { state: string }) => a.state)).toEqual(["failed", "succeeded"]);
    // the same partition agent ran the retry; the controller did not exclude or quarantine it
    for (const a of list) expect(a.gang.map((m: { agentId: string }) => m.agentId)).toEqual([AGENT]);
    const job = await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer);
    expect(job.body.excludedNodes ?? []).not.toContain(AGENT);
    expect((await c.api("GET", `/api/v1/nodes/${AGENT}`)).body.state).not.toBe("quarantined");
    // the agent excluded the node the engine died on from the retry's allocation
    const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?process=slurm&tail=2000`, undefined, TOKENS.viewer);
    const slurmLines = (logs.body.lines as Array<{ line: string }>).map((l) => l.line);
    expect(slurmLines.some((l) => l.includes(`excluding ${victimNode}`))).toBe(true);
    const retryRunning = slurmLines.filter((l) => /allocation job \d+ running on/.test(l)).at(-1)!;
    expect(retryRunning).not.toContain(`${victimNode} (`);
    expect(queue()).toBe("");
  }, 150_000);

  it("two agents on one partition run two jobs side by side; Slurm holds the one the free nodes cannot take yet", async () => {
    await partitionAgent(`${AGENT}-b`);
    await until(async () => (await c.api("GET", `/api/v1/nodes/${AGENT}-b`)).body?.state === "idle", 15_000);
    // two 2-node gangs on a 3-node partition: both agents take one; the second allocation waits in
    // Slurm's queue until the first job's nodes are released, then runs
    const ds = [twoNodeDisagg("slurm-two-a", { osl: 64 }), twoNodeDisagg("slurm-two-b", { osl: 64 })];
    const created = await c.api("POST", "/api/v1/sweeps", { name: "slurm-two", deployments: ds }, TOKENS.operator);
    const sweepId = created.body.sweepId as string;
    const done = await sweepDone(sweepId);
    expect(done.status).toBe("succeeded");
    const ran = await Promise.all(
      ds.map(async (d) => {
        const jobId = jobIdFor(sweepId, d.fingerprint);
        const attempts = (await c.api("GET", `/api/v1/jobs/${jobId}/attempts`, undefined, TOKENS.viewer)).body.items;
        const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?process=slurm&tail=500`, undefined, TOKENS.viewer);
        return {
          agents: attempts.map((a: { gang: Array<{ agentId: string }> }) => a.gang[0]!.agentId),
          lines: (logs.body.lines as Array<{ line: string }>).map((l) => l.line),
        };
      }),
    );
    // each job ran once, on a different agent of the same partition
    expect(ran.map((r) => r.agents.length)).toEqual([1, 1]);
    expect(new Set(ran.flatMap((r) => r.agents))).toEqual(new Set([AGENT, `${AGENT}-b`]));
    // one of them waited for nodes in Slurm's queue (and was not failed for it)
    expect(ran.some((r) => r.lines.some((l) => /allocation job \d+ pending: Resources/.test(l)))).toBe(true);
    expect(queue()).toBe("");
  }, 150_000);
});
