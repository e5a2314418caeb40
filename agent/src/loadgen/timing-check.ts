/**
 * How well the client's timestamps match what a server actually did: runs one load point against
 * the fixture server started with `--stamp-text 1` (each chunk's text carries the hrtime of the
 * request's arrival and of the chunk's write, one monotonic clock for every process of the host)
 * and splits the measured times into request transit, server lateness and the client's own error.
 * Used by the timing test (run-load-point.test.ts) and by `bench/load-timing.ts`.
 */

import type { PointResult } from "@benchfleet/shared";
import { percentile } from "./metrics.js";
import type { RequestRecord } from "./request-record.js";
import { runLoadPoint } from "./run-load-point.js";

const MS = 1e6;

export interface TimingDecomposition {
  /** client send (st) → server received the request, ms */
  requestTransit: number[];
  /** server emitted the first chunk → client stamped it, ms */
  firstChunk: number[];
  /** |client ITL − server's actual gap|, ms */
  itlError: number[];
  /** server lateness of the first chunk vs its schedule, ms */
  serverLate: number[];
}

/** splits measured times using the server's ` @<arrival>:<emission>` stamps */
export function decomposeTiming(records: RequestRecord[], t0: bigint, ttftMs: number): TimingDecomposition {
  const d: TimingDecomposition = { requestTransit: [], firstChunk: [], itlError: [], serverLate: [] };
  for (const r of records) {
    const s = [...(r.generatedText ?? "").matchAll(/@(\d+):(\d+)/g)].map((m) => [
      Number(BigInt(m[1]!) - t0) / MS,
      Number(BigInt(m[2]!) - t0) / MS,
    ]) as [number, number][];
    if (s.length !== r.itlNs.length + 1)
      throw new Error(
        `request ${r.index}: ${s.length} server stamps for ${r.itlNs.length + 1} token chunks (is the fixture run with --stamp-text 1?)`,
      );
    d.requestTransit.push(s[0]![0] - r.startNs / MS);
    d.serverLate.push(s[0]![1] - s[0]![0] - ttftMs);
    d.firstChunk.push((r.startNs + r.ttftNs) / MS - s[0]![1]);
    r.itlNs.forEach((g, k) => d.itlError.push(Math.abs(g / MS - (s[k + 1]![1] - s[k]![1]))));
  }
  return d;
}

export interface TimingCheck {
  result: PointResult;
  records: RequestRecord[];
  d: TimingDecomposition;
  /** requests whose (e2el − ttft) differs from the sum of their ITLs (must be 0) */
  inexactSums: number;
}

/** one load point (ISL 32, OSL 16) against a stamping fixture whose injected TTFT is `ttftMs` */
export async function checkTiming(
  baseUrl: string,
  concurrency: number,
  ttftMs: number,
  workers = 1,
): Promise<TimingCheck> {
  let records: RequestRecord[] = [];
  let t0 = 0n;
  const result = await runLoadPoint({
    baseUrl,
    model: "m",
    isl: 32,
    osl: 16,
    rangeRatio: 1,
    concurrency,
    numPrompts: Math.max(48, 2 * concurrency),
    warmups: 2 * concurrency,
    workers,
    saveDetailed: true,
    onRecords: (r, t) => {
      records = r;
      t0 = t;
    },
  });
  const inexactSums = records.filter((r) => r.latencyNs - r.ttftNs - r.itlNs.reduce((a, b) => a + b, 0) !== 0).length;
  return { result, records, d: decomposeTiming(records, t0, ttftMs), inexactSums };
}

const q = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(2)} p99 ${percentile(xs, 99).toFixed(2)}`;

/** one line of figures (ms) for logs and the bench */
export function describeTiming(
  c: TimingCheck,
  concurrency: number,
  injected: { ttftMs: number; itlMs: number },
): string {
  const b = c.result.bench as unknown as Record<string, number>;
  const { d } = c;
  return (
    `c=${concurrency}: TTFT ${b.median_ttft_ms?.toFixed(2)}/${b.p99_ttft_ms?.toFixed(2)} ITL ${b.median_itl_ms?.toFixed(2)}/${b.p99_itl_ms?.toFixed(2)} ms ` +
    `(p50/p99; injected ${injected.ttftMs}/${injected.itlMs}); request transit ${q(d.requestTransit)}; server lateness ${q(d.serverLate)}; ` +
    `first chunk server→client ${q(d.firstChunk)}; client ITL error ${q(d.itlError)}; send lag p99 ${c.result.client?.sendLagP99Ms.toFixed(2)} ms`
  );
}
