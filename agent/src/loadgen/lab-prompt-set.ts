/**
 * The lab prompts of one load point, built before any request is sent (as the lab's client does):
 * the model's tokenizer is loaded from its directory; input lengths (the template's tokens taken
 * off the ISL), output lengths and offsets are drawn in the lab's order from numpy's generator
 * seeded with the point's seed (the lab's `--seed`, 0 by default), so a point of the lab's
 * num_prompts draws the lab's very lengths; the texts are built for the prompts this thread sends.
 * Warm-ups send the first prompt again and again, as the lab's client does. A spec's `inputLen` is
 * the prompt's whole target (drawn length plus the template's tokens): what the server should count.
 */
import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import { dsv4Encoding } from "./dsv4-encoding.js";
import { bodyLength, type ChatEncoding, labPrompt, templateTokens } from "./lab-prompts.js";
import type { LoadPointOptions } from "./load-options.js";
import type { LoadSettings } from "./load-settings.js";
import { NumpyRandomState } from "./numpy-random.js";
import { lengthRange, type PromptSpec } from "./prompts.js";

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
  const [measured, warm] = streams;
  const n = measured.n;
  // the lab's draws, in its order: input lengths, output lengths, offsets (no prefix: --random-prefix-len 0)
  const np = new NumpyRandomState(measured.seed >>> 0);
  const inR = lengthRange(body, s.ratio, s.mode);
  const outR = lengthRange(opts.osl, s.ratio, s.mode);
  const inputs = np.randint(inR.min, inR.max + 1, n);
  const outputs = np.randint(outR.min, outR.max + 1, n);
  const offsets = np.randint(0, tok.vocabSize, n);
  const specs: PromptSpec[] = inputs.map((len, i) => ({ index: i, inputLen: len + tLen, outputLen: outputs[i]! }));
  const warmSpecs: PromptSpec[] = Array.from({ length: warm.n }, (_, k) => ({ ...specs[0]!, index: k }));

  const texts = new Map<number, string>();
  let unsettled = 0;
  const mine = (i: number) => !opts.shard || i % opts.shard.count === opts.shard.index;
  // a parent that hands the point to worker threads sends none itself
  const build = (i: number) => {
    if (texts.has(i)) return;
    const p = specs[i]!;
    const built = labPrompt(tok, measured.seed, { index: i, offset: offsets[i]! }, p.inputLen - tLen, template);
    if (built.promptTokens !== p.inputLen) unsettled++;
    texts.set(i, built.text);
  };
  if (s.threads === 1) {
    for (let i = 0; i < n; i++) if (mine(i)) build(i);
    if (warmSpecs.some((w) => mine(w.index))) build(0);
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
        const i = streamSeed === warm.seed && streamSeed !== measured.seed ? 0 : index;
        const t = texts.get(i);
        if (t === undefined) throw new Error(`lab prompt ${i} was not built on this thread`);
        return t;
      },
    },
  };
}
