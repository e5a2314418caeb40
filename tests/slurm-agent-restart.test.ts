/**
 * Fault, with real processes: a Slurm-mode agent (`benchfleet agent start --launcher slurm`, a
 * child process on the "login node") is SIGKILLed while its 2-node allocation runs the attempt's
 * engines as job steps. Nothing cleans them up: the allocation, its steps and the engines outlive
 * the agent. A new agent process with the same agent id and data dir cancels that allocation
 * (found by the marker in its job comment) before it registers, leaves alone the jobs whose comment
 * carries another agent's marker, and the controller's retry of the job runs and succeeds on it.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MARK_ENV, markPrefix } from "@benchfleet/agent";
import { type SlurmCluster, startSlurmCluster } from "@benchfleet/cli";
import { jobIdFor } from "@benchfleet/shared";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { twoNodeDisagg } from "./helpers/deployments.js";
import { killGroup, startSlurmAgentProcess } from "./helpers/slurm-agent-process.js";

/** `until` for conditions that run Slurm commands or pgrep: every 200 ms, not every 25 ms */
const poll = <T>(fn: () => T | Promise<T>, timeoutMs: number, what: string) =>
  until(
    async () => {
      const v = await fn();
      if (!v) await new Promise((r) => setTimeout(r, 200));
      return v;
    },
    timeoutMs,
    what,
  );

/** the environment of a process (empty once it is gone) */
function environ(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return [];
  }
}

