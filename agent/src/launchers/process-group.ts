/** Process-group helpers: signal a whole group we created, and wait until it is gone. */
import { readdirSync, readFileSync } from "node:fs";

/** true while any process of group `pgid` exists */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM the group, SIGKILL after graceMs, then wait (bounded) until no member is left */
export async function killGroup(pgid: number, graceMs: number): Promise<boolean> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (groupAlive(pgid)) signalGroup(pgid, "SIGKILL");
  const killDeadline = Date.now() + 5000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 25));
  return !groupAlive(pgid);
}

/** pid → { ppid, pgid } of every process, from /proc (empty where /proc is absent) */
function processTable(): Map<number, { ppid: number; pgid: number }> {
  const table = new Map<number, { ppid: number; pgid: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return table;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // fields after the parenthesised command: state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(e), { ppid: Number(rest[1]), pgid: Number(rest[2]) });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/** descendants of `root` that left its process group (a child that called setsid) */
export function escapedDescendants(root: number): number[] {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop() as number;
    if (table.get(pid)?.pgid !== root) out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** kills the group and any descendants that escaped it into their own groups */
export async function killTree(pgid: number, graceMs: number): Promise<boolean> {
  const escaped = escapedDescendants(pgid);
  const escapedGroups = [...new Set(escaped.map((p) => processTable().get(p)?.pgid ?? p))].filter(
    (g) => g !== pgid && g > 1 && escaped.includes(g),
  );
  for (const g of escapedGroups) signalGroup(g, "SIGTERM");
  const ok = await killGroup(pgid, graceMs);
  for (const g of escapedGroups) if (groupAlive(g)) await killGroup(g, 0);
  return ok;
}
