/**
 * Runs a load point's measured requests on several worker threads when one event loop cannot keep
 * up. Every thread generates the same prompts from the seed and sends every n-th one with its share
 * of the concurrency (load-worker.ts); each does its warmup, then all start the measured run together
 * (a barrier). Their records come back on this thread's clock (hrtime is process-wide) and are
 * summarised here exactly as a single-thread run's. An agentic point's threads send every finished
 * measured turn here: this thread holds the point's one live error gate and, when it trips, tells
 * every thread to stop.
 */
import { Worker } from "node:worker_threads";
import type { LiveErrorGate } from "./agentic-error-gate.js";
import type { ReplaySummary } from "./agentic-replay-run.js";
import type { LoadProgress } from "./load-options.js";
import type { RequestRecord } from "./request-record.js";
import type { LoadPointOptions } from "./run-load-point.js";

type WorkerMsg =
  | { type: "ready" }
  | { type: "progress"; progress: LoadProgress }
  /** measured turns a thread finished since its last count */
  | { type: "gate"; done: number; failed: number }
  | {
      type: "records";
      records: RequestRecord[];
      t0: string;
      warm: { requests: number; failed: number };
      /** this thread's own event-loop delay in its measured run, ms */
      loop: { p99Ms: number; maxMs: number };
      /** an agentic replay's figures apart from its records */
      replay?: ReplaySummary;
    }
  | { type: "error"; message: string };

/**
 * The threads' progress as one, once every thread has reported the same phase: counts and rates
 * summed; the total is each thread's (every thread counts the whole point's prompts as its phase total).
 */
function sumProgress(parts: Array<LoadProgress | undefined>): LoadProgress | undefined {
  const first = parts[0];
  if (!first || parts.some((p) => p === undefined || p.phase !== first.phase)) return undefined;
  const ps = parts as LoadProgress[];
  const sum = (k: "done" | "total" | "inFlight" | "errors" | "requestsPerS" | "outputTokensPerS") =>
    ps.reduce((s, p) => s + p[k], 0);
  return {
    done: sum("done"),
    // a timed phase's total is each thread's own expectation; a counted one the whole point's
    total: first.timed ? sum("total") : Math.max(...ps.map((p) => p.total)),
    inFlight: sum("inFlight"),
    errors: sum("errors"),
    requestsPerS: sum("requestsPerS"),
    outputTokensPerS: sum("outputTokensPerS"),
    elapsedS: Math.max(...ps.map((p) => p.elapsedS)),
    phase: first.phase,
    ...(first.timed ? { timed: true } : {}),
  };
}

/** the options a worker can receive (functions and signals stay on this thread) */
function serialisable(o: LoadPointOptions): LoadPointOptions {
  const {
    signal: _s,
    onProgress: _p,
    onRecords: _r,
    beforeMeasured: _b,
    onReplaySummary: _y,
    errorGate: _g,
    timing: _t,
    ...rest
  } = o;
  return { ...rest, workers: 1, followUpHint: o.followUpHint ?? o.timing === "engine" };
}

export async function runInWorkers(
  opts: LoadPointOptions,
  threads: number,
  t0: bigint,
  signal?: AbortSignal,
  /** an agentic point's live error gate, decided here over every thread's turns */
  gate?: LiveErrorGate,
): Promise<{
  records: RequestRecord[];
  startNs: number;
  endNs: number;
  warm: { requests: number; failed: number };
  /** the process's CPU from the barrier to the last records (the measured run of all threads) */
  cpu: NodeJS.CpuUsage;
  /** the worst thread's event-loop delay, ms */
  loop: { p99Ms: number; maxMs: number };
  /** agentic points: each thread's replay figures */
  replays: ReplaySummary[];
  /** why the live error gate stopped the point */
  stoppedEarly?: string;
}> {
  const url = new URL("./load-worker-entry.mjs", import.meta.url);
  const workers = Array.from(
    { length: threads },
    (_, index) =>
      new Worker(url, {
        workerData: { opts: serialisable(opts), shard: { index, count: threads } },
      }),
  );
  const onAbort = () => {
    for (const w of workers) w.postMessage({ type: "abort" });
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  let ready = 0;
  let stoppedEarly: string | undefined;
  let cpu0: NodeJS.CpuUsage | undefined;
  const progress = new Array<LoadProgress | undefined>(threads);
  try {
    const results = await Promise.all(
      workers.map(
        (w, index) =>
          new Promise<Extract<WorkerMsg, { type: "records" }>>((resolve, reject) => {
            w.on("message", (m: WorkerMsg) => {
              if (m.type === "gate") {
                const reason = gate?.add(m.done, m.failed);
                if (reason) {
                  stoppedEarly = reason;
                  for (const x of workers) x.postMessage({ type: "stop", reason });
                }
              } else if (m.type === "progress") {
                progress[index] = m.progress;
                const all = sumProgress(progress);
                if (all) opts.onProgress?.(all);
              } else if (m.type === "ready" && ++ready === threads) {
                cpu0 = process.cpuUsage();
                for (const x of workers) x.postMessage({ type: "go" });
              } else if (m.type === "records") resolve(m);
              else if (m.type === "error") reject(new Error(`load worker: ${m.message}`));
            });
            w.on("error", reject);
            w.on("exit", (code) => reject(new Error(`load worker exited (code ${code}) before sending its records`)));
          }),
      ),
    );
    const cpu = process.cpuUsage(cpu0);
    const records: RequestRecord[] = [];
    const warm = { requests: 0, failed: 0 };
    const loop = { p99Ms: 0, maxMs: 0 };
    const replays: ReplaySummary[] = [];
    for (const r of results) {
      if (r.replay) replays.push(r.replay);
      const shift = Number(BigInt(r.t0) - t0);
      for (const x of r.records) {
        records.push({ ...x, scheduledNs: x.scheduledNs + shift, startNs: x.startNs + shift, endNs: x.endNs + shift });
      }
      warm.requests += r.warm.requests;
      warm.failed += r.warm.failed;
      loop.p99Ms = Math.max(loop.p99Ms, r.loop.p99Ms);
      loop.maxMs = Math.max(loop.maxMs, r.loop.maxMs);
    }
    records.sort((a, b) => a.index - b.index);
    const startNs = Math.min(...records.map((x) => x.scheduledNs));
    const endNs = Math.max(...records.map((x) => x.endNs));
    return { records, startNs, endNs, warm, cpu, loop, replays, ...(stoppedEarly ? { stoppedEarly } : {}) };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
