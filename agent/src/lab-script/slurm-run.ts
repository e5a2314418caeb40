/**
 * A lab multi-node script on the Slurm login node, as the lab's runner launchers run one
 * (`runners/launch_gb200-nv.sh`, `launch_mi355x-amds.sh`, `launch_b200-dgxc.sh`): the script runs
 * under bash and submits its own Slurm job. The job's id is what the script prints (the llm-d and
 * AMD submitters: a line that is only the id, or sbatch's `Submitted batch job N`), or, for a
 * script that allocates and blocks (TileRT's `salloc --job-name=$RUNNER_NAME`), the job squeue
 * lists under `$RUNNER_NAME` while it runs. After the script, its job's log
 * (`$BENCHMARK_LOGS_DIR/slurm_job-<id>.out` and `.err`) is streamed as process `lab-job` until the
 * job leaves the queue (`stream_slurm_job_log`). The run ends as the job did: a job that ends in
 * any state but COMPLETED is a failed run, its log's last lines in the tail. An allocation the
 * script held by name without printing it is cancelled when the script ends (the lab's workflow
 * cancels the jobs named after its runner). Stopping the run cancels exactly the jobs it found and
 * the script's process group.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import type { ExitInfo, LaunchContext, RunningProcess } from "../launchers/launcher.js";
import { type SpawnSpec, spawnGrouped } from "../launchers/process.js";
import { killTree } from "../launchers/process-group.js";
import { parseSqueueJob, TERMINAL_JOB_STATES } from "../launchers/slurm-args.js";
import { LineSplitter } from "../telemetry/line-splitter.js";

export interface LabSlurmRunOptions {
  /** environment of the Slurm commands (SLURM_CONF) */
  slurmEnv: Record<string, string>;
  /** squeue poll interval (default 1 s) */
  pollMs?: number;
}

/** the job ids a script's stdout names: a line that is only an id, or sbatch's own line */
export function jobIdsInOutput(lines: readonly string[]): string[] {
  const ids: string[] = [];
  for (const l of lines) {
    const m = /^\s*(\d+)\s*$/.exec(l) ?? /Submitted batch job (\d+)/.exec(l);
    if (m && !ids.includes(m[1]!)) ids.push(m[1]!);
  }
  return ids;
}

/** how a job ended, from squeue's state (or sacct's once squeue has forgotten it); undefined: not known */
type JobEnd = { state: string } | undefined;

const TAIL = 50;

/** the lines a file grew by since the last read */
class FileFollower {
  private offset = 0;
  private readonly split = new LineSplitter();
  constructor(readonly path: string) {}
  read(): string[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size <= this.offset) return [];
    const fd = openSync(this.path, "r");
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      return this.split.push(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  flush(): string[] {
    return [...this.read(), ...this.split.flush()];
  }
}

export class LabSlurmRun implements RunningProcess {
  readonly name: string;
  readonly pid: number | undefined;
  handle: string;
  exit: ExitInfo | undefined;
  readonly exited: Promise<ExitInfo>;
  private readonly jobs: string[] = [];
  private readonly lines: string[] = [];
  private stopped = false;

  private constructor(
    private readonly script: RunningProcess,
    private readonly s: SpawnSpec,
    private readonly ctx: LaunchContext,
    private readonly o: LabSlurmRunOptions,
    /** the script's stdout lines, as they come */
    private readonly stdout: string[],
  ) {
    this.name = s.name;
    this.pid = script.pid;
    this.handle = `lab script ${script.handle}`;
    this.exited = this.follow().then((info) => {
      this.exit = info;
      return info;
    });
  }

  static async start(s: SpawnSpec, ctx: LaunchContext, o: LabSlurmRunOptions): Promise<LabSlurmRun> {
    const out: string[] = [];
    const script = await spawnGrouped(s, {
      ...ctx,
      onLine: (p, stream, line) => {
        if (stream === "stdout") out.push(line);
        ctx.onLine(p, stream, line);
      },
    });
    return new LabSlurmRun(script, s, ctx, o, out);
  }

  /** the Slurm jobs of this run found so far */
  jobIds(): string[] {
    return [...this.jobs];
  }

  tail(): string[] {
    return [...this.script.tail(), ...this.lines].slice(-TAIL);
  }

  private say(line: string) {
    this.lines.push(line);
    if (this.lines.length > TAIL) this.lines.shift();
    this.ctx.onLine("slurm", "stdout", line);
  }

  private slurm(bin: string, args: string[]) {
    return execa(bin, args, { env: { ...process.env, ...this.o.slurmEnv }, reject: false, timeout: 60_000 });
  }

  private addJobs(ids: string[], how: string) {
    for (const id of ids) {
      if (this.jobs.includes(id)) continue;
      this.jobs.push(id);
      this.ctx.onSlurmJob?.(this.name, id);
      this.handle = `lab script ${this.script.handle}, slurm job ${this.jobs.join(",")}`;
      this.say(`the lab script's Slurm job ${id} (${how})`);
    }
  }

  /** the jobs squeue lists for this user under the script's RUNNER_NAME (an allocation named after the runner) */
  private async jobsByName(): Promise<string[]> {
    const name = this.s.env.RUNNER_NAME;
    if (!name) return [];
    const r = await this.slurm("squeue", ["-h", "-u", userInfo().username, "--name", name, "-o", "%A"]);
    return r.exitCode === 0 ? jobIdsInOutput(String(r.stdout).split("\n")) : [];
  }

