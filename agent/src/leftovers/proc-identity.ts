/**
 * Who a pid is right now, from /proc (Linux): its process group, its state and its start time
 * (clock ticks after boot, field 22 of /proc/<pid>/stat). A pid plus its start time names one
 * process for the life of a boot, so a recorded pid that the kernel has since recycled is never
 * mistaken for the process we started.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcIdentity {
  pid: number;
  ppid: number;
  pgid: number;
  /** one-letter state: R, S, D, Z (zombie: exited, not yet reaped) … */
  state: string;
  /** start time in clock ticks since boot, as the kernel prints it */
  startTicks: string;
}

/** parses the text of /proc/<pid>/stat; undefined when it is not in that form */
export function parseProcStat(pid: number, text: string): ProcIdentity | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  // fields after the parenthesised command, starting at field 3 (state)
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  if (rest.length < 20) return undefined;
  const [state, ppid, pgid] = [rest[0], Number(rest[1]), Number(rest[2])];
  const startTicks = rest[19];
  if (!/^[A-Za-z]$/.test(state) || !Number.isInteger(ppid) || !Number.isInteger(pgid) || !/^\d+$/.test(startTicks))
    return undefined;
  return { pid, ppid, pgid, state, startTicks };
}

/** the live identity of `pid`; undefined when there is no such process */
export function procIdentity(pid: number): ProcIdentity | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** true when `now` is the very process recorded as (pid, startTicks) and it has not exited */
export function isSameLiveProcess(
  recorded: { pid: number; startTicks: string },
  now: ProcIdentity | undefined,
): boolean {
  return now !== undefined && now.pid === recorded.pid && now.startTicks === recorded.startTicks && now.state !== "Z";
}

/** every live (non-zombie) process on this host */
export function allProcesses(): ProcIdentity[] {
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcIdentity[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const id = procIdentity(Number(e));
    if (id && id.state !== "Z") out.push(id);
  }
  return out;
}

/** live members of process group `pgid` */
export function groupMembers(pgid: number): ProcIdentity[] {
  return allProcesses().filter((p) => p.pgid === pgid);
}

/** this boot's id: recorded pids and start times mean nothing after a reboot */
export function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/** the environment of `pid` as NAME=value strings; undefined when unreadable */
export function procEnviron(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}
