/**
 * The emulator's tokenizer: one token per whitespace-separated word. Exact for prompts the load
 * generator builds from words, deterministic for any text. Token-id prompts count their ids.
 * Chat prompts count the words of every message's text content (no chat-template overhead).
 * Output tokens are word pieces that keep their leading whitespace, so joining them rebuilds the text.
 */

export function countTextTokens(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n++;
  return n;
}

/** Splits text into word tokens, each with the whitespace before it. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** Words of generic output: no digits (GSM8K flexible extraction takes the last number) and no colons. */
const FILLER = (
  "the model keeps writing plain words here so that each piece counts as exactly one token and " +
  "nothing in this stream looks like an answer or a stop marker while load is measured"
).split(" ");

/** `n` filler tokens starting at position `from` (deterministic). */
export function fillerTokens(n: number, from = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(` ${FILLER[(from + i) % FILLER.length]}`);
  return out;
}

export interface OutputRequest {
  /** the natural answer, if the oracle has one (ends with EOS) */
  answer?: string;
  maxTokens: number;
  minTokens: number;
  ignoreEos: boolean;
  stop: string[];
}

export interface PlannedOutput {
  tokens: string[];
  finishReason: "stop" | "length";
}

/**
 * Decides the whole response up front: the oracle's answer (then EOS) or filler until max_tokens;
 * EOS is ignored with ignore_eos and before min_tokens (filler continues); stop strings cut the text.
 */
export function planOutput(r: OutputRequest): PlannedOutput {
  const answer = r.answer === undefined ? undefined : splitTokens(r.answer);
  let tokens: string[];
  let finishReason: "stop" | "length";
  if (answer === undefined) {
    tokens = fillerTokens(r.maxTokens);
    finishReason = "length";
  } else if (r.ignoreEos) {
    tokens = [...answer, ...fillerTokens(Math.max(0, r.maxTokens - answer.length))].slice(0, r.maxTokens);
    finishReason = "length";
  } else {
    const target = Math.max(r.minTokens, answer.length);
    tokens = [...answer, ...fillerTokens(Math.max(0, target - answer.length))].slice(0, r.maxTokens);
    finishReason = target > r.maxTokens ? "length" : "stop";
  }
  if (r.stop.length > 0) {
    const cut = cutAtStop(tokens, r.stop, r.minTokens);
    if (cut !== undefined) return { tokens: tokens.slice(0, cut.keep), finishReason: "stop" };
  }
  return { tokens, finishReason };
}

/** First stop string occurrence at or after min_tokens: keep the tokens wholly before it. */
function cutAtStop(tokens: string[], stop: string[], minTokens: number): { keep: number } | undefined {
  let text = "";
  const ends: number[] = [];
  for (const t of tokens) {
    text += t;
    ends.push(text.length);
  }
  let best = -1;
  for (const s of stop) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  if (best < 0) return undefined;
  let keep = 0;
  while (keep < ends.length && ends[keep]! <= best) keep++;
  return keep >= minTokens ? { keep } : undefined;
}
