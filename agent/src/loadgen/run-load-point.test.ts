/**
 * Timing and failure handling of the load generator against a real fixture HTTP server process
 * with known behaviour (fixture-server.ts).
 */
import { PointResult } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import type { RequestRecord } from "./request-record.js";
import { runLoadPoint } from "./run-load-point.js";

const MS = 1e6;
const fixtures: FixtureProcess[] = [];
async function fixture(args: string[]): Promise<FixtureProcess> {
  const f = await spawnFixture(args);
  fixtures.push(f);
  return f;
}
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.stop()));
});

async function stats(f: FixtureProcess): Promise<{ requests: number; connections: number }> {
  return (await (await fetch(`${f.url}/stats`)).json()) as { requests: number; connections: number };
}

describe("correctness at concurrency 256", () => {
  it("exact token counts, multi-token chunks, E2EL ending at the last token (not the usage trailer), keep-alive connections per slot", async () => {
    const f = await fixture(["--ttft-ms", "10", "--itl-ms", "4", "--tokens-per-chunk", "3", "--usage-delay-ms", "300"]);
    let records: RequestRecord[] = [];
    const res = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      isl: 200,
      osl: 40,
      rangeRatio: 0.5,
      concurrency: 256,
      numPrompts: 512,
      warmups: 0,
      gpus: { total: 8, prefill: 0, decode: 0 },
      onRecords: (r) => {
        records = r;
      },
    });
    expect(PointResult.parse(res)).toEqual(res);
    expect(res.status).toBe("ok");
    expect(res.bench.completed).toBe(512);
    for (const r of records) {
      expect(r.success).toBe(true);
      expect(r.outputTokens).toBe(r.targetOutputTokens);
      expect(r.promptTokens).toBe(r.targetPromptTokens);
      expect(r.itlNs).toHaveLength(Math.ceil(r.targetOutputTokens / 3) - 1);
      expect(r.latencyNs - r.ttftNs - r.itlNs.reduce((a, b) => a + b, 0)).toBe(0);
      // the trailer comes 300 ms after the last token: E2EL must not include it
      expect(r.endNs - r.startNs - r.latencyNs).toBeGreaterThan(100 * MS);
      expect(r.targetPromptTokens).toBeGreaterThanOrEqual(100);
      expect(r.targetOutputTokens).toBeGreaterThanOrEqual(20);
    }
    // one first-wave request per slot; the send-lag figures split accordingly
    const wave = records.filter((r) => r.firstWave);
    expect(wave).toHaveLength(256);
    expect(res.client!.firstWaveMs).toBe(Math.max(...wave.map((r) => (r.startNs - r.scheduledNs) / MS)));
    expect(res.client!.sendLagSteadyP99Ms).toBeGreaterThanOrEqual(0);
    const totalOut = records.reduce((a, r) => a + r.targetOutputTokens, 0);
    expect(res.bench.total_output_tokens).toBe(totalOut);
    expect(res.bench.total_input_tokens).toBe(records.reduce((a, r) => a + r.targetPromptTokens, 0));
    expect(res.bench.output_throughput).toBeCloseTo(totalOut / res.bench.duration, 6);
    const block = res.bench.benchfleet as { perGpu: { totalTokenThroughput: number } };
    expect(block.perGpu.totalTokenThroughput).toBeCloseTo(res.bench.total_token_throughput / 8, 6);
    const st = await stats(f);
    expect(st.requests).toBe(512);
    // two keep-alive connections per slot (see run-load-point.ts) plus the calibration pool
    expect(st.connections).toBeLessThanOrEqual(2 * 256 + 2);
  });
});

