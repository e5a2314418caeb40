/**
 * Fault, with real processes: a Slurm-mode agent (`benchfleet agent start --launcher slurm --lab`,
 * a child process on the login node) runs a lab multi-node script, whose own `sbatch` job (not
 * marked with the agent's comment) is running when the agent is SIGKILLed. The job outlives the
 * agent. A new agent process with the same agent id and data dir finds the job in the state file
 * its predecessor kept, cancels it before it registers, and leaves alone a job of the same name
 * that it did not record.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SlurmCluster, startSlurmCluster } from "@benchfleet/cli";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  cancelUnfinishedSweeps,
  startTestController,
  type TestController,
  TOKENS,
  until,
} from "./helpers/controller.js";
import { config, writeLlmdScripts } from "./helpers/lab-multinode-script.js";
import { killGroup, startSlurmAgentProcess } from "./helpers/slurm-agent-process.js";

describe("a Slurm-mode agent killed while its lab script's job runs", () => {
  let c: TestController;
  let cluster: SlurmCluster;
  let dir: string;
  let lab: string;
  const children: ChildProcess[] = [];
  let tries = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-slurm-lab-restart-"));
    lab = join(dir, "lab");
    writeLlmdScripts(lab);
    [c, cluster] = await Promise.all([
      startTestController(inject("redisUrl"), { config: { labDir: lab, jobAttempts: 1 } }),
      startSlurmCluster({ nodes: 3 }),
    ]);
  });
  afterEach(async () => {
    for (const ch of children.splice(0)) killGroup(ch.pid);
    if (c) await cancelUnfinishedSweeps(c);
    await cluster?.cancelAll();
  });
  afterAll(async () => {
    await Promise.all([c?.stop(), cluster?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** `id|name|state` of every job of the cluster */
  const jobs = () =>
    cluster
      .cmd("squeue", ["-h", "-o", "%i|%j|%T"])
      .split("\n")
      .map((l) => l.trim().split("|"))
      .filter((f) => f.length === 3)
      .map(([id, name, state]) => ({ id: id!, name: name!, state: state! }));

  function startAgentProcess(agentId: string, dataDir: string) {
    const p = startSlurmAgentProcess({ controllerUrl: c.url, cluster, agentId, dataDir, extra: ["--lab", lab] });
    children.push(p.child);
    return p;
  }

  it("the restarted agent cancels the job the script submitted, and only that one", async () => {
    // a retried test gets its own agent id and data dir (the id is bound to its first data dir)
    const agentId = `login-lab-restart-${process.pid}-${++tries}`;
    const dataDir = join(dir, `agent-${tries}`);
    const first = startAgentProcess(agentId, dataDir);
    await until(
      async () => ((await c.api("GET", `/api/v1/nodes/${agentId}`)).body?.state === "idle" ? true : undefined),
      20_000,
      "first agent registered",
    );

    const key = "llama3-8b-fp8-h200-llmd-vllm";
    const created = await c.api(
      "POST",
      "/api/v1/sweeps",
      // the job hangs loading weights: it is still running when the agent dies
      { name: key, plan: { configs: [{ file: "master.yaml", text: config(key, ["BF_TEST_HANG=1"]) }] } },
      TOKENS.operator,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    // the script's job runs under the runner's name, without the agent's comment
    const job = await until(
      async () => {
        const j = jobs().find((x) => x.state === "RUNNING");
        if (!j) await new Promise((r) => setTimeout(r, 200));
        return j;
      },
      60_000,
      "the lab script's job running",
    );
    // the state file records it once the agent has found it
    await until(
      async () => {
        let text = "";
        try {
          text = execFileSync("cat", [join(dataDir, "running-processes.json")], { encoding: "utf8" });
        } catch {
          /* not written yet */
        }
        if (!text.includes(`"${job.id}"`)) await new Promise((r) => setTimeout(r, 200));
        return text.includes(`"${job.id}"`) || undefined;
      },
      20_000,
      `job ${job.id} recorded in the state file`,
    );
    // a job of the same name that this agent did not submit
    const other = cluster
      .cmd("sbatch", [
        "--parsable",
        `--partition=${cluster.partition}`,
        `--job-name=${job.name}`,
        "--ntasks=1",
        "--mem=100M",
        `--chdir=${cluster.dir}`,
        "--output=/dev/null",
        "--wrap",
        "sleep 300",
      ])
      .trim();
    expect(other).toMatch(/^\d+$/);

    killGroup(first.child.pid);
    expect(await first.exited).toBe("SIGKILL");
    await new Promise((r) => setTimeout(r, 1000));
    expect(jobs().find((j) => j.id === job.id)?.state).toBe("RUNNING");

    const second = startAgentProcess(agentId, dataDir);
    const log = await until(
      () => (second.out.stderr.includes(`registered as ${agentId}`) ? second.out.stderr : undefined),
      30_000,
      "second agent registered",
    );
    const cancelled = new RegExp(`leftovers: cancelled Slurm job ${job.id} \\(lab-script[^)]* of attempt [^)]+\\)`);
    expect(log).toMatch(cancelled);
    expect(log.search(cancelled)).toBeLessThan(log.indexOf(`registered as ${agentId}`));
    await until(
      async () => {
        const gone = !jobs().some((j) => j.id === job.id);
        if (!gone) await new Promise((r) => setTimeout(r, 200));
        return gone || undefined;
      },
      15_000,
      `job ${job.id} gone from squeue`,
    );
    expect(jobs().find((j) => j.id === other)?.state).toMatch(/RUNNING|PENDING/);
    expect(log).not.toContain(`Slurm job ${other} `);
  }, 150_000);
});
