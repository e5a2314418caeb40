import type { LoadPoint } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type FixtureServer, startFixtureServer } from "./loadgen/fixture-server.js";
import { agenticSettings, loadgenPointRunner, promptSettings, workersFor } from "./workloads.js";

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

describe("a point's prompts and endpoint", () => {
  const point: LoadPoint = { concurrency: 4, isl: 1024, osl: 128 };
  const o = { api: "completions" as const, model: "org/M", point };
  it("lab prompts by default where the agent found the model's tokenizer, the template rendered by the client", () => {
    expect(promptSettings({ ...o, tokenizerDir: "/t" })).toEqual({
      endpoint: "/v1/completions",
      promptFormat: "lab",
      modelTokenizerDir: "/t",
    });
    expect(promptSettings({ ...o, tokenizerDir: "/t", point: { ...point, useChatTemplate: true } })).toEqual({
      endpoint: "/v1/completions",
      promptFormat: "lab",
      modelTokenizerDir: "/t",
      clientTemplate: "model",
    });
    const dsv4 = { ...point, useChatTemplate: true, chatEncoding: "dsv4" as const };
    expect(promptSettings({ ...o, tokenizerDir: "/t", point: dsv4 }).clientTemplate).toBe("dsv4");
  });
  it("a recipe that serves chat only: lab prompts as the user turn, the server's template", () => {
    expect(
      promptSettings({ ...o, api: "chat", tokenizerDir: "/t", point: { ...point, useChatTemplate: true } }),
    ).toEqual({ endpoint: "/v1/chat/completions", promptFormat: "lab", modelTokenizerDir: "/t" });
  });
  it("a script whose lab client sends chat (--backend openai-chat): lab prompts as the user turn", () => {
    const chat = { ...point, clientBackend: "openai-chat" as const };
    expect(promptSettings({ ...o, tokenizerDir: "/t", point: chat })).toEqual({
      endpoint: "/v1/chat/completions",
      promptFormat: "lab",
      modelTokenizerDir: "/t",
    });
    expect(promptSettings({ ...o, point: chat })).toEqual({ endpoint: "/v1/chat/completions" });
  });
  it("token ids without a tokenizer or when the point asks for them; the chat template then on the chat endpoint", () => {
    expect(promptSettings(o)).toEqual({ endpoint: "/v1/completions" });
    expect(promptSettings({ ...o, point: { ...point, useChatTemplate: true } })).toEqual({
      endpoint: "/v1/chat/completions",
    });
    expect(promptSettings({ ...o, tokenizerDir: "/t", point: { ...point, prompts: "token-ids" } })).toEqual({
      endpoint: "/v1/completions",
    });
  });
  it("a point that asks for lab prompts where no tokenizer was found fails, naming the model", () => {
    expect(() => promptSettings({ ...o, modelId: "org/Model-X", point: { ...point, prompts: "lab" } })).toThrow(
      /lab prompts, but this agent found no tokenizer for org\/Model-X/,
    );
  });
  it("agentic points replay the trace's text on the chat endpoint", () => {
    expect(promptSettings({ ...o, tokenizerDir: "/t", agentic: { durationS: 60 } })).toEqual({
      endpoint: "/v1/chat/completions",
    });
  });
});

describe("an agentic point's client settings", () => {
  const point: LoadPoint = { concurrency: 8, isl: 0, osl: 0, durationS: 3600 };
  it("the lab's defaults where the point carries none", () => {
    expect(agenticSettings(point, 3600, undefined)).toEqual({
      agentic: {
        trace: { synthetic: { seed: 42, trajectories: 393 } },
        durationS: 3600,
        graceS: 30,
        gapCapS: 300,
        warmupRequestsPerLane: 10,
        warmupGraceS: 1800,
        liveFailureThreshold: 0.1,
      },
      maxFailureFraction: 0.1,
      seed: 42,
    });
  });
  it("the script's env as the point carries it; fast mode shortens the run and the warm-up", () => {
    const withEnv = {
      ...point,
      agenticClient: { warmupGraceS: 3600, liveFailureThreshold: 0.25, failureThreshold: 0.05 },
    };
    const a = agenticSettings(withEnv, 3600, { file: "t.jsonl" });
    expect(a.agentic).toMatchObject({ trace: { file: "t.jsonl" }, warmupGraceS: 3600, liveFailureThreshold: 0.25 });
    expect(a.maxFailureFraction).toBe(0.05);
    expect(a.extraBody).toBeUndefined();
    const thinking = agenticSettings({ ...point, agenticClient: { extraInputs: { thinking: true } } }, 3600, undefined);
    expect(thinking.extraBody).toEqual({ thinking: true });
    const fast = agenticSettings({ ...point, agenticClient: { fast: true } }, 3600, undefined).agentic!;
    expect([fast.durationS, fast.warmupRequestsPerLane]).toEqual([1200, 1]);
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

  it("the warm-up rate and a connection per request reach the load generator and the stored point", async () => {
    const { result, requests } = await run(
      { concurrency: 2, isl: 64, osl: 4, warmupsPerConc: 2, warmupRequestRate: 500, freshConnections: true },
      4,
    );
    expect(result.status).toBe("ok");
    const connections = ((await (await fetch(`${fixture!.url}/stats`)).json()) as { connections: number }).connections;
    // 4 measured prompts and 2 × 2 warm-ups, each on its own connection (plus the /stats one)
    expect(requests).toBe(8);
    expect(connections).toBeGreaterThanOrEqual(8);
    expect(result.point).toEqual({
      concurrency: 2,
      isl: 64,
      osl: 4,
      warmupsPerConc: 2,
      warmupRequestRate: 500,
      freshConnections: true,
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
