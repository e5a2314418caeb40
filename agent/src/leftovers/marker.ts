/**
 * The env marker every engine process of an agent carries (and its children inherit):
 * `BENCHFLEET_AGENT_MARK=<agentId>:<data-dir hash>:<attemptId>`. The agent id plus its data dir
 * name one agent across restarts (two agents on one host never share both), so a restarted agent
 * finds what its previous incarnation started even where the state file missed it (killed between
 * spawn and record, or a process that left its group).
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";

export const MARK_ENV = "BENCHFLEET_AGENT_MARK";

/** the part of the marker shared by every attempt of this agent */
export function markPrefix(agentId: string, dataDir: string): string {
  const dir = createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 12);
  return `${agentId}:${dir}:`;
}

export function markValue(prefix: string, attemptId: string): string {
  return `${prefix}${attemptId}`;
}

/** the attempt id a process's environment marks it with under this prefix; undefined when unmarked */
export function markedAttempt(environ: string[], prefix: string): string | undefined {
  const needle = `${MARK_ENV}=${prefix}`;
  const hit = environ.find((kv) => kv.startsWith(needle));
  return hit === undefined ? undefined : hit.slice(needle.length);
}
