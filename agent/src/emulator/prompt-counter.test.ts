import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configsDir } from "../configs-dir.js";
import { emulatedCommand } from "../launchers/emulated.js";
import type { LaunchContext } from "../launchers/launcher.js";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import { promptCounter } from "./prompt-counter.js";

const EMULATED = join(configsDir(), "tokenizers", "emulated");
const tmp = mkdtempSync(join(tmpdir(), "prompt-counter-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the emulated engine's prompt counts", () => {
  it("without a tokenizer: a token per word, chat messages' words summed", () => {
    const c = promptCounter(undefined);
    expect(c.countText("one two  three")).toBe(3);
    expect(c.countChat).toBeUndefined();
  });

  it("with the model's tokenizer: completions as encoded, chat through the chat template", () => {
    const c = promptCounter(EMULATED);
    const tok = loadModelTokenizer(EMULATED);
    const text = " gumo guta guto gales ganeno";
    expect(c.countText(text)).toBe(tok.encode(text).length);
    // <|bos|><|user|>\n … <|end|>\n<|assistant|>\n: the text's tokens and the template's 7
    expect(c.countChat!([{ role: "user", content: text }])).toBe(tok.encode(text).length + 7);
  });

  it("a tokenizer whose post-processor adds BOS: completions count it, as vLLM's do", () => {
    const dir = join(tmp, "with-bos");
    mkdirSync(dir);
    const json = JSON.parse(readFileSync(join(EMULATED, "tokenizer.json"), "utf8"));
    const bos = json.added_tokens.find((t: { content: string }) => t.content === "<|bos|>");
    json.post_processor = {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<|bos|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<|bos|>": { id: "<|bos|>", ids: [bos.id], tokens: ["<|bos|>"] } },
    };
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(json));
    writeFileSync(join(dir, "tokenizer_config.json"), readFileSync(join(EMULATED, "tokenizer_config.json")));
    const text = " gumo guta guto";
    expect(promptCounter(dir).countText(text)).toBe(promptCounter(EMULATED).countText(text) + 1);
  });
});

describe("the emulated launcher", () => {
  const ctx: LaunchContext = {
    attemptId: "a",
    deployment: makeDeployment(),
    vendor: "nvidia",
    attemptDir: tmp,
    onLine: () => {},
  };
  const spec = processSpec({ name: "engine", argv: ["vllm", "serve", "m"], ports: { http: 8000 } });
  it("gives the engine the tokenizer its agent found for the deployment's model", () => {
    const seen: string[] = [];
    const withTok = emulatedCommand(spec, ctx, {
      command: ["emu"],
      tokenizerFor: (model) => {
        seen.push(model);
        return "/hub/snap";
      },
    });
    expect(seen).toEqual([ctx.deployment.model]);
    const i = withTok.args.indexOf("--tokenizer");
    expect(withTok.args[i + 1]).toBe("/hub/snap");
    const without = emulatedCommand(spec, ctx, { command: ["emu"], tokenizerFor: () => undefined });
    expect(without.args).not.toContain("--tokenizer");
  });
});
