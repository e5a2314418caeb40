/**
 * One interface for every way of starting an attempt's processes (process, docker, emulated,
 * slurm). A launcher starts exactly one ProcessSpec, streams its lines, and stops exactly what it
 * started: the process group it spawned, the container it named, the job it submitted.
 */
import type { Deployment, LauncherKind, ProcessSpec } from "@benchfleet/shared";

/** a node the launcher allocated itself (Slurm): where a plan's rank runs */
export interface AllocatedNode {
  /** the scheduler's node name (srun --nodelist) */
  name: string;
  hostname: string;
  /** the address engines bind and peers reach */
  ip: string;
}

/** the plan node a process runs on */
export interface NodeRef {
  rank: number;
  hostname: string;
  ip: string;
}

export interface LaunchContext {
  attemptId: string;
  deployment: Deployment;
  vendor: "nvidia" | "amd";
  /** per-attempt scratch dir on this node (files the plan asks for are written under it) */
  attemptDir: string;
  /** added to every process's environment (the agent's leftover marker, see leftovers/marker.ts) */
  env?: Record<string, string>;
  /** the plan node of the process being started (set by the executor) */
  node?: NodeRef;
  /** for a process that is one node of an MPI job (`ProcessSpec.mpi`): every node of that job, by nodeIndex */
  mpiNodes?: NodeRef[];
  /** each complete output line of a process */
  onLine: (process: string, stream: "stdout" | "stderr", line: string) => void;
  /** a Slurm job a process submitted itself (a lab script's), as soon as it is found */
  onSlurmJob?: (process: string, jobId: string) => void;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export interface RunningProcess {
  name: string;
  /** pid of what we spawned (the process group leader; docker: the client) */
  pid: number | undefined;
  /** what stop() kills: `pgid 1234`, `container bf-…`, `slurm job 42` */
  handle: string;
  /** resolves when it exits, whoever stopped it */
  exited: Promise<ExitInfo>;
  /** set once exited */
  exit: ExitInfo | undefined;
  /** the last output lines (for failure reasons) */
  tail(): string[];
}

export interface Launcher {
  readonly kind: LauncherKind;
  /** before launch: pull images and such (prepare phase) */
  prepare?(specs: ProcessSpec[], ctx: LaunchContext, signal: AbortSignal): Promise<void>;
  /**
   * Launchers that place processes on nodes they allocate themselves (Slurm): in prepare, before the
   * plan is built, take `nodes` nodes for the attempt; the agent then runs every node of the plan.
   */
  allocate?(nodes: number, ctx: LaunchContext, signal: AbortSignal): Promise<AllocatedNode[]>;
  /** gives back what allocate took (teardown, after every process is stopped) */
  release?(ctx: LaunchContext): Promise<void>;
  /** with allocate: how to run a helper command (a GPU telemetry tool) on one allocated node */
  remoteCommand?(
    ctx: LaunchContext,
    node: NodeRef,
    name: string,
    argv: string[],
  ): { file: string; args: string[]; env?: Record<string, string> };
  start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess>;
  /** stops it and everything it spawned: SIGTERM, then SIGKILL after graceMs */
  stop(proc: RunningProcess, graceMs: number): Promise<void>;
}

export class LaunchError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "LaunchError";
  }
}

/** launchers that start one node's processes cannot start a process that is one node of an MPI job */
/**
 * A lab script (script mode) runs in the lab's container with its checkout at /workspace/ (docker
 * launcher) or under bash with stand-ins (emulated launcher); other launchers refuse it.
 */
export function refuseLabScript(spec: ProcessSpec, launcher: LauncherKind): void {
  if (spec.kind !== "lab-script") return;
  throw new LaunchError(
    `process ${spec.name} runs the lab's script ${spec.argv[1]} (script mode): the ${launcher} launcher cannot start it (use --launcher docker)`,
    false,
  );
}

export function refuseMpi(spec: ProcessSpec, launcher: LauncherKind): void {
  if (!spec.mpi) return;
  throw new LaunchError(
    `process ${spec.name} is node ${spec.mpi.nodeIndex + 1} of MPI job ${spec.mpi.job} spanning ${spec.mpi.nodes} nodes: ` +
      `the ${launcher} launcher cannot start it (run this deployment on a Slurm partition agent, --launcher slurm)`,
    false,
  );
}
