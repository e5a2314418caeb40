/**
 * Reaping at agent start, before it registers or claims work: reads the state file its previous
 * incarnation left, finds the processes carrying its env marker, SIGTERMs every verified target,
 * SIGKILLs what outlives the grace, removes recorded containers with `docker rm --force`, cancels
 * the Slurm jobs a lab script submitted (`scancel`, only a job squeue lists for this user), logs one
 * line per thing, and keeps in the state file only what could not be reaped (retried next start).
 */
import { userInfo } from "node:os";
import { execa } from "execa";
import { dockerRemoveArgs } from "../launchers/docker.js";
import { markedAttempt } from "./marker.js";
import {
  allProcesses,
  groupMembers,
  isSameLiveProcess,
  type ProcIdentity,
  procEnviron,
  procIdentity,
} from "./proc-identity.js";
import { planReap, type ReapTarget } from "./reap-plan.js";
import type { LeftoverEntry, LeftoverStore } from "./state-file.js";

export interface ReapFailure {
  what: string;
  why: string;
  /** the processes that survived (re-checked by preflight); empty for a container */
  pids: Array<{ pid: number; startTicks: string }>;
}

export interface ReapReport {
  /** one line per process group, process or container stopped */
  reaped: string[];
  /** recorded things not acted on: already gone, recycled pid, another boot, unreadable file */
  notes: string[];
  failures: ReapFailure[];
  /** ports the previous incarnation's engines held */
  ports: number[];
}

export interface ReapOptions {
  store: LeftoverStore;
  /** this agent's env marker prefix (markPrefix) */
  prefix: string;
  boot: string | undefined;
  /** SIGTERM → SIGKILL grace (default 10 s) */
  graceMs?: number;
  /** environment of the Slurm commands (SLURM_CONF) for recorded Slurm jobs */
  slurmEnv?: Record<string, string>;
  log: (line: string) => void;
}

type ProcTarget = Extract<ReapTarget, { kind: "group" | "pid" }>;

const describe = (t: ProcTarget) => (t.kind === "group" ? `process group ${t.pgid}` : `pid ${t.pid}`);

/** the live processes a target still stands for */
function survivors(t: ProcTarget): ProcIdentity[] {
  if (t.kind === "group") return groupMembers(t.pgid);
  const now = procIdentity(t.pid);
  return now && isSameLiveProcess({ pid: t.pid, startTicks: t.startTicks }, now) ? [now] : [];
}

/** signals a target; returns the errno when the kernel refused (ESRCH: gone, not an error) */
function signal(t: ProcTarget, sig: NodeJS.Signals): string | undefined {
  if (survivors(t).length === 0) return undefined;
  try {
    process.kill(t.kind === "group" ? -t.pgid : t.pid, sig);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return code === "ESRCH" ? undefined : code;
  }
}

