import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configsDir } from "./model-spec.js";
import { type EmulatorHandle, startEmulator } from "./server.js";
import { streamRequest } from "./stream-client.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % 32000);

describe("emulator server: OpenAI-compatible surface", () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({
      sku: "h100",
      model: "llama3-8b",
      precision: "bf16",
      timeScale: 0.05,
      servedModelName: "emu-llama",
    });
  });
  afterAll(async () => emu.close());

  it("streams chat with a role-only first chunk, content chunks, the usage trailer and [DONE]", async () => {
    const r = await streamRequest(`${emu.url}/v1/chat/completions`, {
      model: "emu-llama",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "say some words please" },
      ],
      max_tokens: 6,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.status).toBe(200);
    expect(r.headers["x-benchfleet-emulated"]).toBe("1");
    expect(r.headers["x-benchfleet-time-scale"]).toBe("0.05");
    expect(r.done).toBe(true);
    const first = r.events[0]!.data as { choices: Array<{ delta: Record<string, unknown> }> };
    expect(first.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(r.tokenTimes.length).toBe(6);
    expect(r.usage).toEqual({ prompt_tokens: 6, completion_tokens: 6, total_tokens: 12 });
    const last = r.events.at(-1)!.data as { choices: unknown[]; benchfleet: { emulated: boolean } };
    expect(last.choices).toEqual([]);
    expect(last.benchfleet.emulated).toBe(true);
    const final = r.events.at(-2)!.data as { choices: Array<{ finish_reason: string }> };
    expect(final.choices[0]!.finish_reason).toBe("length");
  });

  it("takes token-id prompts; max_tokens, min_tokens, ignore_eos give exact output lengths", async () => {
    const r = await streamRequest(`${emu.url}/v1/completions`, {
      model: "anything",
      prompt: ids(300),
      max_tokens: 40,
      min_tokens: 40,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(r.usage).toEqual({ prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 });
    expect(r.tokenTimes.length).toBe(40);
    expect((r.events[0]!.data as { model: string }).model).toBe("anything");
    const nonStream = await streamRequest(`${emu.url}/v1/completions`, {
      model: "m",
      prompt: "one two three",
      max_tokens: 5,
    });
    const body = nonStream.body as {
      object: string;
      choices: Array<{ text: string; finish_reason: string }>;
      usage: Record<string, number>;
    };
    expect(body.object).toBe("text_completion");
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    expect(body.choices[0]!.text.trim().split(/\s+/).length).toBe(5);
  });

  it("answers a 5-shot GSM8K prompt with `#### N` and stops (non-streaming chat too)", async () => {
    const row = JSON.parse(readFileSync(`${configsDir()}datasets/gsm8k/test.jsonl`, "utf8").split("\n")[3]!) as {
      question: string;
      answer: string;
    };
    const final = /#### (.+)$/.exec(row.answer)![1];
    const emu2 = await startEmulator({ fixedDelay: { ttftMs: 1, itlMs: 0 }, accuracy: 1 });
    try {
      const r = await streamRequest(`${emu2.url}/v1/completions`, {
        prompt: `Question: ${row.question}\nAnswer:`,
        max_tokens: 512,
        stop: ["Question:"],
        stream: true,
      });
      expect(r.text.trim().endsWith(`#### ${final}`)).toBe(true);
      const finish = (r.events.at(-1)!.data as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason;
      expect(finish).toBe("stop");
      const c = await streamRequest(`${emu2.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: row.question }],
        max_tokens: 512,
      });
      const msg = (c.body as { choices: Array<{ message: { role: string; content: string } }> }).choices[0]!.message;
      expect(msg.role).toBe("assistant");
      expect(msg.content.endsWith(`#### ${final}`)).toBe(true);
    } finally {
      await emu2.close();
    }
  });

  it("serves /health, /v1/models (marked emulated) and Prometheus /metrics", async () => {
    expect((await fetch(`${emu.url}/health`)).status).toBe(200);
    const models = (await (await fetch(`${emu.url}/v1/models`)).json()) as { data: Array<Record<string, unknown>> };
    expect(models.data[0]).toMatchObject({
      id: "emu-llama",
      owned_by: "benchfleet-emulator",
      benchfleet: { emulated: true, sku: "h100", model: "llama3-8b" },
    });
    const metrics = await (await fetch(`${emu.url}/metrics`)).text();
    for (const name of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:kv_cache_usage_perc",
      "vllm:generation_tokens_total",
    ]) {
      expect(metrics).toMatch(new RegExp(`^${name}\\{model_name="emu-llama"\\} [0-9.e-]+$`, "m"));
    }
    expect(Number(/^vllm:generation_tokens_total\{[^}]*\} (\d+)/m.exec(metrics)![1])).toBeGreaterThan(40);
  });

  it("rejects bad requests with a clear 400", async () => {
    const bad = await streamRequest(`${emu.url}/v1/completions`, { prompt: "x", max_tokens: -1 });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/max_tokens/);
    const long = await streamRequest(`${emu.url}/v1/completions`, { prompt: ids(10), max_tokens: 200_000 });
    expect(long.status).toBe(400);
    expect((long.body as { message: string }).message).toMatch(/maximum context length is 131072/);
    const notJson = await fetch(`${emu.url}/v1/completions`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${emu.url}/nope`)).status).toBe(404);
  });
});
