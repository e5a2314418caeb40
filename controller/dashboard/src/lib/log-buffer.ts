/**
 * A bounded ring of log lines: appends are O(1), the oldest lines fall off past `capacity`, and
 * line i (0 = oldest retained) is read in O(1). `firstSeq` numbers lines across drops, so a view
 * can keep its place while old lines are discarded. Pure.
 */
export interface LogLine {
  seq: number;
  process: string;
  /** when the agent read the line (absent for a line stored without a time) */
  at?: string;
  /** the text, tagged with its stream */
  text: string;
}

/** a line as appended: its time and text */
export interface LogText {
  at?: string;
  text: string;
}

export class LogBuffer {
  private readonly ring: Array<LogLine | undefined>;
  private start = 0;
  private size = 0;
  private nextSeq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError("capacity must be a positive integer");
    this.ring = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }
  /** lines appended in all */
  get total(): number {
    return this.nextSeq;
  }
  /** lines that fell off the front */
  get dropped(): number {
    return this.nextSeq - this.size;
  }

  push(process: string, lines: readonly LogText[]): void {
    for (const { at, text } of lines) {
      const line: LogLine =
        at === undefined ? { seq: this.nextSeq++, process, text } : { seq: this.nextSeq++, process, at, text };
      if (this.size < this.capacity) {
        this.ring[(this.start + this.size) % this.capacity] = line;
        this.size++;
      } else {
        this.ring[this.start] = line;
        this.start = (this.start + 1) % this.capacity;
      }
    }
  }

  at(i: number): LogLine | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.ring[(this.start + i) % this.capacity];
  }

  clear(): void {
    this.start = 0;
    this.size = 0;
    this.ring.fill(undefined);
  }

  /** Indices of retained lines matching a predicate (for search and per-process filters). */
  indicesWhere(pred: (l: LogLine) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (pred(this.ring[(this.start + i) % this.capacity]!)) out.push(i);
    return out;
  }
}
