/** Worker-thread side of worker-shards.ts: one shard of a load point, records posted back. */
import { parentPort, workerData } from "node:worker_threads";
import type { ReplaySummary } from "./agentic-replay-run.js";
import type { RequestRecord } from "./request-record.js";
import { type LoadPointOptions, runLoadPoint } from "./run-load-point.js";

const port = parentPort!;
const { opts, shard } = workerData as { opts: LoadPointOptions; shard: { index: number; count: number } };
const ac = new AbortController();
let go!: () => void;
const started = new Promise<void>((r) => {
  go = r;
});
let stopReplay: ((reason: string) => void) | undefined;
port.on("message", (m: { type: string; reason?: string }) => {
  if (m.type === "abort") ac.abort(new Error("load point aborted"));
  else if (m.type === "go") go();
  else if (m.type === "stop") stopReplay?.(m.reason!);
});

let captured: { records: RequestRecord[]; t0: string } | undefined;
let replay: ReplaySummary | undefined;
try {
  const res = await runLoadPoint({
    ...opts,
    shard,
    signal: ac.signal,
    onProgress: (progress) => port.postMessage({ type: "progress", progress }),
    beforeMeasured: async () => {
      port.postMessage({ type: "ready" });
      await started;
    },
    onRecords: (records, t0) => {
      captured = { records, t0: t0.toString() };
    },
    onReplaySummary: (summary) => {
      replay = summary;
    },
    // the point's live error gate is the parent thread's: turns are counted there, it says when to stop
    errorGate: {
      count: (failed) => port.postMessage({ type: "gate", done: 1, failed: failed ? 1 : 0 }),
      onTrip: (stop) => {
        stopReplay = stop;
      },
    },
  });
  const block = (
    res.bench as {
      benchfleet?: {
        warmup?: { requests: number; failed: number };
        client?: { eventLoopDelayP99Ms?: number; eventLoopDelayMaxMs?: number };
      };
    }
  ).benchfleet;
  port.postMessage({
    type: "records",
    ...captured!,
    warm: block?.warmup ?? { requests: 0, failed: 0 },
    loop: { p99Ms: block?.client?.eventLoopDelayP99Ms ?? 0, maxMs: block?.client?.eventLoopDelayMaxMs ?? 0 },
    ...(replay ? { replay } : {}),
  });
} catch (e) {
  port.postMessage({ type: "error", message: (e as Error).message });
}
port.close();
