/**
 * Lab prompts against the emulated engine counting with the same tokenizer (configs/tokenizers/emulated):
 * every stored prompt-token count is the lab's — the drawn length plus the template's tokens where
 * the prompt settled, the client's own count where ten rounds did not — on both endpoints.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configsDir } from "../configs-dir.js";
import { startEmulator } from "../emulator/server.js";
import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import { lengthRange } from "./prompts.js";
import { runLoadPoint } from "./run-load-point.js";

const EMULATED = join(configsDir(), "tokenizers", "emulated");

async function point(o: { endpoint: "/v1/completions" | "/v1/chat/completions"; clientTemplate?: "model" }) {
  const emu = await startEmulator({ sku: "h200", model: "llama3-8b", timeScale: 0.02, tokenizer: EMULATED });
  try {
    return await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 400,
      osl: 8,
      concurrency: 4,
      numPrompts: 32,
      warmups: 0,
      seed: 3,
      timing: "engine",
      saveDetailed: true,
      promptFormat: "lab",
      modelTokenizerDir: EMULATED,
      ...o,
    });
  } finally {
    await emu.close();
  }
}

type Block = {
  prompts: {
    format: string;
    lab: { templateTokens: number; unsettled: number; built: number };
    promptTokenMismatch: { requests: number; exact: number };
  };
};

describe("lab prompts on the emulated engine", () => {
  it("/v1/completions with the client's chat template: the server counts the lab's lengths", async () => {
    const res = await point({ endpoint: "/v1/completions", clientTemplate: "model" });
    expect(res.status).toBe("ok");
    const block = res.bench.benchfleet as Block;
    const t = block.prompts.lab.templateTokens;
    expect(t).toBe(loadModelTokenizer(EMULATED).encode("<|bos|><|user|>\na<|end|>\n<|assistant|>\n").length - 1);
    expect(block.prompts.format).toBe("lab");
    const lens = res.bench.input_lens!;
    expect(lens).toHaveLength(32);
    // the lab's rule: a length drawn in [floor((ISL - T) × 0.8), ISL - T], then the template's T tokens
    const body = lengthRange(400 - t, 0.8);
    const settled = 32 - block.prompts.lab.unsettled;
    expect(block.prompts.promptTokenMismatch).toMatchObject({ requests: 32, exact: settled });
    expect(settled).toBeGreaterThanOrEqual(29);
    expect(lens.filter((n) => n >= body.min + t && n <= 400).length).toBeGreaterThanOrEqual(settled);
    expect(res.bench.total_input_tokens).toBe(lens.reduce((a, b) => a + b, 0));
  });

  it("/v1/chat/completions: the prompt text as the user turn, the server's template counted by the server", async () => {
    const res = await point({ endpoint: "/v1/chat/completions" });
    expect(res.status).toBe("ok");
    const block = res.bench.benchfleet as Block;
    expect(block.prompts.lab.templateTokens).toBe(0);
    const lens = res.bench.input_lens!;
    // the server adds its template's 7 tokens to each settled prompt's drawn length
    const body = lengthRange(400, 0.8);
    const settled = 32 - block.prompts.lab.unsettled;
    expect(settled).toBeGreaterThanOrEqual(29);
    expect(lens.filter((n) => n >= body.min + 7 && n <= 407).length).toBeGreaterThanOrEqual(settled);
    expect(block.prompts.promptTokenMismatch.exact).toBe(0);
  });
});
