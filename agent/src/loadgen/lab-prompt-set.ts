/**
 * The lab prompts of one load point, built before any request is sent (as the lab's client does):
 * the model's tokenizer is loaded from its directory, the lengths drawn with the template's tokens
 * taken off the ISL, and the texts built for the prompts this thread sends. A spec's `inputLen` is
 * the prompt's whole target (drawn length plus the template's tokens): what the server should count.
 */

import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import { dsv4Encoding } from "./dsv4-encoding.js";
import { bodyLength, type ChatEncoding, labPrompt, templateTokens } from "./lab-prompts.js";
import type { LoadPointOptions } from "./load-options.js";
import type { LoadSettings } from "./load-settings.js";
import { type PromptSpec, sampleLengths } from "./prompts.js";

/** what the stored point says of its lab prompts */
export interface LabPromptSummary {
  tokenizer: string;
  clientTemplate?: "model" | "dsv4";
  /** tokens the client-side template adds (taken off the ISL before lengths are drawn) */
  templateTokens: number;
  /**
   * prompts whose text does not re-encode to its target (the lab's token mismatch) and prompts
   * built; absent when worker threads built them (each its share): the records' mismatch still shows
   */
  unsettled?: number;
  built?: number;
}

export interface LabPrompts {
  summary: LabPromptSummary;
  text(streamSeed: number, index: number): string;
}

interface LabPromptSet {
  specs: PromptSpec[];
  warmSpecs: PromptSpec[];
  cal: undefined;
  words: undefined;
  lab: LabPrompts;
}

export function prepareLabPrompts(
  opts: LoadPointOptions,
  s: LoadSettings,
  streams: [measured: { seed: number; n: number }, warmup: { seed: number; n: number }],
): LabPromptSet {
  const tok = loadModelTokenizer(opts.modelTokenizerDir!);
  let template: ChatEncoding | undefined;
  if (opts.clientTemplate === "dsv4") template = dsv4Encoding;
  else if (opts.clientTemplate === "model") {
    template = tok.chatTemplate;
    if (!template)
      throw new Error(`${tok.dir}: the tokenizer has no chat template (tokenizer_config.json chat_template)`);
  }
  const tLen = templateTokens(tok, template);
  const body = bodyLength(opts.isl, tLen);
  const draw = (seed: number, n: number) =>
    sampleLengths(n, body, opts.osl, s.ratio, s.mode, seed).map((p) => ({ ...p, inputLen: p.inputLen + tLen }));
  const [measured, warm] = streams;
  const specs = draw(measured.seed, measured.n);
  const warmSpecs = draw(warm.seed, warm.n);
  const texts = new Map<string, string>();
  let unsettled = 0;
  // a parent that hands the point to worker threads sends none itself
  const sends = (i: number) => s.threads === 1 && (!opts.shard || i % opts.shard.count === opts.shard.index);
  for (const [seed, list] of [
    [measured.seed, specs],
    [warm.seed, warmSpecs],
  ] as const)
    for (const p of list) {
      if (!sends(p.index)) continue;
      const built = labPrompt(tok, seed, p, p.inputLen - tLen, template);
      if (built.promptTokens !== p.inputLen) unsettled++;
      texts.set(`${seed}:${p.index}`, built.text);
    }
  return {
    specs,
    warmSpecs,
    cal: undefined,
    words: undefined,
    lab: {
      summary: {
        tokenizer: tok.dir,
        ...(opts.clientTemplate ? { clientTemplate: opts.clientTemplate } : {}),
        templateTokens: tLen,
        ...(s.threads === 1 ? { unsettled, built: texts.size } : {}),
      },
      text: (streamSeed, index) => {
        const t = texts.get(`${streamSeed}:${index}`);
        if (t === undefined) throw new Error(`lab prompt ${index} of stream ${streamSeed} was not built`);
        return t;
      },
    },
  };
}
