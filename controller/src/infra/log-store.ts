/**
 * Log store: each process of each attempt appends to
 * `<dataDir>/logs/<jobId>/<attemptId>/<source>.log`, bounded per file and rotated (`.log.1`,
 * `.log.2`, …); a source is the process, or `<node>/<process>` in an attempt spanning several
 * nodes (shared/log-line.ts). Each stored line starts with the time the agent read it. Lines are
 * fanned out live on the bus; logs never go into Redis.
 */
import {
  appendFileSync,
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { LOG_SOURCE, storedLogLine } from "@benchfleet/shared";
import type { Bus } from "./bus.js";
import { mergedByTime } from "./log-merge.js";

/** a single path segment: no separators, not "." or ".." */
const SAFE = /^(?!\.+$)[A-Za-z0-9._-]{1,200}$/;

export interface LogLine {
  process: string;
  line: string;
}

export class LogStore {
  private readonly sizes = new Map<string, number>();
  readonly root: string;

  constructor(
    dataDir: string,
    private readonly bus: Bus,
    private readonly maxBytes: number,
    private readonly rotations: number,
  ) {
    this.root = join(dataDir, "logs");
    mkdirSync(this.root, { recursive: true });
  }

  private dir(jobId: string, attemptId: string): string {
    if (!SAFE.test(jobId) || !SAFE.test(attemptId)) throw new Error("invalid job or attempt id for a log path");
    return join(this.root, jobId, attemptId);
  }

  /**
   * Appends lines of one source; `times` (ISO, one per line) are when the agent read them, the
   * time of this call where absent.
   */
  append(
    jobId: string,
    attemptId: string,
    source: string,
    stream: string,
    lines: string[],
    times?: readonly string[],
  ): void {
    if (!LOG_SOURCE.test(source)) throw new Error(`invalid process name ${JSON.stringify(source)}`);
    if (lines.length === 0) return;
    const dir = this.dir(jobId, attemptId);
    const file = join(dir, `${source}.log`);
    const now = new Date().toISOString();
    const stamps = lines.map((_, i) => times?.[i] ?? now);
    const text = `${lines.map((l, i) => storedLogLine(stamps[i]!, stream, l)).join("\n")}\n`;
    const bytes = Buffer.byteLength(text);
    let size = this.sizes.get(file);
    if (size === undefined) {
      mkdirSync(dirname(file), { recursive: true });
      size = existsSync(file) ? statSync(file).size : 0;
    }
    if (size > 0 && size + bytes > this.maxBytes) {
      this.rotate(file);
      size = 0;
    }
    appendFileSync(file, text);
    this.sizes.set(file, size + bytes);
    this.bus.publish({ kind: "log", jobId, attemptId, process: source, stream, lines, times: stamps });
  }

  private rotate(file: string): void {
    rmSync(`${file}.${this.rotations}`, { force: true });
    for (let i = this.rotations - 1; i >= 1; i--)
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    renameSync(file, `${file}.1`);
  }

  /** The sources of an attempt that have logs: processes, and `node/process` of multi-node attempts. */
  processes(jobId: string, attemptId: string): string[] {
    const dir = this.dir(jobId, attemptId);
    if (!existsSync(dir)) return [];
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith(".log")) out.push(e.name.slice(0, -4));
      else if (e.isDirectory() && SAFE.test(e.name))
        for (const f of readdirSync(join(dir, e.name))) if (f.endsWith(".log")) out.push(`${e.name}/${f.slice(0, -4)}`);
    }
    return out.sort();
  }

  /**
   * Every stored line of an attempt (or of the given sources), each source's rotated files oldest
   * first, the sources merged by line time: the whole log, read as it is consumed.
   */
  whole(jobId: string, attemptId: string, sources?: readonly string[]): AsyncGenerator<LogLine> {
    const dir = this.dir(jobId, attemptId);
    const chosen = sources ?? this.processes(jobId, attemptId);
    for (const p of chosen) if (!LOG_SOURCE.test(p)) throw new Error(`invalid process name ${JSON.stringify(p)}`);
    return mergedByTime(chosen.map((p) => ({ process: p, lines: fileLines(this.files(join(dir, `${p}.log`))) })));
  }

  /** a log's files, oldest first: `.log.N` … `.log.1`, `.log` */
  private files(file: string): string[] {
    const out: string[] = [];
    for (let i = this.rotations; i >= 1; i--) out.push(`${file}.${i}`);
    out.push(file);
    return out;
  }

  /** Last `n` lines of each process (or one process) of an attempt; `older`: the processes with lines before them. */
  tail(jobId: string, attemptId: string, n: number, process?: string): { lines: LogLine[]; older: string[] } {
    const procs = process ? [process] : this.processes(jobId, attemptId);
    const lines: LogLine[] = [];
    const older: string[] = [];
    for (const p of procs) {
      if (!LOG_SOURCE.test(p)) continue;
      const file = join(this.dir(jobId, attemptId), `${p}.log`);
      const t = tailLines(file, n);
      for (const line of t.lines) lines.push({ process: p, line });
      if (t.more || existsSync(`${file}.1`)) older.push(p);
    }
    return { lines, older };
  }

  /** Bytes [offset, offset+length) of one process log (current file); for paging through a log. */
  range(
    jobId: string,
    attemptId: string,
    process: string,
    offset: number,
    length: number,
  ): { text: string; size: number } {
    if (!LOG_SOURCE.test(process)) throw new Error(`invalid process name ${JSON.stringify(process)}`);
    const file = join(this.dir(jobId, attemptId), `${process}.log`);
    if (!existsSync(file)) return { text: "", size: 0 };
    const size = statSync(file).size;
    const len = Math.max(0, Math.min(length, size - offset));
    const buf = Buffer.alloc(len);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buf, 0, len, offset);
    } finally {
      closeSync(fd);
    }
    return { text: buf.toString("utf8"), size };
  }
}

/** the last `n` lines of a file; `more`: the file has lines before them */
function tailLines(file: string, n: number): { lines: string[]; more: boolean } {
  if (!existsSync(file)) return { lines: [], more: false };
  const size = statSync(file).size;
  if (n <= 0) return { lines: [], more: size > 0 };
  const fd = openSync(file, "r");
  try {
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString("utf8").split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      // a chunk not from the start begins inside a line: that part is not counted as a whole line
      if (lines.length > n || start === 0) return { lines: lines.slice(-n), more: lines.length > n };
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

async function* fileLines(files: readonly string[]): AsyncGenerator<string> {
  for (const f of files) {
    if (!existsSync(f)) continue;
    const input = createReadStream(f, { encoding: "utf8" });
    try {
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) yield line;
    } finally {
      input.destroy();
    }
  }
}
