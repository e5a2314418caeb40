/**
 * Batches output lines per (process, stream) and hands each batch to `send` every `flushMs` or
 * when a batch reaches `maxLines`. Each line is stamped with the time it was read; long lines are
 * cut to the protocol's limit.
 */
export interface LogBatch {
  process: string;
  stream: "stdout" | "stderr" | "agent";
  lines: string[];
  /** ISO time each line was read, one per line */
  times: string[];
}

export interface LogForwarderOptions {
  send: (batch: LogBatch) => void;
  flushMs?: number;
  maxLines?: number;
  maxLineBytes?: number;
  /** the clock lines are stamped with (epoch ms) */
  now?: () => number;
}

export class LogForwarder {
  private readonly batches = new Map<string, LogBatch>();
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly maxLines: number;
  private readonly maxLine: number;
  /** lines forwarded so far (all processes) */
  forwarded = 0;

  constructor(private readonly o: LogForwarderOptions) {
    this.flushMs = o.flushMs ?? 250;
    this.maxLines = o.maxLines ?? 500;
    this.maxLine = o.maxLineBytes ?? 16 * 1024;
  }

  line(process: string, stream: LogBatch["stream"], line: string): void {
    const key = `${process}\0${stream}`;
    let b = this.batches.get(key);
    if (!b) {
      b = {
        process: process.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64) || "process",
        stream,
        lines: [],
        times: [],
      };
      this.batches.set(key, b);
    }
    b.lines.push(line.length > this.maxLine ? `${line.slice(0, this.maxLine)}…[cut]` : line);
    b.times.push(new Date(this.o.now?.() ?? Date.now()).toISOString());
    if (b.lines.length >= this.maxLines) this.flushKey(key);
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  private flushKey(key: string): void {
    const b = this.batches.get(key);
    if (!b || b.lines.length === 0) return;
    this.batches.delete(key);
    this.forwarded += b.lines.length;
    this.o.send(b);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of [...this.batches.keys()]) this.flushKey(key);
  }
}
