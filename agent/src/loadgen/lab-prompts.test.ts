import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configsDir } from "../configs-dir.js";
import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import { findTokenizerDir, hubCaches } from "../tokenizer/tokenizer-dir.js";
import { dsv4Encoding } from "./dsv4-encoding.js";
import { prepareLabPrompts } from "./lab-prompt-set.js";
import { bodyLength, labPrompt, type PromptTokenizer, templateTokens } from "./lab-prompts.js";
import { resolveLoadSettings } from "./load-settings.js";
import { NumpyRandomState } from "./numpy-random.js";
import { lengthRange } from "./prompts.js";

/** the emulated model's tokenizer (a byte-level BPE written for benchfleet, configs/tokenizers/emulated) */
const EMULATED = join(configsDir(), "tokenizers", "emulated");
const tmp = mkdtempSync(join(tmpdir(), "lab-prompts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** a tokenizer where every id is one word "t<id>": decoding and re-encoding keep the ids */
const words: PromptTokenizer = {
  vocabSize: 50,
  encode: (text) => (text ? text.split(" ").map((w) => Number(w.slice(1))) : []),
  decode: (ids) => ids.map((i) => `t${i}`).join(" "),
};

describe("the model's tokenizer", () => {
  const tok = loadModelTokenizer(EMULATED);
  it("loads tokenizer.json and tokenizer_config.json; the vocabulary excludes added tokens", () => {
    expect(tok.vocabSize).toBe(6256);
    const text = "the model keeps writing plain words, bakudo";
    const ids = tok.encode(text);
    // merged pieces, not one token per byte
    expect(ids.length).toBeGreaterThan(6);
    expect(ids.length).toBeLessThan(text.length / 2);
    expect(tok.decode(ids)).toBe(text);
  });
  it("renders the chat template for one user message with the generation prompt", () => {
    expect(tok.chatTemplate?.("hi")).toBe("<|bos|><|user|>\nhi<|end|>\n<|assistant|>\n");
    // the template's tokens: all but the "a" of the dummy message (the lab's chat_template_len)
    expect(templateTokens(tok, tok.chatTemplate)).toBe(7);
  });
  it("names the file and the line and column of bad JSON", () => {
    const dir = join(tmp, "bad-json");
    mkdirSync(dir);
    writeFileSync(join(dir, "tokenizer.json"), '{\n  "model": {\n    "vocab": {"a": 0,}\n  }\n}\n');
    expect(() => loadModelTokenizer(dir)).toThrow(/bad-json\/tokenizer\.json:3:22: not valid JSON/);
  });
  it("names the file of a tokenizer.json without a vocabulary", () => {
    const dir = join(tmp, "no-vocab");
    mkdirSync(dir);
    writeFileSync(join(dir, "tokenizer.json"), '{"model": {"type": "BPE"}}');
    expect(() => loadModelTokenizer(dir)).toThrow(/no-vocab\/tokenizer\.json:1:1: model\.vocab: .*tokenizer\.json/);
  });
  it("names a missing directory's tokenizer.json", () => {
    expect(() => loadModelTokenizer(join(tmp, "absent"))).toThrow(/absent\/tokenizer\.json:1:1: cannot read/);
  });
});

describe("lab prompts", () => {
  it("start from consecutive ids after the prompt's offset, shifted by its index (the lab's rule)", () => {
    for (const index of [0, 1, 7]) {
      const p = labPrompt(words, 5, { index, offset: 40 }, 30);
      const ids = words.encode(p.text);
      expect(ids).toHaveLength(30);
      expect(ids[0]).toBe((40 + index) % 50);
      for (let j = 1; j < ids.length; j++) expect(ids[j]).toBe((ids[j - 1]! + 1) % 50);
      expect(p.promptTokens).toBe(30);
    }
  });

  it("pad a prompt that re-encodes short with ids from its own stream, the same whatever was built before", () => {
    // a tokenizer whose decode drops the first id: every round comes back one short and is padded
    const lossy: PromptTokenizer = { ...words, decode: (ids) => words.decode(ids.slice(1)) };
    const a = labPrompt(lossy, 5, { index: 3, offset: 0 }, 20);
    labPrompt(lossy, 5, { index: 4, offset: 0 }, 20);
    expect(labPrompt(lossy, 5, { index: 3, offset: 0 }, 20)).toEqual(a);
    expect(labPrompt(lossy, 6, { index: 3, offset: 0 }, 20).text).not.toBe(a.text);
    // ten rounds never settle: the prompt is taken as it is (ids 3..22 less the first of each of 11
    // decodes, then the ten padding ids), its count the client's own
    expect(a.promptTokens).toBe(19);
    expect(words.encode(a.text).slice(0, 9)).toEqual([14, 15, 16, 17, 18, 19, 20, 21, 22]);
  });

  it("re-encode to the exact length with a real BPE, where decoding random ids does not round-trip", () => {
    const tok = loadModelTokenizer(EMULATED);
    let naiveOff = 0;
    let exact = 0;
    for (let index = 0; index < 40; index++) {
      const len = 50 + index * 13;
      const p = labPrompt(tok, 1, { index, offset: index * 31 }, len);
      expect(p.promptTokens).toBe(tok.encode(p.text).length);
      if (p.promptTokens === len) exact++;
      const naive = tok.decode(Array.from({ length: len }, (_, j) => (index * 31 + j) % tok.vocabSize));
      if (tok.encode(naive).length !== len) naiveOff++;
    }
    // the retries are what makes the length exact: plain decoded ids re-encode to other lengths. A
    // run of ids through the single bytes can decode to replacement characters whose bytes never
    // settle at the cut; the lab reports those as its token mismatch
    expect(naiveOff).toBeGreaterThan(30);
    expect(exact).toBeGreaterThanOrEqual(36);
  });

  it("wrap the text in the chat template last, landing on the drawn length plus the template's tokens", () => {
    const tok = loadModelTokenizer(EMULATED);
    const template = tok.chatTemplate!;
    const p = labPrompt(tok, 2, { index: 4, offset: 1000 }, 300, template);
    expect(p.text.startsWith("<|bos|><|user|>\n")).toBe(true);
    expect(p.text.endsWith("<|end|>\n<|assistant|>\n")).toBe(true);
    expect(p.promptTokens).toBe(300 + templateTokens(tok, template));
  });

  it("encode DeepSeek-V4's single user turn as the lab's encoding_dsv4 does in thinking mode", () => {
    expect(dsv4Encoding("a")).toBe("<｜begin▁of▁sentence｜><｜User｜>a<｜Assistant｜><think>");
  });

  it("refuse an ISL the template alone fills", () => {
    expect(bodyLength(1024, 7)).toBe(1017);
    expect(() => bodyLength(7, 7)).toThrow(/template alone takes 7 tokens: ISL 7 leaves no prompt text/);
  });
});

describe("a load point's lab prompts", () => {
  const base = { baseUrl: "http://127.0.0.1:1", model: "m", isl: 256, osl: 32, concurrency: 4, seed: 9 };
  it("draw lengths and offsets as numpy does in the lab's order, the template's tokens off the ISL", () => {
    const opts = {
      ...base,
      promptFormat: "lab" as const,
      modelTokenizerDir: EMULATED,
      clientTemplate: "model" as const,
      rangeRatio: 0.5,
    };
    const s = resolveLoadSettings(opts);
    const set = prepareLabPrompts(opts, s, [
      { seed: 9, n: 40 },
      { seed: 10, n: 8 },
    ]);
    const t = set.lab.summary.templateTokens;
    expect(t).toBe(7);
    const body = lengthRange(256 - t, 0.5);
    const np = new NumpyRandomState(9);
    expect(set.specs.map((p) => p.inputLen - t)).toEqual(np.randint(body.min, body.max + 1, 40));
    expect(set.specs.map((p) => p.outputLen)).toEqual(np.randint(16, 33, 40));
    for (const p of set.specs) {
      expect(p.inputLen).toBeGreaterThanOrEqual(body.min + t);
      expect(p.inputLen).toBeLessThanOrEqual(256);
    }
    // warm-ups send the first prompt again and again, as the lab's client does
    expect(set.warmSpecs.map((w) => [w.inputLen, w.outputLen])).toEqual(
      Array(8).fill([set.specs[0]!.inputLen, set.specs[0]!.outputLen]),
    );
    expect(set.lab.text(10, 5)).toBe(set.lab.text(9, 0));
    expect(set.lab.summary).toMatchObject({ built: 40, clientTemplate: "model" });
    const tok = loadModelTokenizer(EMULATED);
    const off = set.specs.filter((p) => tok.encode(set.lab.text(9, p.index)).length !== p.inputLen);
    expect(set.lab.summary.unsettled).toBe(off.length);
    expect(off.length).toBeLessThanOrEqual(4);
    expect(() => set.lab.text(9, 40)).toThrow(/was not built/);
  });

  it("build only a worker thread's share", () => {
    const opts = { ...base, promptFormat: "lab" as const, modelTokenizerDir: EMULATED, shard: { index: 1, count: 3 } };
    const set = prepareLabPrompts(opts, resolveLoadSettings(opts), [
      { seed: 9, n: 30 },
      { seed: 10, n: 0 },
    ]);
    expect(set.lab.summary.built).toBe(10);
    expect(() => set.lab.text(9, 0)).toThrow(/was not built/);
    expect(set.lab.text(9, 1).length).toBeGreaterThan(0);
  });

  it("refuse settings that do not go together, naming them", () => {
    expect(() => resolveLoadSettings({ ...base, promptFormat: "lab" })).toThrow(/tokenizer directory/);
    expect(() => resolveLoadSettings({ ...base, clientTemplate: "dsv4" })).toThrow(/needs lab prompts/);
    expect(() =>
      resolveLoadSettings({
        ...base,
        promptFormat: "lab",
        modelTokenizerDir: EMULATED,
        endpoint: "/v1/chat/completions",
        clientTemplate: "model",
      }),
    ).toThrow(/chat endpoint applies the server's/);
  });
});

describe("the tokenizer of a served model", () => {
  it("is found in a Hugging Face hub cache, the revision refs/main names first", () => {
    const cache = join(tmp, "hub");
    const repo = join(cache, "models--org--Model-X");
    for (const rev of ["aaa", "bbb"]) {
      mkdirSync(join(repo, "snapshots", rev), { recursive: true });
      writeFileSync(join(repo, "snapshots", rev, "tokenizer.json"), "{}");
    }
    mkdirSync(join(repo, "refs"));
    writeFileSync(join(repo, "refs", "main"), "bbb\n");
    expect(findTokenizerDir("org/Model-X", [join(tmp, "elsewhere"), cache])).toBe(join(repo, "snapshots", "bbb"));
    expect(findTokenizerDir("org/Other", [cache])).toBeUndefined();
    // a model given as a directory is its own tokenizer's directory
    expect(findTokenizerDir(join(repo, "snapshots", "aaa"), [])).toBe(join(repo, "snapshots", "aaa"));
  });
  it("looks in --hf-cache, then HF_HUB_CACHE, then HF_HOME/hub", () => {
    const caches = hubCaches("/c", { HF_HUB_CACHE: "/h", HF_HOME: "/home/hf" });
    expect(caches.slice(0, 3)).toEqual(["/c", "/h", "/home/hf/hub"]);
  });
});