describe("failures", () => {
  it("classifies 503s, error events and dropped streams; > 5 % failed fails the point", async () => {
    const f = await fixture([
      "--ttft-ms",
      "1",
      "--itl-ms",
      "1",
      "--http503-every",
      "7",
      "--mid-stream-error-every",
      "11",
      "--drop-every",
      "13",
    ]);
    const n = 120;
    const expected: Record<string, number> = {};
    for (let k = 1; k <= n; k++) {
      const reason =
        k % 7 === 0 ? "http_503" : k % 13 === 0 ? "stream_aborted" : k % 11 === 0 ? "stream_error" : undefined;
      if (reason) expected[reason] = (expected[reason] ?? 0) + 1;
    }
    // one slot so that the server's arrival order is the request order
    const res = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      isl: 16,
      osl: 8,
      concurrency: 1,
      numPrompts: n,
      warmups: 0,
    });
    expect(res.failures).toEqual(expected);
    expect(res.bench.failed).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    expect(res.status).toBe("failed");
    expect(res.failureReason).toMatch(/requests failed .*% > 5 %.*http_503×17/);
  });

  it("slow headers beyond the headers timeout count as timeouts; a point under 5 % failures is ok", async () => {
    const f = await fixture([
      "--ttft-ms",
      "1",
      "--itl-ms",
      "1",
      "--slow-headers-every",
      "25",
      "--slow-headers-ms",
      "2000",
    ]);
    const res = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      isl: 16,
      osl: 4,
      concurrency: 4,
      numPrompts: 100,
      warmups: 0,
      headersTimeoutMs: 300,
    });
    expect(res.failures).toEqual({ timeout: 4 });
    expect(res.status).toBe("ok");
  });

  it("reports a connection error per request when nothing listens", async () => {
    const res = await runLoadPoint({
      baseUrl: "http://127.0.0.1:9",
      model: "m",
      isl: 8,
      osl: 4,
      concurrency: 2,
      numPrompts: 4,
      warmups: 0,
    });
    expect(res.failures).toEqual({ connection_error: 4 });
    expect(res.status).toBe("failed");
  });
});

describe("endpoints, traffic models, cancellation", () => {
  let f: FixtureProcess;
  beforeAll(async () => {
    f = await fixture(["--ttft-ms", "30", "--itl-ms", "2", "--role-chunk", "1"]);
  });

  it("chat: text prompts calibrated to the server's count; a role-only first chunk does not stop the TTFT clock", async () => {
    const res = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      endpoint: "/v1/chat/completions",
      isl: 300,
      osl: 8,
      concurrency: 8,
      numPrompts: 32,
      warmups: 0,
    });
    const block = res.bench.benchfleet as { prompts: { promptTokenMismatch: { exact: number; requests: number } } };
    expect(block.prompts.promptTokenMismatch.exact).toBe(32);
    expect(res.bench.median_ttft_ms!).toBeGreaterThan(29);
    const any = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      endpoint: "/v1/chat/completions",
      isl: 50,
      osl: 8,
      concurrency: 8,
      numPrompts: 16,
      warmups: 0,
      firstChunk: "any",
    });
    // the role chunk comes at once, content after 30 ms: well under 30 even on a stalled host
    expect(any.bench.median_ttft_ms!).toBeLessThan(25);
  });

  it("multi-turn: each turn resends the growing history", async () => {
    const res = await runLoadPoint({
      baseUrl: f.url,
      model: "m",
      endpoint: "/v1/chat/completions",
      isl: 40,
      osl: 10,
      rangeRatio: 1,
      concurrency: 4,
      numPrompts: 24,
      warmups: 0,
      multiTurn: { turns: 3, thinkTimeMs: 5 },
    });
    expect(res.bench.completed).toBe(24);
    const turns = (
      res.bench.benchfleet as { perTurn: Array<{ turn: number; requests: number; meanPromptTokens: number }> }
    ).perTurn;
    expect(turns.map((t) => t.requests)).toEqual([8, 8, 8]);
    // turn t: 3 + 4 per message + words: 40 new tokens per user turn, 10 per answer
    expect(turns[1].meanPromptTokens - turns[0].meanPromptTokens).toBeGreaterThanOrEqual(40 + 10);
    expect(turns[2].meanPromptTokens).toBeGreaterThan(turns[1].meanPromptTokens);
  });

  it("an aborted signal stops the point promptly", async () => {
    const ac = new AbortController();
    const t = Date.now();
    setTimeout(() => ac.abort(new Error("attempt cancelled")), 300);
    await expect(
      runLoadPoint({
        baseUrl: f.url,
        model: "m",
        isl: 8,
        osl: 5000,
        concurrency: 8,
        numPrompts: 16,
        warmups: 0,
        signal: ac.signal,
      }),
    ).rejects.toThrow("attempt cancelled");
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
