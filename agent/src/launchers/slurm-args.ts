/**
 * The Slurm commands of the `slurm` launcher, as argv, and parsers of what Slurm prints. Pure.
 *
 * An attempt holds one allocation: `sbatch --wrap 'exec sleep infinity'` for N whole nodes (the
 * batch step only keeps the allocation alive), named `bf-<attempt>` and limited to the attempt's
 * phase timeouts, so a lost agent's allocation still ends. Every process of the plan is then one job
 * step on its node (`srun --jobid J --nodes 1 --nodelist nodeK --overlap`), or one step over the
 * nodes of an MPI job (`--mpi pmix --ntasks-per-node T`); with an image, pyxis runs it in a container
 * (`--container-image`, as the reference lab and srt-slurm do). Teardown cancels that job id only.
 */
import { isAbsolute, posix } from "node:path";
import type { ProcessSpec } from "@benchfleet/shared";
import { hostFilePath } from "./docker.js";

/** job name of an attempt's allocation (also how the reaper recognises its own jobs) */
export function allocationJobName(attemptId: string): string {
  return `bf-${attemptId}`.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 128);
}

export interface AllocationRequest {
  attemptId: string;
  partition: string;
  nodes: number;
  /** the allocation's time limit (Slurm ends it even if the agent is gone) */
  timeMinutes: number;
  /** where the batch step's own output goes (on a filesystem the nodes share) */
  output: string;
  account?: string;
  /** request this many GPUs per node as GRES (`--gpus-per-node`); absent: whole nodes only */
  gpusPerNode?: number;
  /** nodes not to use (failed in an earlier attempt) */
  exclude: string[];
  /**
   * operator's extra sbatch flags (`--qos=high`, `--reservation=bench`, `--constraint=…`); `{nodes}`
   * stands for the gang's node count (`--segment={nodes}` keeps a gang inside one NVL72 block)
   */
  extraArgs: string[];
  /** the agent's marker (leftovers/marker.ts): a restarted agent finds and cancels its own jobs by it */
  comment?: string;
}

export function sbatchArgs(r: AllocationRequest): string[] {
  const a = [
    "--parsable",
    `--job-name=${allocationJobName(r.attemptId)}`,
    `--partition=${r.partition}`,
    `--nodes=${r.nodes}`,
    "--exclusive",
    `--time=${Math.max(1, Math.ceil(r.timeMinutes))}`,
    `--output=${r.output}`,
  ];
  if (r.account) a.push(`--account=${r.account}`);
  if (r.gpusPerNode) a.push(`--gpus-per-node=${r.gpusPerNode}`);
  if (r.exclude.length) a.push(`--exclude=${[...r.exclude].sort().join(",")}`);
  if (r.comment) a.push(`--comment=${r.comment}`);
  a.push(...r.extraArgs.map((x) => x.replaceAll("{nodes}", String(r.nodes))), "--wrap", "exec sleep infinity");
  return a;
}

/** `nvcr.io/nvidia/x:tag` → `nvcr.io#nvidia/x:tag` (enroot's form for an image with a registry host) */
export function enrootImage(image: string): string {
  if (image.includes("#") || image.startsWith("/") || image.includes("://")) return image;
  const slash = image.indexOf("/");
  if (slash < 0) return image;
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost"
    ? `${first}#${image.slice(slash + 1)}`
    : image;
}

export interface StepOptions {
  jobId: string;
  /** Slurm node names the step runs on (one unless MPI) */
  nodes: string[];
  /** MPI: ranks per node and the MPI plugin (`pmix`) */
  mpi?: { tasksPerNode: number; type: string };
  /** run `spec.image` in a pyxis container; `none`: run argv bare on the node (image ignored) */
  container: "pyxis" | "none";
  /** per-attempt dir the plan files are written under (shared with the nodes) */
  attemptDir: string;
  /** working dir of a bare step */
  cwd: string;
}

/** the srun flags of every step of an allocation: named, on these nodes, sharing them with the other steps */
export function stepPrefix(jobId: string, name: string, nodes: string[]): string[] {
  return [
    `--jobid=${jobId}`,
    `--job-name=${name}`,
    `--nodes=${nodes.length}`,
    `--nodelist=${nodes.join(",")}`,
    "--overlap",
    "--kill-on-bad-exit=1",
    // the environment (including secrets) travels in srun's own environment, never in argv
    "--export=ALL",
  ];
}

