/**
 * A Launcher wrapper that makes every engine process findable after the agent dies: each process
 * gets the agent's env marker, and is recorded in the state file (process group with its leader's
 * start time, container, ports) as soon as it starts, and the Slurm jobs it submits as they are
 * found; its entry is dropped once the attempt has stopped it (kept when the group outlived the
 * stop, so the next start reaps it).
 */
import type { LauncherKind, ProcessSpec } from "@benchfleet/shared";
import type { AllocatedNode, LaunchContext, Launcher, RunningProcess } from "../launchers/launcher.js";
import { MARK_ENV, markValue } from "./marker.js";
import { groupMembers, procIdentity } from "./proc-identity.js";
import type { LeftoverEntry, LeftoverStore } from "./state-file.js";

export interface RecordingOptions {
  store: LeftoverStore;
  /** the agent's marker prefix (markPrefix) */
  prefix: string;
  /** the docker CLI, when the wrapped launcher is docker's */
  dockerBinary?: string;
}

export class RecordingLauncher implements Launcher {
  readonly kind: LauncherKind;
  private readonly entries = new Map<RunningProcess, LeftoverEntry>();
  /** present when the wrapped launcher allocates nodes (Slurm: its jobs carry the marker as their comment) */
  readonly allocate?: (nodes: number, ctx: LaunchContext, signal: AbortSignal) => Promise<AllocatedNode[]>;
  readonly release?: (ctx: LaunchContext) => Promise<void>;
  readonly remoteCommand?: Launcher["remoteCommand"];

  constructor(
    private readonly inner: Launcher,
    private readonly o: RecordingOptions,
  ) {
    this.kind = inner.kind;
    if (inner.allocate) {
      const allocate = inner.allocate.bind(inner);
      this.allocate = (nodes, ctx, signal) => allocate(nodes, this.withMark(ctx), signal);
    }
    if (inner.release) {
      const release = inner.release.bind(inner);
      this.release = (ctx) => release(this.withMark(ctx));
    }
    if (inner.remoteCommand) this.remoteCommand = inner.remoteCommand.bind(inner);
  }

  private withMark(ctx: LaunchContext): LaunchContext {
    return { ...ctx, env: { ...ctx.env, [MARK_ENV]: markValue(this.o.prefix, ctx.attemptId) } };
  }

  async prepare(specs: ProcessSpec[], ctx: LaunchContext, signal: AbortSignal): Promise<void> {
    await this.inner.prepare?.(specs, this.withMark(ctx), signal);
  }

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    const jobs: string[] = [];
    let recorded: LeftoverEntry | undefined;
    const onSlurmJob = (process: string, jobId: string) => {
      ctx.onSlurmJob?.(process, jobId);
      if (jobs.includes(jobId)) return;
      jobs.push(jobId);
      if (recorded) this.o.store.changed(recorded);
    };
    const proc = await this.inner.start(spec, { ...this.withMark(ctx), onSlurmJob });
    const leader = proc.pid !== undefined ? procIdentity(proc.pid) : undefined;
    const container = /^container (.+)$/.exec(proc.handle)?.[1];
    const entry: LeftoverEntry = {
      attemptId: ctx.attemptId,
      process: spec.name,
      ...(leader && leader.state !== "Z" && leader.pgid === leader.pid
        ? { group: { pgid: leader.pid, startTicks: leader.startTicks } }
        : {}),
      ...(container ? { container: { name: container, binary: this.o.dockerBinary ?? "docker" } } : {}),
      ports: [...new Set(Object.values(spec.ports))],
      slurmJobs: jobs,
      startedAt: new Date().toISOString(),
    };
    if (entry.group || entry.container || jobs.length > 0) {
      recorded = entry;
      this.o.store.add(entry);
      this.entries.set(proc, entry);
    }
    return proc;
  }

  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    await this.inner.stop(proc, graceMs);
    const entry = this.entries.get(proc);
    if (!entry) return;
    this.entries.delete(proc);
    if (entry.group && groupMembers(entry.group.pgid).length > 0) return;
    this.o.store.remove((e) => e === entry);
  }
}
