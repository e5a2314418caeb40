/**
 * Random prompts of exact token length, deterministic from a seed.
 *
 * Lengths: two range-ratio conventions, both applied to ISL and OSL.
 *  - "floor" (default; the reference lab's and SGLang's): uniform integers in [floor(L*r), L], r in [0, 1];
 *    r = 1 gives fixed lengths, r = 0.8 gives [0.8L, L].
 *  - "vllm" (`vllm bench serve` since PR 16126): uniform in [floor(L*(1-r)), ceil(L*(1+r))], r in [0, 1).
 * Lengths are never below 1.
 *
 * Content: on /v1/completions the prompt is a list of token ids (`prompt: number[]`), so the server
 * sees exactly the drawn length without any tokenizer. For chat endpoints the prompt is text made of
 * words that are one token each; `textPrompt` returns the words for a target count and the chat
 * calibration maps a token target to a word count.
 * Prompt i is built from its own random stream (seed, i), so it does not depend on build order.
 */

import { Rng } from "@benchfleet/shared";
import { SINGLE_TOKEN_WORDS } from "./prompt-words.js";

export type RangeMode = "floor" | "vllm";

export interface LengthRange {
  min: number;
  max: number;
}

export function lengthRange(length: number, ratio: number, mode: RangeMode = "floor"): LengthRange {
  if (!Number.isInteger(length) || length < 1)
    throw new RangeError(`length must be a positive integer (got ${length})`);
  if (mode === "floor") {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`range ratio must be in [0, 1] (got ${ratio})`);
    return { min: Math.max(1, Math.floor(length * ratio)), max: length };
  }
  if (!(ratio >= 0 && ratio < 1))
    throw new RangeError(`range ratio must be in [0, 1) with --range-mode vllm (got ${ratio})`);
  return { min: Math.max(1, Math.floor(length * (1 - ratio))), max: Math.max(1, Math.ceil(length * (1 + ratio))) };
}

export interface PromptSpec {
  index: number;
  inputLen: number;
  outputLen: number;
}

/** Input and output lengths for n requests (drawn in order from one stream of the seed). */
export function sampleLengths(
  n: number,
  isl: number,
  osl: number,
  ratio: number,
  mode: RangeMode,
  seed: number,
): PromptSpec[] {
  const ir = lengthRange(isl, ratio, mode);
  const or = lengthRange(osl, ratio, mode);
  const rng = new Rng(seed, 0x1e9);
  const out: PromptSpec[] = [];
  for (let i = 0; i < n; i++)
    out.push({ index: i, inputLen: rng.int(ir.min, ir.max), outputLen: rng.int(or.min, or.max) });
  return out;
}

export interface VocabRange {
  /** lowest token id used (inclusive) */
  lo: number;
  /** highest token id used (inclusive) */
  hi: number;
}

/** Token ids below any model's special tokens and above byte/control tokens. */
export const DEFAULT_VOCAB: VocabRange = { lo: 1000, hi: 29999 };

export function tokenIdPrompt(
  seed: number,
  index: number,
  length: number,
  vocab: VocabRange = DEFAULT_VOCAB,
): number[] {
  const rng = Rng.forStream(seed, index);
  const ids = new Array<number>(length);
  for (let i = 0; i < length; i++) ids[i] = rng.int(vocab.lo, vocab.hi);
  return ids;
}

/** `words` random words joined by spaces, from the given word list (default: single-token words). */
export function textPrompt(
  seed: number,
  index: number,
  words: number,
  wordList: readonly string[] = SINGLE_TOKEN_WORDS,
): string {
  const rng = Rng.forStream(seed, index ^ 0x7e7);
  const parts = new Array<string>(words);
  for (let i = 0; i < words; i++) parts[i] = wordList[rng.int(0, wordList.length - 1)];
  return parts.join(" ");
}