async function waitGone(targets: ProcTarget[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (targets.some((t) => survivors(t).length > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
}

function markedProcesses(prefix: string): Array<{ proc: ProcIdentity; attemptId: string }> {
  const out: Array<{ proc: ProcIdentity; attemptId: string }> = [];
  for (const proc of allProcesses()) {
    if (proc.pid === process.pid) continue;
    const env = procEnviron(proc.pid);
    const attemptId = env && markedAttempt(env, prefix);
    if (attemptId !== undefined) out.push({ proc, attemptId });
  }
  return out;
}

async function stopProcesses(targets: ProcTarget[], graceMs: number, r: ReapReport, keep: Set<LeftoverEntry>) {
  if (targets.length === 0) return;
  const refused = new Map<ProcTarget, string>();
  for (const t of targets) {
    const err = signal(t, "SIGTERM");
    if (err) refused.set(t, err);
  }
  // a refused signal (EPERM) will be refused again: neither waited for nor SIGKILLed
  await waitGone(
    targets.filter((t) => !refused.has(t)),
    graceMs,
  );
  const killed = new Set<ProcTarget>();
  for (const t of targets) {
    if (refused.has(t) || survivors(t).length === 0) continue;
    killed.add(t);
    const err = signal(t, "SIGKILL");
    if (err) refused.set(t, err);
  }
  if (killed.size) await waitGone([...killed], 5000);
  for (const t of targets) {
    const left = survivors(t);
    if (left.length === 0) {
      r.reaped.push(
        `stopped ${describe(t)} (${t.label}) with ${killed.has(t) ? `SIGKILL after ${graceMs} ms` : "SIGTERM"}`,
      );
      continue;
    }
    const why = refused.get(t) ?? "still running after SIGKILL";
    r.failures.push({
      what: `${describe(t)} (${t.label})`,
      why: why === "EPERM" ? "EPERM: not permitted to signal it (another user's process?)" : why,
      pids: left.map((p) => ({ pid: p.pid, startTicks: p.startTicks })),
    });
    if (t.entry) keep.add(t.entry);
  }
}

async function removeContainer(t: Extract<ReapTarget, { kind: "container" }>, r: ReapReport, keep: Set<LeftoverEntry>) {
  const res = await execa(t.binary, dockerRemoveArgs(t.name), { reject: false, timeout: 60_000 });
  const err = String(res.stderr ?? "").trim();
  if (res.exitCode === 0) {
    r.reaped.push(`removed container ${t.name} (${t.label})`);
  } else if (/no such container/i.test(err)) {
    r.notes.push(`container ${t.name} (${t.label}) already gone`);
  } else {
    const why = err.split("\n").pop() || res.shortMessage || `exit code ${res.exitCode}`;
    r.failures.push({ what: `container ${t.name} (${t.label})`, why: `${t.binary} rm failed: ${why}`, pids: [] });
    keep.add(t.entry);
  }
}

async function cancelSlurmJob(
  t: Extract<ReapTarget, { kind: "slurm-job" }>,
  env: Record<string, string> | undefined,
  r: ReapReport,
  keep: Set<LeftoverEntry>,
) {
  const slurm = (bin: string, args: string[]) =>
    execa(bin, args, { env: { ...process.env, ...env }, reject: false, timeout: 60_000 });
  const what = `Slurm job ${t.jobId} (${t.label})`;
  const q = await slurm("squeue", ["-h", "-j", t.jobId, "-u", userInfo().username, "-o", "%A"]);
  if (q.exitCode !== 0 && !/invalid job id/i.test(String(q.stderr))) {
    const why = String(q.stderr || q.shortMessage)
      .trim()
      .split("\n")
      .pop();
    r.failures.push({ what, why: `squeue failed: ${why}`, pids: [] });
    keep.add(t.entry);
    return;
  }
  if (
    q.exitCode !== 0 ||
    !String(q.stdout)
      .split("\n")
      .some((l) => l.trim() === t.jobId)
  ) {
    r.notes.push(`${what} already ended`);
    return;
  }
  const c = await slurm("scancel", [t.jobId]);
  if (c.exitCode === 0) r.reaped.push(`cancelled ${what}`);
  else {
    r.failures.push({ what, why: `scancel failed: ${String(c.stderr).trim() || c.shortMessage}`, pids: [] });
    keep.add(t.entry);
  }
}

export async function reapLeftovers(o: ReapOptions): Promise<ReapReport> {
  const r: ReapReport = { reaped: [], notes: [], failures: [], ports: [] };
  const read = o.store.read();
  let entries: LeftoverEntry[] = [];
  let recordedBoot: string | undefined;
  if (read?.ok) {
    entries = read.state.entries;
    recordedBoot = read.state.bootId;
  } else if (read) {
    let aside = "";
    try {
      aside = `; moved to ${o.store.setAside()}`;
    } catch (e) {
      aside = `; cannot move it aside (${(e as Error).message})`;
    }
    r.notes.push(`ignored the state file: ${read.error}${aside}`);
  }
  const plan = planReap({
    entries,
    recordedBoot,
    currentBoot: o.boot,
    identity: procIdentity,
    marked: markedProcesses(o.prefix),
    selfPid: process.pid,
  });
  r.notes.push(...plan.notes);
  r.ports = plan.ports;
  const keep = new Set<LeftoverEntry>();
  // Slurm first: a job's own processes (and the env marker they inherited) end with the job
  for (const t of plan.targets) if (t.kind === "slurm-job") await cancelSlurmJob(t, o.slurmEnv, r, keep);
  const procs = plan.targets.filter((t): t is ProcTarget => t.kind === "group" || t.kind === "pid");
  await stopProcesses(procs, o.graceMs ?? 10_000, r, keep);
  for (const t of plan.targets) if (t.kind === "container") await removeContainer(t, r, keep);
  o.store.replace([...keep]);
  for (const l of r.reaped) o.log(`leftovers: ${l}`);
  for (const l of r.notes) o.log(`leftovers: ${l}`);
  for (const f of r.failures) o.log(`leftovers: cannot reap ${f.what}: ${f.why}`);
  if (r.reaped.length || r.failures.length)
    o.log(
      `leftovers of a previous run: ${r.reaped.length} reaped, ${r.failures.length} could not be${r.failures.length ? " (this node reports unhealthy while they run)" : ""}`,
    );
  return r;
}

/** health reasons for failures whose processes still run (containers: until the agent restarts) */
export function unreapedReasons(failures: readonly ReapFailure[]): string[] {
  const out: string[] = [];
  for (const f of failures) {
    const alive = f.pids.filter((p) => isSameLiveProcess(p, procIdentity(p.pid))).map((p) => p.pid);
    if (f.pids.length > 0 && alive.length === 0) continue;
    out.push(
      `a previous agent run left ${f.what} running and it could not be stopped (${f.why})${alive.length ? `: pids ${alive.join(", ")}` : ""}`,
    );
  }
  return out;
}
