/**
 * `slurm` launcher: the agent runs on a Slurm login node and stands for a partition. For each
 * attempt it allocates the gang's nodes with sbatch, learns their names and addresses, and runs
 * every process of the plan as a job step on its node with srun (in a pyxis container when the
 * plan names an image); MPI processes spanning nodes are one step over those nodes. Teardown stops
 * the steps and cancels exactly the job id it submitted. Nodes whose step died under an attempt
 * are excluded from that deployment's next allocations (`--exclude`), as operators do by hand.
 * The argv and parsers are in slurm-args.ts.
 */
import { lookup } from "node:dns/promises";
import { mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { freePort, isMultiNodeLab, labMultiNodeSiteEnv, type ProcessSpec } from "@benchfleet/shared";
import { execa } from "execa";
import { LabSlurmRun } from "../lab-script/slurm-run.js";
import { labWorkspaceDir } from "../lab-script/workspace.js";
import { MARK_ENV } from "../leftovers/marker.js";
import { hostFilePath } from "./docker.js";
import { type EmulatedLauncherOptions, emulatedCommand } from "./emulated.js";
import type { AllocatedNode, LaunchContext, Launcher, NodeRef, RunningProcess } from "./launcher.js";
import { LaunchError, refuseLabScript } from "./launcher.js";
import { type SpawnSpec, spawnGrouped, writePlanFiles } from "./process.js";
import { killTree } from "./process-group.js";
import {
  parseSbatchJobId,
  parseScontrolNodes,
  parseSqueueJob,
  sbatchArgs,
  srunStepArgs,
  stepPrefix,
  TERMINAL_JOB_STATES,
} from "./slurm-args.js";

export interface SlurmLauncherOptions {
  partition: string;
  account?: string;
  /** request GPUs per node as GRES (`--gpus-per-node`); absent: whole nodes, no GRES request */
  gpusPerNode?: number;
  /** extra sbatch flags from the operator */
  extraArgs?: string[];
  /** `pyxis` (default): a process with an image runs in a container; `none`: bare on the node */
  container?: "pyxis" | "none";
  /** srun `--mpi` for processes spanning nodes (default pmix) */
  mpiType?: string;
  /** run the emulated engine in each step instead of the plan's argv (no GPU: tests and demos) */
  emulate?: Omit<EmulatedLauncherOptions, "host">;
  /** environment of the Slurm commands (e.g. SLURM_CONF) */
  env?: Record<string, string>;
  /** squeue poll interval while the allocation is pending (default 500 ms) */
  pollMs?: number;
  /** how long teardown waits for the cancelled allocation to end (default 120 s) */
  releaseTimeoutMs?: number;
}

interface Allocation {
  jobId: string;
  nodes: AllocatedNode[];
  /** steps by MPI job name: the nodes of one MPI job share a step */
  mpiSteps: Map<string, RunningProcess>;
  fingerprint: string;
}

/** waits; an abort rejects with the signal's reason (the attempt's cancellation) */
const sleep = (ms: number, signal?: AbortSignal) =>
  delay(ms, undefined, signal ? { signal } : undefined).catch((e) => {
    throw signal?.aborted ? signal.reason : e;
  });

/** sbatch refusals that no retry elsewhere can fix */
const PERMANENT =
  /invalid partition|invalid account|invalid generic resource|invalid qos|node count specification invalid|requested node configuration is not available|more processors requested than permitted/i;

export class SlurmLauncher implements Launcher {
  readonly kind = "slurm" as const;
  private readonly allocs = new Map<string, Allocation>();
  /** deployment fingerprint → Slurm nodes a step of it died on */
  private readonly failedNodes = new Map<string, Set<string>>();
  /** steps stopped on purpose (their end is not a node failure) */
  private readonly stopping = new WeakSet<RunningProcess>();
  /** allocations whose scancel failed at teardown */
  private readonly unreleased = new Set<string>();
  /** step → its job and step name (stop signals it through Slurm) */
  private readonly stepOf = new WeakMap<RunningProcess, { jobId: string; name: string }>();

  /** runs of multi-node lab scripts (each follows the Slurm job its script submitted) */
  private readonly labRuns = new WeakSet<LabSlurmRun>();

  constructor(private readonly o: SlurmLauncherOptions) {}

  /** Slurm nodes excluded from the deployment's next allocations */
  excludedFor(fingerprint: string): string[] {
    return [...(this.failedNodes.get(fingerprint) ?? [])].sort();
  }

  /** the job id an attempt holds (tests) */
  jobIdOf(attemptId: string): string | undefined {
    return this.allocs.get(attemptId)?.jobId;
  }

  /** a Slurm command; bounded, as Slurm's clients retry for minutes while slurmctld does not answer */
  private async slurm(bin: string, args: string[], signal?: AbortSignal) {
    return execa(bin, args, {
      env: { ...process.env, ...this.o.env },
      reject: false,
      timeout: 60_000,
      ...(signal ? { cancelSignal: signal } : {}),
    });
  }

  /** the job as squeue lists it; "gone" once Slurm no longer knows it; undefined when squeue failed */
  private async job(jobId: string, signal?: AbortSignal) {
    const q = await this.slurm("squeue", ["-h", "-j", jobId, "-o", "%T|%N|%r"], signal);
    if (q.exitCode !== 0) return /invalid job id/i.test(String(q.stderr)) ? ("gone" as const) : undefined;
    return parseSqueueJob(String(q.stdout)) ?? ("gone" as const);
  }

  private async submit(nodes: number, ctx: LaunchContext, exclude: string[]): Promise<string> {
    const t = ctx.deployment.timeouts;
    const seconds = Object.values(t).reduce((a, b) => a + b, 0);
    const args = sbatchArgs({
      attemptId: ctx.attemptId,
      partition: this.o.partition,
      nodes,
      timeMinutes: seconds / 60 + 10,
      output: join(ctx.attemptDir, "slurm-%j.out"),
      ...(this.o.account ? { account: this.o.account } : {}),
      ...(this.o.gpusPerNode ? { gpusPerNode: this.o.gpusPerNode } : {}),
      exclude,
      extraArgs: this.o.extraArgs ?? [],
      ...(ctx.env?.[MARK_ENV] ? { comment: ctx.env[MARK_ENV] } : {}),
    });
    const r = await this.slurm("sbatch", args);
    const jobId = r.exitCode === 0 ? parseSbatchJobId(String(r.stdout)) : undefined;
    if (jobId) return jobId;
    const why = `${r.stderr || r.stdout || r.shortMessage}`.trim().split("\n").pop() ?? "";
    throw new LaunchError(
      `sbatch for ${nodes} node(s) of partition ${this.o.partition} failed: ${why}`,
      !PERMANENT.test(why),
    );
  }

  async allocate(nodes: number, ctx: LaunchContext, signal: AbortSignal): Promise<AllocatedNode[]> {
    mkdirSync(ctx.attemptDir, { recursive: true });
    const fingerprint = ctx.deployment.fingerprint;
    const say = (line: string) => ctx.onLine("slurm", "stdout", line);
    const stuck = await this.retryReleases(say);
    if (stuck.length)
      throw new LaunchError(
        `allocation job(s) ${stuck.join(", ")} of earlier attempts cannot be cancelled (is slurmctld reachable?)`,
        true,
      );
    let exclude = this.excludedFor(fingerprint);
    let jobId: string;
    try {
      jobId = await this.submit(nodes, ctx, exclude);
    } catch (e) {
      // the exclusions may leave too few nodes: try once with every node again
      if (!exclude.length) throw e;
      say(`sbatch refused with --exclude=${exclude.join(",")} (${(e as Error).message}); trying without exclusions`);
      this.failedNodes.delete(fingerprint);
      exclude = [];
      jobId = await this.submit(nodes, ctx, exclude);
    }
    const alloc: Allocation = { jobId, nodes: [], mpiSteps: new Map(), fingerprint };
    this.allocs.set(ctx.attemptId, alloc);
    say(
      `submitted allocation job ${jobId}: ${nodes} node(s) of ${this.o.partition}${exclude.length ? `, excluding ${exclude.join(",")}` : ""}`,
    );
    let lastReason = "";
    for (;;) {
      const job = await this.job(jobId, signal);
      if (job === undefined) {
        await sleep(this.o.pollMs ?? 500, signal);
        continue;
      }
      if (job !== "gone" && job.state === "RUNNING" && job.nodeList) {
        alloc.nodes = await this.resolveNodes(job.nodeList, signal);
        say(`allocation job ${jobId} running on ${alloc.nodes.map((n) => `${n.name} (${n.ip})`).join(", ")}`);
        return alloc.nodes;
      }
      if (job === "gone" || TERMINAL_JOB_STATES.has(job.state))
        throw new LaunchError(
          `allocation job ${jobId} ended before it started (${job === "gone" ? "no longer listed" : job.state})`,
          true,
        );
      if (job.reason !== lastReason) {
        lastReason = job.reason;
        say(`allocation job ${jobId} ${job.state.toLowerCase()}${job.reason ? `: ${job.reason}` : ""}`);
      }
      await sleep(this.o.pollMs ?? 500, signal);
    }
  }

  private async resolveNodes(nodeList: string, signal: AbortSignal): Promise<AllocatedNode[]> {
    const h = await this.slurm("scontrol", ["show", "hostnames", nodeList], signal);
    const names = String(h.stdout)
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
    if (h.exitCode !== 0 || names.length === 0)
      throw new LaunchError(`cannot expand the node list ${nodeList}: ${h.stderr || h.shortMessage}`, true);
    const s = await this.slurm("scontrol", ["show", "node", "-o", names.join(",")], signal);
    const info = new Map(parseScontrolNodes(String(s.stdout)).map((n) => [n.name, n]));
    const out: AllocatedNode[] = [];
    for (const name of names) {
      const n = info.get(name);
      const addr = n?.addr ?? name;
      let ip = addr;
      if (!isIP(addr)) {
        try {
          ip = (await lookup(addr)).address;
        } catch {
          throw new LaunchError(`cannot resolve the address of Slurm node ${name} (${addr})`, true);
        }
      }
      out.push({ name, hostname: n?.hostname ?? name, ip });
    }
    return out;
  }

  private nodeName(alloc: Allocation, ref: NodeRef | undefined, spec: ProcessSpec): string {
    const n = ref ? alloc.nodes[ref.rank] : undefined;
    if (!n) throw new LaunchError(`process ${spec.name}: no allocated node for plan rank ${ref?.rank ?? "?"}`, false);
    return n.name;
  }

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    if (spec.kind === "lab-script" && isMultiNodeLab(ctx.deployment)) return this.startLabScript(spec, ctx);
    refuseLabScript(spec, this.kind);
    const alloc = this.allocs.get(ctx.attemptId);
    if (!alloc?.nodes.length)
      throw new LaunchError(`process ${spec.name}: the attempt holds no Slurm allocation`, false);
    if (spec.mpi) {
      const step = alloc.mpiSteps.get(spec.mpi.job);
      if (step) return this.member(step, spec);
    }
    const nodes = spec.mpi
      ? (ctx.mpiNodes ?? []).map((r) => this.nodeName(alloc, r, spec))
      : [this.nodeName(alloc, ctx.node, spec)];
    if (spec.mpi && nodes.length !== spec.mpi.nodes)
      throw new LaunchError(
        `process ${spec.name}: MPI job ${spec.mpi.job} spans ${spec.mpi.nodes} nodes, ${nodes.length} known`,
        false,
      );
    // the attempt dir is shared by every node: each bare process gets its own working dir in it
    const cwd = spec.cwd ?? join(ctx.attemptDir, "procs", spec.name);
    let run = spec;
    let env = spec.env;
    if (this.o.emulate) {
      const host = (spec.mpi ? ctx.mpiNodes?.[0] : ctx.node)?.ip;
      const c = emulatedCommand(spec, ctx, { ...this.o.emulate, host });
      // one emulated engine per MPI job: the other ranks only hold their node
      const argv = spec.mpi
        ? [
            "sh",
            "-c",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
            'if [ "${SLURM_PROCID:-0}" = 0 ]; then exec "$@"; fi; exec sleep infinity',
            "sh",
            c.file,
            ...c.args,
          ]
        : [c.file, ...c.args];
      run = { ...spec, argv, image: undefined, files: [], cwd: undefined };
      env = c.env;
    } else if (this.o.container !== "none" && spec.image) {
      for (const f of spec.files) {
        const p = hostFilePath(ctx.attemptDir, spec, f.path);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, f.content);
      }
    } else {
      mkdirSync(cwd, { recursive: true });
      writePlanFiles(spec, cwd);
    }
    const args = srunStepArgs(run, {
      jobId: alloc.jobId,
      nodes,
      ...(spec.mpi ? { mpi: { tasksPerNode: spec.mpi.tasksPerNode, type: this.o.mpiType ?? "pmix" } } : {}),
      container: this.o.emulate ? "none" : (this.o.container ?? "pyxis"),
      attemptDir: ctx.attemptDir,
      cwd: this.o.emulate ? ctx.attemptDir : cwd,
    });
    mkdirSync(ctx.attemptDir, { recursive: true });
    const proc = await spawnGrouped(
      { name: spec.name, file: "srun", args, env: { ...this.o.env, ...env }, cwd: ctx.attemptDir },
      ctx,
    );
    proc.handle = `slurm job ${alloc.jobId} step ${spec.name} on ${nodes.join(",")}`;
    this.stepOf.set(proc, { jobId: alloc.jobId, name: spec.name });
    if (spec.mpi) alloc.mpiSteps.set(spec.mpi.job, proc);
    void proc.exited.then(() => {
      if (this.stopping.has(proc)) return;
      const set = this.failedNodes.get(alloc.fingerprint) ?? new Set<string>();
      for (const n of nodes) set.add(n);
      this.failedNodes.set(alloc.fingerprint, set);
      ctx.onLine(
        "slurm",
        "stdout",
        `step ${spec.name} on ${nodes.join(",")} ended by itself: ${nodes.join(",")} excluded from this deployment's next allocations`,
      );
    });
    return proc;
  }

  /**
   * A multi-node lab script, on this login node: with the runner's site environment (partition,
   * account, workspace, log dir; lab-multinode-script.ts in shared), in the attempt's copy of the
   * checkout; emulated, with the stand-ins of lab-script/stand-in.ts on the PATH the job inherits.
   * The run follows the Slurm job the script submits (lab-script/slurm-run.ts).
   */
  private async startLabScript(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    const workspace = labWorkspaceDir(ctx.attemptDir);
    const site = labMultiNodeSiteEnv(ctx.deployment, {
      workspace,
      partition: this.o.partition,
      ...(this.o.account ? { account: this.o.account } : {}),
      user: userInfo().username,
      gpusPerNode: this.o.gpusPerNode ?? ctx.deployment.gpusPerNode,
      vendor: ctx.vendor,
    });
    const env = { ...site, ...spec.env };
    mkdirSync(env.BENCHMARK_LOGS_DIR!, { recursive: true });
    let run: SpawnSpec;
    if (this.o.emulate) {
      const port = await freePort();
      const withPort = { ...spec, ports: { http: port }, env: { ...env, PORT: String(port) } };
      const c = emulatedCommand(withPort, ctx, { ...this.o.emulate, host: "0.0.0.0" });
      run = { ...c, env: { ...this.o.env, ...c.env } };
    } else {
      run = {
        name: spec.name,
        file: "bash",
        args: [join(workspace, spec.argv[1]!)],
        env: { ...this.o.env, ...env },
        cwd: workspace,
      };
    }
    const proc = await LabSlurmRun.start(run, ctx, { slurmEnv: this.o.env ?? {}, pollMs: this.o.pollMs ?? 1000 });
    this.labRuns.add(proc);
    return proc;
  }

  /** a helper command as a step on one allocated node (the GPU telemetry tool: `nvidia-smi -lms`) */
  remoteCommand(ctx: LaunchContext, node: NodeRef, name: string, argv: string[]) {
    const alloc = this.allocs.get(ctx.attemptId);
    const n = alloc?.nodes[node.rank];
    if (!alloc || !n) throw new LaunchError(`${name}: no allocated node for plan rank ${node.rank}`, false);
    return {
      file: "srun",
      args: [...stepPrefix(alloc.jobId, name, [n.name]), "--ntasks=1", ...argv],
      env: { ...this.o.env },
    };
  }

  /** a node of an MPI job whose step already runs: it lives and dies with that step */
  private member(step: RunningProcess, spec: ProcessSpec): RunningProcess {
    return {
      name: spec.name,
      pid: undefined,
      handle: `${step.handle} (node ${spec.mpi!.nodeIndex + 1} of ${spec.mpi!.nodes})`,
      exited: step.exited,
      get exit() {
        return step.exit;
      },
      tail: () => step.tail(),
    };
  }

  /**
   * SIGTERM to the step's tasks through Slurm (srun itself turns a SIGTERM into a kill), SIGKILL
   * after the grace (`scancel` of the step), then the srun client's process group.
   */
  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    if (proc instanceof LabSlurmRun && this.labRuns.has(proc)) return proc.stop(graceMs);
    this.stopping.add(proc);
    const step = this.stepOf.get(proc);
    // a node of an MPI job stops with its step (stopped through the process that started it)
    if (!step || proc.exit) return;
    const id = await this.stepId(step.jobId, step.name);
    const wait = (ms: number) => Promise.race([proc.exited.then(() => true), sleep(ms).then(() => false)]);
    if (id) {
      await this.slurm("scancel", ["--signal=TERM", id]);
      if (await wait(graceMs)) return;
      await this.slurm("scancel", [id]);
      if (await wait(5000)) return;
    }
    if (proc.pid !== undefined) await killTree(proc.pid, 2000);
    await wait(5000);
  }

  /** `J.S` of the step of this job with this name (step names are the plan's unique process names) */
  private async stepId(jobId: string, name: string): Promise<string | undefined> {
    const r = await this.slurm("squeue", ["-h", "-s", "-j", jobId, "-o", "%i|%j"]);
    for (const line of String(r.stdout).split("\n")) {
      const [id, n] = line.trim().split("|");
      if (n === name && id && /^\d+\.\d+$/.test(id)) return id;
    }
    return undefined;
  }

  /** scancel of one job; undefined when done (or the job is gone already), else why not */
  private async cancel(jobId: string): Promise<string | undefined> {
    const r = await this.slurm("scancel", [jobId]);
    if (r.exitCode === 0 || /invalid job id|already completing or completed/i.test(String(r.stderr))) return undefined;
    return String(r.stderr).trim() || r.shortMessage;
  }

  /**
   * Cancels again the allocations whose release failed (slurmctld unreachable): before every new
   * allocation and on the agent's health checks. Returns the job ids still not cancelled.
   */
  async retryReleases(say?: (line: string) => void): Promise<string[]> {
    for (const jobId of [...this.unreleased]) {
      const why = await this.cancel(jobId);
      if (why === undefined) {
        this.unreleased.delete(jobId);
        say?.(`allocation job ${jobId} of an earlier attempt cancelled now`);
      }
    }
    return [...this.unreleased];
  }

  async release(ctx: LaunchContext): Promise<void> {
    const alloc = this.allocs.get(ctx.attemptId);
    if (!alloc) return;
    this.allocs.delete(ctx.attemptId);
    const why = await this.cancel(alloc.jobId);
    if (why !== undefined) {
      this.unreleased.add(alloc.jobId);
      throw new Error(`scancel ${alloc.jobId}: ${why} (cancelled again before the next allocation)`);
    }
    const deadline = Date.now() + (this.o.releaseTimeoutMs ?? 120_000);
    for (;;) {
      const job = await this.job(alloc.jobId);
      if (job === "gone" || (job && TERMINAL_JOB_STATES.has(job.state))) break;
      if (Date.now() > deadline)
        throw new Error(`allocation job ${alloc.jobId} still ${job?.state ?? "listed"} after scancel`);
      await sleep(200);
    }
    ctx.onLine("slurm", "stdout", `allocation job ${alloc.jobId} cancelled`);
  }
}