  /**
   * The job's state: as squeue lists it (every state, for the minutes slurmctld keeps an ended
   * job), else as scontrol or sacct recorded it; "gone" when none knows it; undefined when squeue
   * failed.
   */
  private async state(id: string): Promise<{ state: string } | "gone" | undefined> {
    const q = await this.slurm("squeue", ["-h", "-t", "all", "-j", id, "-o", "%T|%N|%r"]);
    if (q.exitCode === 0) {
      const job = parseSqueueJob(String(q.stdout));
      if (job) return { state: job.state };
    } else if (!/invalid job id/i.test(String(q.stderr))) return undefined;
    const c = await this.slurm("scontrol", ["show", "job", "-o", id]);
    const held = /\bJobState=(\S+)/.exec(String(c.stdout));
    if (c.exitCode === 0 && held) return { state: held[1]! };
    const a = await this.slurm("sacct", ["-n", "-X", "-P", "-j", id, "-o", "State"]);
    const state = String(a.stdout).trim().split(/\s+/)[0];
    return a.exitCode === 0 && state ? { state } : "gone";
  }

  private async follow(): Promise<ExitInfo> {
    const poll = this.o.pollMs ?? 1000;
    // while the script runs: an allocation it holds under the runner's name (it may block on it)
    while (!this.script.exit && !this.stopped) {
      this.addJobs(await this.jobsByName(), `squeue --name ${this.s.env.RUNNER_NAME}`);
      await Promise.race([this.script.exited, delay(poll)]);
    }
    const scriptExit = await this.script.exited;
    // a job id the script printed, if squeue or sacct knows it (a number printed for another reason is not a job)
    const printed: string[] = [];
    for (const id of jobIdsInOutput(this.stdout)) {
      if ((await this.state(id)) === "gone") continue;
      printed.push(id);
      // a job squeue already listed under the runner's name is the one the script handed over
      if (this.jobs.includes(id)) this.say(`the lab script's Slurm job ${id} (printed by the script)`);
      else this.addJobs([id], "printed by the script");
    }
    if (this.stopped) return scriptExit;
    if (scriptExit.code !== 0) {
      await this.cancelJobs();
      return scriptExit;
    }
    // an allocation the script held and did not hand over is done with when the script is: the
    // lab's workflow cancels the jobs named after its runner once the run is over
    const held = this.jobs.filter((id) => !printed.includes(id));
    for (const id of held) {
      const r = await this.slurm("scancel", [id]);
      this.say(
        r.exitCode === 0
          ? `Slurm job ${id} released: the script that held it has ended`
          : `scancel ${id}: ${String(r.stderr).trim() || r.shortMessage}`,
      );
    }
    const ends = await Promise.all(printed.map((id) => this.followJob(id, poll)));
    const bad = ends
      .map((end, i) => ({ id: printed[i]!, end }))
      .filter((j) => j.end && j.end.state !== "COMPLETED" && !j.end.state.startsWith("COMPLETING"));
    if (bad.length === 0) return scriptExit;
    for (const j of bad) this.say(`Slurm job ${j.id} ended ${j.end!.state}`);
    return { code: 1, signal: null };
  }

  /** streams the job's log until the job has left the queue; returns how it ended */
  private async followJob(id: string, poll: number): Promise<JobEnd> {
    const dir = this.s.env.BENCHMARK_LOGS_DIR;
    const files = dir
      ? (["stdout", "stderr"] as const).map((stream) => ({
          stream,
          f: new FileFollower(join(dir, `slurm_job-${id}.${stream === "stdout" ? "out" : "err"}`)),
        }))
      : [];
    const pump = (flush: boolean) => {
      for (const { stream, f } of files)
        for (const line of flush ? f.flush() : f.read()) {
          this.lines.push(line);
          if (this.lines.length > TAIL) this.lines.shift();
          this.ctx.onLine("lab-job", stream, line);
        }
    };
    let last = "";
    for (;;) {
      pump(false);
      const s = await this.state(id);
      if (s === "gone") {
        pump(true);
        return undefined;
      }
      if (s && s.state !== last) {
        last = s.state;
        this.say(`Slurm job ${id} ${s.state.toLowerCase()}`);
      }
      if (s && TERMINAL_JOB_STATES.has(s.state)) {
        pump(true);
        return s;
      }
      if (this.stopped) return s;
      await delay(poll);
    }
  }

  private async cancelJobs(): Promise<void> {
    for (const id of this.jobs) {
      const r = await this.slurm("scancel", [id]);
      if (r.exitCode === 0) this.say(`scancel ${id}`);
      else this.say(`scancel ${id}: ${String(r.stderr).trim() || r.shortMessage}`);
    }
  }

  /** cancels the jobs found and stops the script's process group */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.addJobs(await this.jobsByName(), `squeue --name ${this.s.env.RUNNER_NAME}`);
    if (!this.exit) await this.cancelJobs();
    if (this.script.pid !== undefined && !this.script.exit) await killTree(this.script.pid, graceMs);
    await Promise.race([this.exited, delay(10_000)]);
  }
}
