/**
 * Pure: what a restarted agent must stop, from its state file's entries and the processes that
 * carry its env marker. A recorded process group is a target only while its leader is the very
 * process recorded (same pid AND same start time, same boot); anything else is noted and left
 * alone, so a recycled pid is never signalled. A recorded Slurm job is a target whatever the boot
 * (it runs on the cluster, not on this node); the reaper cancels it only while squeue lists it
 * for this user.
 */
import { isSameLiveProcess, type ProcIdentity } from "./proc-identity.js";
import type { LeftoverEntry } from "./state-file.js";

export type ReapTarget =
  /** a process group we created whose leader is verified */
  | { kind: "group"; pgid: number; startTicks: string; label: string; entry: LeftoverEntry }
  /** one verified process (marked by env, or a recorded leader that left its group) */
  | { kind: "pid"; pid: number; startTicks: string; label: string; entry?: LeftoverEntry }
  | { kind: "container"; name: string; binary: string; label: string; entry: LeftoverEntry }
  /** a Slurm job the process submitted itself */
  | { kind: "slurm-job"; jobId: string; label: string; entry: LeftoverEntry };

export interface ReapPlan {
  targets: ReapTarget[];
  /** one line per recorded thing not acted on (gone already, recycled pid, another boot) */
  notes: string[];
  /** ports the recorded processes held */
  ports: number[];
}

export interface PlanInput {
  entries: readonly LeftoverEntry[];
  recordedBoot: string | undefined;
  currentBoot: string | undefined;
  /** the live identity of a pid (from /proc) */
  identity: (pid: number) => ProcIdentity | undefined;
  /** live processes whose environment carries this agent's marker */
  marked: ReadonlyArray<{ proc: ProcIdentity; attemptId: string }>;
  /** never a target (this agent itself) */
  selfPid: number;
}

export const entryLabel = (e: LeftoverEntry) =>
  `${e.process} of attempt ${e.attemptId}${e.ports.length ? `, ports ${e.ports.join(",")}` : ""}`;

export function planReap(i: PlanInput): ReapPlan {
  const targets: ReapTarget[] = [];
  const notes: string[] = [];
  const otherBoot = i.recordedBoot !== undefined && i.currentBoot !== undefined && i.recordedBoot !== i.currentBoot;
  for (const e of i.entries) {
    const label = entryLabel(e);
    if (e.group) {
      const { pgid, startTicks } = e.group;
      const now = i.identity(pgid);
      if (otherBoot) {
        notes.push(`skipped pid ${pgid} (${label}): recorded before the node rebooted; not touched`);
      } else if (!now || now.state === "Z") {
        notes.push(`process group ${pgid} (${label}) already gone`);
      } else if (!isSameLiveProcess({ pid: pgid, startTicks }, now)) {
        notes.push(
          `skipped pid ${pgid} (${label}): it is now another process (start time ${now.startTicks}, recorded ${startTicks}); not touched`,
        );
      } else if (now.pgid !== pgid) {
        targets.push({ kind: "pid", pid: pgid, startTicks, label, entry: e });
      } else {
        targets.push({ kind: "group", pgid, startTicks, label, entry: e });
      }
    }
    if (e.container) targets.push({ kind: "container", ...e.container, label, entry: e });
    for (const jobId of e.slurmJobs ?? []) targets.push({ kind: "slurm-job", jobId, label, entry: e });
  }
  const groups = new Set(targets.flatMap((t) => (t.kind === "group" ? [t.pgid] : [])));
  const pids = new Set(targets.flatMap((t) => (t.kind === "pid" ? [t.pid] : [])));
  for (const { proc, attemptId } of i.marked) {
    if (proc.pid === i.selfPid || proc.state === "Z" || groups.has(proc.pgid) || pids.has(proc.pid)) continue;
    targets.push({ kind: "pid", pid: proc.pid, startTicks: proc.startTicks, label: `marked for attempt ${attemptId}` });
    pids.add(proc.pid);
  }
  const ports = [...new Set(i.entries.flatMap((e) => e.ports))].sort((a, b) => a - b);
  return { targets, notes, ports };
}
