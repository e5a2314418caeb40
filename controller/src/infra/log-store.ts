/**
 * Log store: each process of each attempt appends to
 * `<dataDir>/logs/<jobId>/<attemptId>/<process>.log`, bounded per file and rotated
 * (`.log.1`, `.log.2`, …). Lines are fanned out live on the bus; logs never go into Redis.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import type { Bus } from "./bus.js";

/** a single path segment: no separators, not "." or ".." */
const SAFE = /^(?!\.+$)[A-Za-z0-9._-]{1,200}$/;

/** A line as the log files hold it (and the tail API returns it): stderr and agent lines tagged. */
export function storedLogLine(stream: string | undefined, line: string): string {
  return stream === "stderr" ? `[stderr] ${line}` : stream === "agent" ? `[agent] ${line}` : line;
}

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

  append(jobId: string, attemptId: string, process: string, stream: string, lines: string[]): void {
    if (!SAFE.test(process)) throw new Error(`invalid process name ${JSON.stringify(process)}`);
    if (lines.length === 0) return;
    const dir = this.dir(jobId, attemptId);
    const file = join(dir, `${process}.log`);
    const text = `${lines.map((l) => storedLogLine(stream, l)).join("\n")}\n`;
    const bytes = Buffer.byteLength(text);
    let size = this.sizes.get(file);
    if (size === undefined) {
      mkdirSync(dir, { recursive: true });
      size = existsSync(file) ? statSync(file).size : 0;
    }
    if (size > 0 && size + bytes > this.maxBytes) {
      this.rotate(file);
      size = 0;
    }
    appendFileSync(file, text);
    this.sizes.set(file, size + bytes);
    this.bus.publish({ kind: "log", jobId, attemptId, process, stream, lines });
  }

  private rotate(file: string): void {
    rmSync(`${file}.${this.rotations}`, { force: true });
    for (let i = this.rotations - 1; i >= 1; i--)
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    renameSync(file, `${file}.1`);
  }

  /** Attempts of a job that have logs, and their processes. */
  processes(jobId: string, attemptId: string): string[] {
    const dir = this.dir(jobId, attemptId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => f.slice(0, -4))
      .sort();
  }

  /** Last `n` lines of each process (or one process) of an attempt. */
  tail(jobId: string, attemptId: string, n: number, process?: string): LogLine[] {
    const procs = process ? [process] : this.processes(jobId, attemptId);
    const out: LogLine[] = [];
    for (const p of procs) {
      if (!SAFE.test(p)) continue;
      const file = join(this.dir(jobId, attemptId), `${p}.log`);
      for (const line of tailLines(file, n)) out.push({ process: p, line });
    }
    return out;
  }

  /** Bytes [offset, offset+length) of one process log (current file); for paging through a log. */
  range(
    jobId: string,
    attemptId: string,
    process: string,
    offset: number,
    length: number,
  ): { text: string; size: number } {
    if (!SAFE.test(process)) throw new Error(`invalid process name ${JSON.stringify(process)}`);
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

function tailLines(file: string, n: number): string[] {
  if (!existsSync(file) || n <= 0) return [];
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  try {
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString("utf8").split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      if (lines.length > n || start === 0) return lines.slice(-n);
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}
