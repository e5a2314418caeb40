/**
 * The agent's record of the engine processes it has running (`running-processes.json` in its data
 * dir): per launched process its attempt, process group (pgid = the leader's pid, with the
 * leader's start time), docker container and ports. Written (fsync + rename) when a process
 * starts, its entry dropped when the attempt stops it, so what is left after the agent dies is
 * exactly what a restarted agent must reap. A lab script on a Slurm login node submits its own jobs:
 * their ids are added to its entry as they are found (they outlive the script and the agent).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const STATE_FILE = "running-processes.json";

export const LeftoverEntry = z
  .object({
    attemptId: z.string().min(1),
    process: z.string().min(1),
    /** the process group we created (setsid): its leader's pid and start time */
    group: z
      .object({ pgid: z.number().int().min(2), startTicks: z.string().regex(/^\d+$/) })
      .strict()
      .optional(),
    /** the container a docker launcher named, and the CLI that started it */
    container: z
      .object({ name: z.string().min(1), binary: z.string().min(1) })
      .strict()
      .optional(),
    ports: z.array(z.number().int().min(1).max(65535)),
    /** Slurm jobs the process submitted itself (a lab script's sbatch/salloc), cancelled when reaped */
    slurmJobs: z.array(z.string().regex(/^\d+$/)).optional(),
    startedAt: z.string(),
  })
  .strict();
export type LeftoverEntry = z.infer<typeof LeftoverEntry>;

export const LeftoverState = z
  .object({
    version: z.literal(1),
    /** /proc/sys/kernel/random/boot_id when written: pids of another boot are stale */
    bootId: z.string().optional(),
    entries: z.array(LeftoverEntry),
  })
  .strict();
export type LeftoverState = z.infer<typeof LeftoverState>;

export type ParsedState = { ok: true; state: LeftoverState } | { ok: false; error: string };

/** pure: the file's text → its state, or a one-line reason it is not one */
export function parseState(text: string, file: string): ParsedState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${file}: not JSON (${(e as Error).message})` };
  }
  const r = LeftoverState.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0];
    return { ok: false, error: `${file}: ${i.path.join(".") || "(root)"}: ${i.message}` };
  }
  return { ok: true, state: r.data };
}

/** writes text durably: temp file, fsync, rename */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export class LeftoverStore {
  readonly path: string;
  private entries: LeftoverEntry[] = [];

  constructor(
    dataDir: string,
    private readonly boot: string | undefined,
  ) {
    this.path = join(dataDir, STATE_FILE);
  }

  /** what the file holds now: undefined when there is none */
  read(): ParsedState | undefined {
    if (!existsSync(this.path)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      return { ok: false, error: `${this.path}: cannot read (${(e as Error).message})` };
    }
    return parseState(text, this.path);
  }

  /** moves an unreadable file aside (kept for a person to look at) */
  setAside(): string {
    const to = `${this.path}.corrupt`;
    renameSync(this.path, to);
    return to;
  }

  /** replaces the whole record (after reaping: what could not be reaped) */
  replace(entries: LeftoverEntry[]): void {
    this.entries = [...entries];
    this.write();
  }

  add(entry: LeftoverEntry): void {
    this.entries.push(entry);
    this.write();
  }

  /** rewrites the file after a recorded entry changed in place */
  changed(entry: LeftoverEntry): void {
    if (this.entries.includes(entry)) this.write();
  }

  remove(match: (e: LeftoverEntry) => boolean): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !match(e));
    if (this.entries.length !== before) this.write();
  }

  list(): readonly LeftoverEntry[] {
    return this.entries;
  }

  private write(): void {
    if (this.entries.length === 0) {
      rmSync(this.path, { force: true });
      return;
    }
    const state: LeftoverState = {
      version: 1,
      ...(this.boot ? { bootId: this.boot } : {}),
      entries: this.entries,
    };
    writeAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
  }
}
