/**
 * Waiting until a time on the run's clock without spinning long. `sleepUntilNs` (run-context.ts)
 * sleeps on a timer to 1–2 ms before the time and then spins on `setImmediate`: precise, but the
 * thread burns the last millisecond or two of every wait. Here most of that stretch is slept by a
 * helper thread instead: it blocks in `Atomics.wait` until the earliest time waited for, less
 * {@link SPIN_NS} (sub-millisecond timeouts), and posts a message, which wakes this thread's event
 * loop; this thread releases every waiter that is due, and each spins what is left, as
 * `sleepUntilNs` does (the helper's wake-up takes tens of µs on a quiet host, more on a busy one).
 *
 * One helper per thread, started on first use; it holds the process open only while some wait is
 * pending. The waiters are a binary heap on their due time (absolute `process.hrtime` ns).
 */
import { Worker } from "node:worker_threads";
import { nowNs, sleepUntilNs } from "./run-context.js";

/** waits shorter than this are slept by the helper; longer ones on a timer first */
const TIMER_MARGIN_MS = 2;
/** a waiter this close to its helper time is released */
const EARLY_NS = 20_000;
/** the helper wakes a waiter this long before its time; the waiter spins the rest */
const SPIN_NS = 200_000;

// the helper: ctl[0] changes whenever the earliest due time (due[0], ms, Infinity for none) does
const HELPER = `
const { parentPort, workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData, 0, 1);
const due = new Float64Array(workerData, 8, 1);
for (;;) {
  const gen = Atomics.load(ctl, 0);
  const d = due[0];
  const left = d - Number(process.hrtime.bigint()) / 1e6;
  if (left <= ${EARLY_NS / 1e6}) {
    parentPort.postMessage(0);
    Atomics.wait(ctl, 0, gen);
  } else Atomics.wait(ctl, 0, gen, d === Infinity ? undefined : left);
}
`;

interface Waiter {
  dueNs: number;
  resolve: () => void;
}

class PreciseWake {
  private readonly heap: Waiter[] = [];
  private readonly shared = new SharedArrayBuffer(16);
  private readonly ctl = new Int32Array(this.shared, 0, 1);
  private readonly due = new Float64Array(this.shared, 8, 1);
  private readonly worker: Worker;
  private published = Number.POSITIVE_INFINITY;
  private held = false;

  constructor() {
    this.due[0] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(HELPER, { eval: true, workerData: this.shared });
    this.worker.on("message", () => this.release());
    this.worker.unref();
  }

  /** resolves at `dueNs` (absolute process.hrtime ns) */
  at(dueNs: number): Promise<void> {
    return new Promise((resolve) => {
      push(this.heap, { dueNs, resolve });
      this.publish();
    });
  }

  private release(): void {
    const now = Number(process.hrtime.bigint());
    while (this.heap.length && this.heap[0]!.dueNs - EARLY_NS <= now) pop(this.heap)!.resolve();
    // after each message the helper sleeps until the next publication: none is needed while no
    // one waits
    this.published = this.heap.length ? Number.NaN : Number.POSITIVE_INFINITY;
    this.due[0] = Number.POSITIVE_INFINITY;
    this.publish();
  }

  /** tells the helper the earliest due time where it changed, and holds the process open while any is */
  private publish(): void {
    const next = this.heap.length ? this.heap[0]!.dueNs / 1e6 : Number.POSITIVE_INFINITY;
    if (next !== this.published) {
      this.published = next;
      this.due[0] = next;
      Atomics.add(this.ctl, 0, 1);
      Atomics.notify(this.ctl, 0);
    }
    const hold = this.heap.length > 0;
    if (hold !== this.held) {
      this.held = hold;
      if (hold) this.worker.ref();
      else this.worker.unref();
    }
  }
}

let wake: PreciseWake | undefined;

/**
 * Resolves when the run's clock (`t0`) reaches `dueNs` (at most 50 µs before it, as
 * `sleepUntilNs`); at once when `signal` is aborted before the wait, or before its timer or
 * helper part ends.
 */
export async function wakeAtNs(t0: bigint, dueNs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  const leftMs = (dueNs - nowNs(t0)) / 1e6;
  if (leftMs > TIMER_MARGIN_MS) {
    await new Promise((r) => setTimeout(r, Math.floor(leftMs - 1)));
    if (signal?.aborted) return;
  }
  if (dueNs - nowNs(t0) > SPIN_NS + EARLY_NS) {
    wake ??= new PreciseWake();
    await wake.at(Number(t0) + dueNs - SPIN_NS);
  }
  await sleepUntilNs(t0, dueNs, signal);
}

function push(h: Waiter[], w: Waiter): void {
  h.push(w);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.dueNs <= w.dueNs) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = w;
}

function pop(h: Waiter[]): Waiter | undefined {
  const top = h[0];
  const last = h.pop();
  if (!h.length || !last) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const c = r < h.length && h[r]!.dueNs < h[l]!.dueNs ? r : l;
    if (h[c]!.dueNs >= last.dueNs) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
  return top;
}
