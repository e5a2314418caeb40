import type { LoadPoint } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureServer, startFixtureServer } from "./loadgen/fixture-server.js";
import { loadgenPointRunner, workersFor } from "./workloads.js";

describe("load generator threads per point", () => {
  it("one thread per 64 streams, at most a quarter of the node's cores", () => {
    expect(workersFor(1, 64)).toBe(1);
    expect(workersFor(64, 64)).toBe(1);
    expect(workersFor(127, 64)).toBe(1);
    expect(workersFor(256, 64)).toBe(4);
    expect(workersFor(256, 16)).toBe(4);
    expect(workersFor(1024, 16)).toBe(4);
    expect(workersFor(1024, 224)).toBe(16);
    expect(workersFor(4096, 8)).toBe(2);
    expect(workersFor(1024, 2)).toBe(1);
    expect(workersFor(1024, 1)).toBe(1);
  });
});

describe("a load point's recipe settings reach the load generator", () => {
  let fixture: FixtureServer | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  const run = async (point: LoadPoint, numPrompts: number) => {
    fixture = await startFixtureServer({ ttftMs: 1, itlMs: 1 });
    const result = await loadgenPointRunner({
      baseUrl: fixture.url,
      model: "m",
      api: "completions",
      point,
      numPrompts,
      gpus: { total: 8, prefill: 4, decode: 4 },
      emulated: false,
      signal: new AbortController().signal,
    });
    return { result, requests: fixture.requests() };
  };

  it("request rate, warm-ups per concurrency and the range ratio on the completions endpoint", async () => {
    const { result, requests } = await run(
      { concurrency: 2, isl: 64, osl: 4, requestRate: 40, warmupsPerConc: 1, rangeRatio: 1 },
      6,
    );
    expect(result.status).toBe("ok");
    const bench = result.bench as unknown as Record<string, unknown>;
    expect(bench.endpoint_type).toBe("openai");
    expect(bench.request_rate).toBe(40);
    expect(bench.num_prompts).toBe(6);
    // 6 measured prompts and 1 × 2 warm-ups; a ratio of 1 draws every prompt at the full ISL
    expect(requests).toBe(8);
    expect(bench.total_input_tokens).toBe(6 * 64);
    // the stored point carries the settings it ran with
    expect(result.point).toEqual({
      concurrency: 2,
      isl: 64,
      osl: 4,
      requestRate: 40,
      warmupsPerConc: 1,
      rangeRatio: 1,
    });
  });

  it("a point through the chat template goes to the chat endpoint; no warm-ups when it says 0", async () => {
    const { result, requests } = await run(
      { concurrency: 2, isl: 64, osl: 4, useChatTemplate: true, warmupsPerConc: 0 },
      4,
    );
    expect(result.status).toBe("ok");
    const bench = result.bench as unknown as Record<string, unknown>;
    expect(bench.endpoint_type).toBe("openai-chat");
    expect(result.point).toEqual({ concurrency: 2, isl: 64, osl: 4, useChatTemplate: true, warmupsPerConc: 0 });
    expect(bench.request_rate).toBe("inf");
    // 4 measured prompts and the two calibration probes of text prompts
    expect(requests).toBe(6);
  });
});