describe("a Slurm-mode agent restarted after SIGKILL", () => {
  let c: TestController;
  let cluster: SlurmCluster;
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    [c, cluster] = await Promise.all([startTestController(inject("redisUrl")), startSlurmCluster({ nodes: 3 })]);
  });
  /** stops the agents started so far, cancels their sweeps and empties the cluster's queue */
  async function stopEverything() {
    for (const ch of children) killGroup(ch.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    for (const ch of children.splice(0)) killGroup(ch.pid);
    for (const id of sweeps.splice(0)) await c.api("POST", `/api/v1/sweeps/${id}/cancel`, {}, TOKENS.operator);
    cluster.cmd("scancel", [`--partition=${cluster.partition}`]);
  }
  const sweeps: string[] = [];
  // the agent id is bound to its first data dir's per-agent token, so each try has its own
  let tries = 0;
  let agentId = "";
  // a retried test starts from an empty queue, without the first try's agents, jobs or sweep
  beforeEach(async () => {
    agentId = `login-gpu-restart-${process.pid}-${++tries}`;
    await stopEverything();
    await poll(() => jobs().length === 0, 15_000, "queue empty before the test");
  });
  afterAll(async () => {
    if (c && cluster) await stopEverything();
    await Promise.all([c?.stop(), cluster?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function startAgentProcess(dataDir: string) {
    const p = startSlurmAgentProcess({ controllerUrl: c.url, cluster, agentId, dataDir });
    children.push(p.child);
    return p;
  }

  /** `id|comment|state` of every job of the cluster */
  const jobs = () =>
    cluster
      .cmd("squeue", ["-h", "-o", "%i|%k|%T"])
      .split("\n")
      .map((l) => l.trim().split("|"))
      .filter((f) => f.length === 3)
      .map(([id, comment, state]) => ({ id: id!, comment: comment!, state: state! }));
  /** `J.S|name` of every job step of the cluster */
  const steps = (jobId: string) =>
    cluster
      .cmd("squeue", ["-h", "-s", "-o", "%i|%j"])
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith(`${jobId}.`));
  /** pids of emulated engines bound to one of the cluster's node addresses (srun clients excluded) */
  const engines = () => {
    const hosts = cluster.nodes.map((n) => n.addr.replace(/\./g, "\\.")).join("|");
    let out = "";
    try {
      out = execFileSync("pgrep", ["-a", "-f", "--", `emulate --role .*--host (${hosts})( |$)`], { encoding: "utf8" });
    } catch {
      return []; // pgrep: nothing matched
    }
    return out
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => {
        const [pid, bin] = l.trim().split(/\s+/);
        return { pid: Number(pid), bin: bin ?? "" };
      })
      .filter((p) => !/(^|\/)srun$/.test(p.bin));
  };
  const sweepDone = (sweepId: string) => sweepFinished(c, sweepId, 40_000);

  // The retry half needs the first half's killed attempt, so both are one test: no test depends on
  // another's leftovers.
  it("the restarted agent cancels its predecessor's allocation before it registers, and only its own; the controller's retry then succeeds on it", async () => {
    const t0 = Date.now();
    const dataDir = mkdtempSync(join(tmpdir(), "bf-slurm-restart-"));
    dirs.push(dataDir);
    const prefix = markPrefix(agentId, dataDir);
    // jobs of others on the same cluster, pinned to node3: another agent's, and one with our agent id
    // but another data dir (another agent of that name on this login node)
    const foreignComments = ["other-agent:abc:att-1", `${agentId}:000000000000:att-1`];
    expect(prefix).not.toBe(`${agentId}:000000000000:`);
    const foreign = foreignComments.map((comment) =>
      cluster
        .cmd("sbatch", [
          "--parsable",
          `--partition=${cluster.partition}`,
          "--nodelist=node3",
          "--ntasks=1",
          "--mem=100M",
          `--comment=${comment}`,
          `--chdir=${cluster.dir}`,
          "--output=/dev/null",
          "--wrap",
          "sleep 300",
        ])
        .trim(),
    );
    for (const id of foreign) expect(id).toMatch(/^\d+$/);
    // running before the attempt starts, so that waiting for them cannot eat into its load phase
    await poll(
      () => foreign.every((id) => jobs().find((j) => j.id === id)?.state === "RUNNING"),
      20_000,
      "the others' jobs running",
    );

    const first = startAgentProcess(dataDir);
    await until(
      async () => {
        const r = await c.api("GET", `/api/v1/nodes/${agentId}`);
        return r.body?.state === "idle" ? r.body : undefined;
      },
      20_000,
      "first agent registered",
    );

    // a load of a few seconds at --time-scale 0.02: the engines are busy when the agent dies
    const d = twoNodeDisagg(`slurm-restart-${process.pid}`, { osl: 256, promptsPerConc: 16 });
    expect(d.nodes).toBe(2);
    const created = await c.api("POST", "/api/v1/sweeps", { name: "slurm-restart", deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    sweeps.push(sweepId);
    const jobId = jobIdFor(sweepId, d.fingerprint);

    // the allocation runs, with the plan's processes as steps, and their engines are up on the nodes
    const marked = (attemptId: string) =>
      engines().filter((p) => environ(p.pid).includes(`${MARK_ENV}=${prefix}${attemptId}`));
    // the engines and steps are read in the same poll, so the ones killed below are the running ones
    const { alloc, ours, stepsBefore } = await poll(
      () => {
        const j = jobs().find((x) => x.comment.startsWith(prefix) && x.state === "RUNNING");
        if (!j) return undefined;
        const st = steps(j.id);
        const engs = marked(j.comment.slice(prefix.length));
        return st.length >= 3 && engs.length >= 3 ? { alloc: j, ours: engs, stepsBefore: st } : undefined;
      },
      30_000,
      "allocation running with steps and this attempt's engines",
    );
    const attemptId = alloc.comment.slice(prefix.length);
    expect(attemptId.startsWith(`${jobId}.`)).toBe(true);
    const tRunning = Date.now();

    killGroup(first.child.pid);
    expect(await first.exited).toBe("SIGKILL");
    await new Promise((r) => setTimeout(r, 1000));
    // nothing cleaned up after the dead agent: its allocation, steps and engines are all still there
    expect(jobs().find((j) => j.id === alloc.id)?.state).toBe("RUNNING");
    expect(steps(alloc.id)).toEqual(stepsBefore);
    const alive = new Set(engines().map((p) => p.pid));
    for (const p of ours) expect(alive.has(p.pid)).toBe(true);

    const tRestart = Date.now();
    const second = startAgentProcess(dataDir);
    const log = await until(
      () => (second.out.stderr.includes(`registered as ${agentId}`) ? second.out.stderr : undefined),
      20_000,
      "second agent registered",
    );
    const cancelled = `leftovers: cancelled Slurm job ${alloc.id} (attempt ${attemptId}) left by the previous run`;
    expect(log).toContain(cancelled);
    expect(log.indexOf(cancelled)).toBeLessThan(log.indexOf(`registered as ${agentId}`));
    // the allocation and its steps are gone from the queue, its engines from the nodes
    await poll(() => !jobs().some((j) => j.id === alloc.id), 10_000, `job ${alloc.id} gone from squeue`);
    expect(steps(alloc.id)).toEqual([]);
    await poll(
      () =>
        !engines().some(
          (p) => ours.some((o) => o.pid === p.pid) || environ(p.pid).includes(`${MARK_ENV}=${prefix}${attemptId}`),
        ),
      10_000,
      "engines of the killed attempt gone",
    );
    const tReaped = Date.now();
    // the others' jobs were not touched
    const now = jobs();
    for (const id of foreign) expect(now.find((j) => j.id === id)?.state).toBe("RUNNING");
    expect(log.match(/leftovers: cancelled Slurm job/g)).toHaveLength(1);
    for (const id of foreign) expect(log).not.toContain(`Slurm job ${id} `);
    cluster.cmd("scancel", foreign);
    console.log(
      `allocation running ${tRunning - t0} ms after the start; reaped ${tReaped - tRestart} ms after the restart`,
    );

    // the attempt failed as member-lost (the agent disconnected beyond the grace, or came back without
    // it); the partition agent is not excluded for the job, so the retry comes back to it
    const attempts = async () => {
      const r = await c.api("GET", `/api/v1/jobs/${jobId}/attempts`, undefined, TOKENS.viewer);
      return (r.body.items ?? r.body) as Array<{ attemptId: string; state: string; gang: Array<{ agentId: string }> }>;
    };
    // the retry is dispatched soon after the agent is back (controller backoff 100 ms)
    await until(async () => (await attempts()).length >= 2, 10_000, "the retry dispatched");
    const done = await sweepDone(sweepId);
    expect(done.status).toBe("succeeded");
    const list = await attempts();
    expect(list.map((a) => a.state)).toEqual(["failed", "succeeded"]);
    expect(list[0]!.attemptId).toBe(attemptId);
    for (const a of list) expect(a.gang.map((m) => m.agentId)).toEqual([agentId]);
    await poll(() => jobs().length === 0, 10_000, "queue empty");
    console.log(`retry done ${Date.now() - tReaped} ms after the reap`);
  }, 120_000);
});
