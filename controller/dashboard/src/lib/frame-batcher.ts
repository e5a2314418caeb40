/**
 * Collects items (log lines, events) and hands them over at most once per animation frame, so a
 * flood of thousands of messages per second costs one DOM update per frame.
 */
export class FrameBatcher<T> {
  private pending: T[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: (cb: () => void) => void = (cb) => requestAnimationFrame(() => cb()),
  ) {}

  add(item: T): void {
    if (this.closed) return;
    this.pending.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.run());
    }
  }

  private run(): void {
    this.scheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.flush(items);
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }
}
