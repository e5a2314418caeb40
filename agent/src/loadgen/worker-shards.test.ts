/** The load generator on worker threads against a real fixture server process: same prompts, same counts. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import { runLoadPoint } from "./run-load-point.js";

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
