/**
 * On-disk spool of messages that must reach the controller (point results, eval results, final
 * attempt states). A message is written (fsync + rename) before it is sent and deleted only when
 * the controller acknowledges its msgId; a restarted agent resends what is left.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { AttemptFinishedMsg, EnergyReportMsg, EvalResultMsg, PointResultMsg } from "@benchfleet/shared";

export type SpooledMessage = PointResultMsg | EvalResultMsg | EnergyReportMsg | AttemptFinishedMsg;

const SAFE = /^[A-Za-z0-9._-]{1,200}$/;

export class Spool {
  private seq = 0;
  /** msgId → file name */
  private readonly files = new Map<string, string>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) {
      if (f.endsWith(".tmp")) {
        rmSync(join(dir, f), { force: true });
        continue;
      }
      const m = /^(\d+)-(.+)\.json$/.exec(f);
      if (!m) continue;
      this.seq = Math.max(this.seq, Number(m[1]));
      this.files.set(m[2], f);
    }
  }

  /** writes the message durably; returns once it is on disk */
  put(msg: SpooledMessage): void {
    if (!SAFE.test(msg.msgId)) throw new Error(`spool: msgId "${msg.msgId}" has characters not allowed in a file name`);
    if (this.files.has(msg.msgId)) return;
    this.seq += 1;
    const name = `${String(this.seq).padStart(12, "0")}-${msg.msgId}.json`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(msg));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    this.files.set(msg.msgId, name);
  }

  /** the controller acknowledged it: forget it. Returns false when it was not spooled. */
  ack(msgId: string): boolean {
    const f = this.files.get(msgId);
    if (!f) return false;
    rmSync(join(this.dir, f), { force: true });
    this.files.delete(msgId);
    return true;
  }

  has(msgId: string): boolean {
    return this.files.has(msgId);
  }

  /** spooled messages in the order they were written; unreadable files are moved aside */
  pending(): SpooledMessage[] {
    const out: SpooledMessage[] = [];
    for (const [msgId, f] of [...this.files.entries()].sort((a, b) => a[1].localeCompare(b[1]))) {
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), "utf8")) as SpooledMessage);
      } catch {
        renameSync(join(this.dir, f), join(this.dir, `${f}.corrupt`));
        this.files.delete(msgId);
      }
    }
    return out;
  }

  get size(): number {
    return this.files.size;
  }
}
