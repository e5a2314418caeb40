/** The load generator on worker threads against a real fixture server process: same prompts, same counts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import { type LoadProgress, runLoadPoint } from "./run-load-point.js";

let f: FixtureProcess;
beforeAll(async () => {
  f = await spawnFixture(["--ttft-ms", "20", "--itl-ms", "5"]);
});
afterAll(async () => {
  await f?.stop();
});

describe("load generator on worker threads", () => {
  const common = { model: "m", isl: 64, osl: 16, concurrency: 16, numPrompts: 64, warmups: 8, seed: 7 };

  it("sends the same prompts as one thread and measures them the same way", async () => {
    const one = await runLoadPoint({ ...common, baseUrl: f.url });
    const two = await runLoadPoint({ ...common, baseUrl: f.url, workers: 2 });
    expect(two.status).toBe("ok");
    expect(two.client?.workers).toBe(2);
    expect(one.client?.workers).toBe(1);
    for (const k of [
      "completed",
      "failed",
      "total_input_tokens",
      "total_output_tokens",
      "num_prompts",
      "max_concurrency",
    ] as const) {
      expect(two.bench[k], k).toBe(one.bench[k]);
    }
    expect(two.bench.completed).toBe(64);
    // injected TTFT 20 ms, ITL 5 ms: both runs see them (loose: a busy 2-core host)
    for (const r of [one, two]) {
      expect(r.bench.median_ttft_ms!).toBeGreaterThanOrEqual(20);
      expect(r.bench.median_ttft_ms!).toBeLessThan(40);
      expect(Math.abs((r.bench.median_itl_ms as number) - 5)).toBeLessThan(2);
    }
    const warm = (two.bench as { benchfleet?: { warmup?: { requests: number } } }).benchfleet?.warmup;
    expect(warm?.requests).toBe(8);
  }, 60_000);

  it("reports the threads' progress as one point's: done of the whole point's total", async () => {
    const seen: LoadProgress[] = [];
    const r = await runLoadPoint({
      ...common,
      baseUrl: f.url,
      workers: 2,
      progressIntervalMs: 20,
      onProgress: (p) => seen.push(p),
    });
    expect(r.status).toBe("ok");
    const run = seen.filter((p) => p.phase === "run");
    expect(run.length).toBeGreaterThan(0);
    for (const p of run) {
      expect(p.total).toBe(64);
      expect(p.done).toBeLessThanOrEqual(64);
    }
    // the sum of both threads' counts: past one thread's share (32) before the end
    expect(Math.max(...run.map((p) => p.done))).toBeGreaterThan(32);
  }, 60_000);

  it("refuses more workers than concurrency, and multi-turn on workers", async () => {
    await expect(runLoadPoint({ ...common, baseUrl: f.url, workers: 32 })).rejects.toThrow(
      /must not exceed the concurrency/,
    );
    await expect(
      runLoadPoint({
        ...common,
        baseUrl: f.url,
        workers: 2,
        endpoint: "/v1/chat/completions",
        multiTurn: { turns: 2, thinkTimeMs: 0 },
      }),
    ).rejects.toThrow(/multi-turn conversations run on one thread/);
  });
});
