/**
 * The credential the controller issues when an agent enrols with an enrolment token: kept in the
 * data dir (mode 0600, written durably) with the agent id it belongs to, and sent in every later
 * hello. Without it the enrolled id cannot connect again (until an operator forgets its enrolment).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const FILE = "enrolment-credential.json";
const Stored = z.object({ agentId: z.string(), credential: z.string() }).strict();

/** the credential stored for `agentId`, or undefined (none yet, another id's, unreadable) */
export function readCredential(dataDir: string, agentId: string): string | undefined {
  try {
    const s = Stored.safeParse(JSON.parse(readFileSync(join(dataDir, FILE), "utf8")));
    return s.success && s.data.agentId === agentId ? s.data.credential : undefined;
  } catch {
    return undefined;
  }
}

export function writeCredential(dataDir: string, agentId: string, credential: string): void {
  const file = join(dataDir, FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify({ agentId, credential }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
