/**
 * The `slurm` launcher against a real Slurm cluster on this host (slurmctld + three slurmd, munge):
 * allocation by sbatch, steps on the right nodes with the plan's environment and files, MPI steps
 * over several nodes, stop, exclusion of a node whose step died, cancelling a pending allocation,
 * refusals, and nothing of ours left in the queue afterwards. Each test starts on an empty queue:
 * after every test, passed or failed, all jobs of the cluster are cancelled (their steps and srun
 * clients end with them) before the next one runs.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AllocatedNode, LaunchContext, RunningProcess } from "@benchfleet/agent";
import { allocationJobName, discoverPartition, MARK_ENV, SlurmLauncher } from "@benchfleet/agent";
import { type SlurmCluster, startSlurmCluster } from "@benchfleet/cli";
import type { ProcessSpec } from "@benchfleet/shared";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";

const NODE_SCRIPT = `
const net = require("node:net");
console.log("on " + process.env.SLURMD_NODENAME + " secret=" + process.env.BF_SECRET + " rank=" + (process.env.SLURM_PROCID ?? "-"));
console.log("file: " + require("node:fs").readFileSync("conf/extra.yaml", "utf8").trim());
if (process.env.BF_EXIT) process.exit(Number(process.env.BF_EXIT));
setInterval(() => {}, 1000);
process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); });
`;

function spec(name: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    name,
    role: "worker",
    argv: [process.execPath, "-e", NODE_SCRIPT],
    env: { BF_SECRET: "s3cr3t-value" },
    mounts: [],
    files: [{ path: "conf/extra.yaml", content: `for: ${name}\n` }],
    gpus: [],
    ports: {},
    health: [],
    stage: 0,
    ownSession: false,
    ...extra,
  };
}

describe("slurm launcher on a real Slurm cluster", () => {
  let cluster: SlurmCluster;
  let dir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    cluster = await startSlurmCluster({ nodes: 3 });
    dir = mkdtempSync(join(tmpdir(), "bf-slurm-launcher-"));
  });
  beforeEach(() => {
    lines.length = 0;
  });
  afterEach(async () => {
    await cluster?.cancelAll();
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const deployment = makeDeployment({ seed: "slurm-launcher", nodes: 2, phaseTimeoutS: 60 });
  const ctx = (attemptId: string, node?: AllocatedNode & { rank: number }): LaunchContext => ({
    attemptId,
    deployment,
    vendor: "nvidia",
    attemptDir: join(dir, attemptId),
    env: { [MARK_ENV]: `agent-x:abc:${attemptId}` },
    ...(node ? { node: { rank: node.rank, hostname: node.hostname, ip: node.ip } } : {}),
    onLine: (p, _s, l) => lines.push(`${p}: ${l}`),
  });
  const launcher = () => new SlurmLauncher({ partition: "gpu", env: cluster.env, pollMs: 100, container: "pyxis" });
  const squeue = () => cluster.cmd("squeue", ["-h", "-o", "%i|%j|%T|%N|%k"]).trim();
  const steps = () => cluster.cmd("squeue", ["-h", "-s", "-o", "%i|%j"]).trim();

  it("allocates whole nodes, runs each process as a step on its node with env and files, stops and releases", async () => {
    const l = launcher();
    const nodes = await l.allocate(2, ctx("att-1"), new AbortController().signal);
    expect(nodes).toHaveLength(2);
    for (const n of nodes) expect(cluster.nodes).toContainEqual({ name: n.name, addr: n.ip });
    const jobId = l.jobIdOf("att-1")!;
    // one job, named for the attempt, carrying the agent's marker as its comment
    expect(squeue()).toBe(
      `${jobId}|${allocationJobName("att-1")}|RUNNING|${cluster.cmd("squeue", ["-h", "-j", jobId, "-o", "%N"]).trim()}|agent-x:abc:att-1`,
    );
    const procs: RunningProcess[] = [];
    for (const [rank, n] of nodes.entries())
      procs.push(await l.start(spec(`worker-${rank}`), ctx("att-1", { ...n, rank })));
    await until(() => lines.filter((x) => x.includes("file: for: worker-")).length === 2, 15_000, "both steps ran");
    for (const [rank, n] of nodes.entries()) {
      expect(lines).toContain(`worker-${rank}: on ${n.name} secret=s3cr3t-value rank=0`);
      expect(lines).toContain(`worker-${rank}: file: for: worker-${rank}`);
      expect(procs[rank]!.handle).toBe(`slurm job ${jobId} step worker-${rank} on ${n.name}`);
    }
    // one step per process, named for it (Slurm numbers steps that start side by side in any order)
    for (const rank of [0, 1]) expect(steps()).toMatch(new RegExp(`^${jobId}\\.\\d+\\|worker-${rank}$`, "m"));
    // the secret travels in the environment, never on srun's command line
    for (const p of procs) expect(readFileSync(`/proc/${p.pid}/cmdline`, "utf8")).not.toContain("s3cr3t");
    for (const p of procs) await l.stop(p, 3000);
    for (const p of procs) expect(p.exit).toBeDefined();
    expect(lines.filter((x) => x.endsWith("got SIGTERM")).length).toBe(2);
    await until(() => !new RegExp(`^${jobId}\\.\\d`, "m").test(steps()), 10_000, "steps gone");
    await l.release(ctx("att-1"));
    expect(squeue()).toBe("");
    // a stopped step is not a failed node
    expect(l.excludedFor(deployment.fingerprint)).toEqual([]);
  });

  it("a node whose step ended by itself is excluded from the deployment's next allocation", async () => {
    const l = launcher();
    const nodes = await l.allocate(2, ctx("att-2"), new AbortController().signal);
    const bad = nodes[1]!;
    const p = await l.start(spec("dies", { env: { BF_SECRET: "x", BF_EXIT: "3" } }), ctx("att-2", { ...bad, rank: 1 }));
    expect((await p.exited).code).toBe(3);
    await until(() => l.excludedFor(deployment.fingerprint).length === 1, 5000, "node excluded");
    expect(l.excludedFor(deployment.fingerprint)).toEqual([bad.name]);
    await l.release(ctx("att-2"));
    const next = await l.allocate(2, ctx("att-3"), new AbortController().signal);
    expect(next.map((n) => n.name)).not.toContain(bad.name);
    expect(lines.some((x) => x.includes(`excluding ${bad.name}`))).toBe(true);
    // a request the exclusion cannot satisfy (3 nodes, one excluded) is retried with every node
    await l.release(ctx("att-3"));
    const all = await l.allocate(3, ctx("att-4"), new AbortController().signal);
    expect(all).toHaveLength(3);
    await l.release(ctx("att-4"));
    expect(squeue()).toBe("");
  });

  it("an MPI process spanning nodes is one step: tasks per node on each node, the other nodes attach to it", async () => {
    const l = new SlurmLauncher({ partition: "gpu", env: cluster.env, pollMs: 100, mpiType: "none" });
    const nodes = await l.allocate(2, ctx("att-5"), new AbortController().signal);
    const refs = nodes.map((n, rank) => ({ rank, hostname: n.hostname, ip: n.ip }));
    const mpi = (i: number) => spec(`trt-${i}`, { mpi: { job: "trt-0", nodes: 2, nodeIndex: i, tasksPerNode: 2 } });
    const first = await l.start(mpi(0), { ...ctx("att-5", { ...nodes[0]!, rank: 0 }), mpiNodes: refs });
    const second = await l.start(mpi(1), { ...ctx("att-5", { ...nodes[1]!, rank: 1 }), mpiNodes: refs });
    expect(second.exited).toBe(first.exited);
    await until(() => lines.filter((x) => x.startsWith("trt-0: on ")).length === 4, 15_000, "four ranks");
    const ranks = lines.filter((x) => x.startsWith("trt-0: on ")).map((x) => x.replace(/ secret=\S+/, ""));
    expect(ranks.sort()).toEqual(
      [`${nodes[0]!.name} rank=0`, `${nodes[0]!.name} rank=1`, `${nodes[1]!.name} rank=2`, `${nodes[1]!.name} rank=3`]
        .map((x) => `trt-0: on ${x}`)
        .sort(),
    );
    await l.stop(second, 2000);
    await l.stop(first, 2000);
    await l.release(ctx("att-5"));
    expect(squeue()).toBe("");
  });

  it("a pending allocation is cancelled when the attempt is; refusals name the partition and are permanent", async () => {
    const holder = launcher();
    await holder.allocate(3, ctx("att-6"), new AbortController().signal);
    const l = launcher();
    const ac = new AbortController();
    const pending = l.allocate(1, ctx("att-7"), ac.signal);
    await until(() => lines.some((x) => /allocation job \d+ pending/.test(x)), 10_000, "pending");
    ac.abort(new Error("attempt cancelled"));
    await expect(pending).rejects.toThrow("attempt cancelled");
    await l.release(ctx("att-7"));
    await holder.release(ctx("att-6"));
    expect(squeue()).toBe("");

    const wrong = new SlurmLauncher({ partition: "nope", env: cluster.env });
    const err = await wrong.allocate(1, ctx("att-8"), new AbortController().signal).catch((e) => e);
    expect(err.message).toMatch(/sbatch for 1 node\(s\) of partition nope failed: .*invalid partition/i);
    expect(err.retryable).toBe(false);
  });
  it("a release that fails while slurmctld is down is retried: before the next allocation and on the health check", async () => {
    const l = launcher();
    await l.allocate(1, ctx("att-9"), new AbortController().signal);
    const jobId = l.jobIdOf("att-9")!;
    await cluster.stopController();
    try {
      await expect(l.release(ctx("att-9"))).rejects.toThrow(
        new RegExp(
          `scancel ${jobId}: .*Unable to contact slurm controller.*\\(cancelled again before the next allocation\\)`,
        ),
      );
      expect(await l.retryReleases()).toEqual([jobId]);
      // a new allocation is refused (retryable) while the old one cannot be cancelled
      const err = await l.allocate(1, ctx("att-10"), new AbortController().signal).catch((e) => e);
      expect(err.message).toBe(
        `allocation job(s) ${jobId} of earlier attempts cannot be cancelled (is slurmctld reachable?)`,
      );
      expect(err.retryable).toBe(true);
    } finally {
      await cluster.startController();
    }
    // the job survived the controller restart (the nodes kept it); the next allocation cancels it first
    expect(cluster.cmd("squeue", ["-h", "-j", jobId, "-o", "%T"]).trim()).toBe("RUNNING");
    await l.allocate(1, ctx("att-11"), new AbortController().signal);
    expect(lines).toContain(`slurm: allocation job ${jobId} of an earlier attempt cancelled now`);
    await until(() => !cluster.cmd("squeue", ["-h", "-o", "%i"]).split("\n").includes(jobId), 10_000, "old job gone");
    await l.release(ctx("att-11"));
    expect(await l.retryReleases()).toEqual([]);
    expect(squeue()).toBe("");
  });
});

describe("slurm launcher on a cluster whose nodes have GPUs as GRES", () => {
  let cluster: SlurmCluster;
  let dir: string;
  const lines: string[] = [];
  beforeAll(async () => {
    cluster = await startSlurmCluster({ nodes: 2, gpus: 4 });
    dir = mkdtempSync(join(tmpdir(), "bf-slurm-gres-"));
  });
  afterEach(async () => {
    await cluster?.cancelAll();
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads GPUs per node from the Gres, requests them, and pins each process to the plan's GPUs of its node", async () => {
    const p = await discoverPartition("gpu", cluster.env);
    expect(p).toMatchObject({ gpusPerNode: 4, problems: [] });
    expect(p.nodes.map((n) => n.gpus)).toEqual([4, 4]);
    const deployment = makeDeployment({ seed: "slurm-gres", nodes: 1, gpusPerNode: 4, phaseTimeoutS: 60 });
    const ctx = (attemptId: string, node?: AllocatedNode): LaunchContext => ({
      attemptId,
      deployment,
      vendor: "nvidia",
      attemptDir: join(dir, attemptId),
      ...(node ? { node: { rank: 0, hostname: node.hostname, ip: node.ip } } : {}),
      onLine: (proc, _s, l) => lines.push(`${proc}: ${l}`),
    });
    const l = new SlurmLauncher({ partition: "gpu", env: cluster.env, pollMs: 100, gpusPerNode: 4, container: "none" });
    const [node] = await l.allocate(1, ctx("gres-1"), new AbortController().signal);
    const jobId = l.jobIdOf("gres-1")!;
    expect(cluster.cmd("squeue", ["-h", "-j", jobId, "-o", "%b"]).trim()).toBe("gres:gpu:4");
    // two processes on one node, each with its half of the node's GPUs
    for (const [name, gpus] of [
      ["decode-0", "0,1"],
      ["decode-1", "2,3"],
    ] as const) {
      const proc = await l.start(
        {
          name,
          role: "decode",
          argv: ["sh", "-c", 'echo "gpus=$CUDA_VISIBLE_DEVICES slurm=$SLURM_GPUS_ON_NODE"'],
          env: { CUDA_VISIBLE_DEVICES: gpus },
          mounts: [],
          files: [],
          gpus: gpus.split(",").map(Number),
          ports: {},
          health: [],
          stage: 0,
          ownSession: false,
        },
        ctx("gres-1", node),
      );
      expect((await proc.exited).code).toBe(0);
    }
    expect(lines).toContain("decode-0: gpus=0,1 slurm=4");
    expect(lines).toContain("decode-1: gpus=2,3 slurm=4");
    await l.release(ctx("gres-1"));
    // more GPUs than a node has: refused at once, not retried elsewhere
    const greedy = new SlurmLauncher({ partition: "gpu", env: cluster.env, gpusPerNode: 8 });
    const err = await greedy.allocate(1, ctx("gres-2"), new AbortController().signal).catch((e) => e);
    expect(err.message).toMatch(/requested node configuration is not available/i);
    expect(err.retryable).toBe(false);
    expect(cluster.cmd("squeue", ["-h"]).trim()).toBe("");
  });
});