/** the `srun` argv (without the binary) that starts one process of the plan as a job step */
export function srunStepArgs(spec: ProcessSpec, o: StepOptions): string[] {
  const a = stepPrefix(o.jobId, spec.name, o.nodes);
  if (o.mpi) a.push(`--ntasks-per-node=${o.mpi.tasksPerNode}`, `--mpi=${o.mpi.type}`);
  else a.push("--ntasks=1");
  if (o.container === "pyxis" && spec.image) {
    a.push(`--container-image=${enrootImage(spec.image)}`);
    const mounts = spec.mounts.map((m) => `${m.host}:${m.container}${m.readOnly ? ":ro" : ""}`);
    for (const f of spec.files) {
      const inContainer = isAbsolute(f.path) ? f.path : posix.join(spec.cwd ?? "/", f.path);
      mounts.push(`${hostFilePath(o.attemptDir, spec, f.path)}:${inContainer}:ro`);
    }
    if (mounts.length) a.push(`--container-mounts=${mounts.join(",")}`);
    if (spec.cwd) a.push(`--container-workdir=${spec.cwd}`);
    a.push("--no-container-mount-home");
  } else {
    a.push(`--chdir=${o.cwd}`);
  }
  // Slurm sets the step's visible devices from its GRES binding; the plan's own split of a node's
  // GPUs between processes (prefill on 0-3, decode on 4-7) is applied after that
  const pinned = DEVICE_VARS.filter((k) => spec.env[k] !== undefined).map((k) => `${k}=${spec.env[k]}`);
  if (pinned.length) a.push("env", ...pinned);
  a.push(...spec.argv);
  return a;
}

/** the environment variables that select a process's GPUs */
const DEVICE_VARS = ["CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES"] as const;

// ---------- parsers ----------

/** job states after which the allocation is gone */
export const TERMINAL_JOB_STATES = new Set([
  "BOOT_FAIL",
  "CANCELLED",
  "COMPLETED",
  "DEADLINE",
  "FAILED",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "PREEMPTED",
  "TIMEOUT",
]);

/** `squeue -h -j J -o '%T|%N|%r'` → state, node list, pending reason; undefined when the job is not listed */
export function parseSqueueJob(out: string): { state: string; nodeList: string; reason: string } | undefined {
  const line = out.split("\n").find((l) => l.trim());
  if (!line) return undefined;
  const [state = "", nodeList = "", reason = ""] = line.trim().split("|");
  return { state, nodeList: nodeList === "(null)" ? "" : nodeList, reason: reason === "None" ? "" : reason };
}

/** `sbatch --parsable` prints `jobid` or `jobid;cluster` */
export function parseSbatchJobId(out: string): string | undefined {
  const m = /^(\d+)(;\S+)?\s*$/m.exec(out.trim());
  return m?.[1];
}

export interface SlurmNodeInfo {
  name: string;
  addr: string;
  hostname: string;
  /** GPUs from its Gres (`gpu:h100:8`); 0 when none is configured */
  gpus: number;
  state: string;
}

/** GPUs in a Gres string: `gpu:8`, `gpu:h100:8(S:0-1)`, `gpu:a:4,gpu:b:4` (summed); `(null)` → 0 */
export function gpusOfGres(gres: string): number {
  let n = 0;
  for (const part of gres.split(/,(?![^(]*\))/)) {
    const m = /^gpu(?::[^:(]+)?:(\d+)/.exec(part.trim());
    if (m) n += Number(m[1]);
  }
  return n;
}

/** `scontrol show node -o NAMES`: one `Key=Value …` line per node */
export function parseScontrolNodes(out: string): SlurmNodeInfo[] {
  const nodes: SlurmNodeInfo[] = [];
  for (const line of out.split("\n")) {
    if (!line.startsWith("NodeName=")) continue;
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1] ?? "";
    const name = field("NodeName");
    nodes.push({
      name,
      addr: field("NodeAddr") || name,
      hostname: field("NodeHostName") || name,
      gpus: gpusOfGres(field("Gres")),
      state: field("State"),
    });
  }
  return nodes;
}

/** `sinfo -h -N -p P -o '%N|%G|%T'`: one line per node (a node listed twice is counted once) */
export function parseSinfoNodes(out: string): Array<{ name: string; gpus: number; state: string }> {
  const seen = new Map<string, { name: string; gpus: number; state: string }>();
  for (const line of out.split("\n")) {
    if (!line.trim()) continue;
    const [name = "", gres = "", state = ""] = line.trim().split("|");
    if (!seen.has(name)) seen.set(name, { name, gpus: gpusOfGres(gres), state });
  }
  return [...seen.values()];
}

/** node states in which a node can take no job now (`sinfo %T`, with `*`/`~`/`#` suffixes stripped) */
export function nodeUnusable(state: string): boolean {
  return /^(down|drain|drained|draining|fail|failing|future|inval|maint|not_responding|power_down|powered_down|unknown)/i.test(
    state.replace(/[*~#!%$@^-]+$/, ""),
  );
}

/** `squeue -h -o '%i|%k'` (job id, comment): the jobs whose comment carries this agent's marker prefix */
export function markedJobs(out: string, prefix: string): Array<{ jobId: string; attemptId: string }> {
  const jobs: Array<{ jobId: string; attemptId: string }> = [];
  for (const line of out.split("\n")) {
    const bar = line.indexOf("|");
    if (bar < 0) continue;
    const jobId = line.slice(0, bar).trim();
    const comment = line.slice(bar + 1).trim();
    if (/^\d+$/.test(jobId) && comment.startsWith(prefix))
      jobs.push({ jobId, attemptId: comment.slice(prefix.length) });
  }
  return jobs;
}
