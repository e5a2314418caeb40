/**
 * Exact input length for text prompts without a tokenizer: text is made of single-token words, and
 * two probe requests (max_tokens 1) measure the server's count: `usage.prompt_tokens` for a and for
 * b words gives tokens per word (slope) and the template overhead (intercept). A target of L tokens
 * then becomes round((L - overhead) / slope) words; each request's `usage.prompt_tokens` is kept
 * and the mismatch against the target is reported.
 * A local `tokenizer.json` (HF format) can supply the word list: words that are one vocabulary
 * token with their leading-space marker (Ġ / ▁). Nothing is downloaded.
 */
import { readFileSync } from "node:fs";
import { type Dispatcher, request } from "undici";
import { textPrompt } from "./prompts.js";
import { buildBody, type Endpoint } from "./request-body.js";

export interface Calibration {
  overhead: number;
  tokensPerWord: number;
}

/** words needed for a target token count (never below 1) */
export function wordsForTokens(target: number, cal: Calibration): number {
  return Math.max(1, Math.round((target - cal.overhead) / cal.tokensPerWord));
}

/** the line through two probes (a words → pa tokens, b words → pb tokens) */
export function fitCalibration(a: number, pa: number, b: number, pb: number): Calibration {
  if (b === a) throw new Error("calibration needs two different probe lengths");
  const tokensPerWord = (pb - pa) / (b - a);
  if (!(tokensPerWord > 0))
    throw new Error(`server prompt token counts did not grow with the prompt (${pa} for ${a} words, ${pb} for ${b})`);
  return { overhead: pa - tokensPerWord * a, tokensPerWord };
}

/** Single-token words from a local HF tokenizer.json vocabulary (byte-level Ġ or sentencepiece ▁). */
export function wordsFromTokenizer(file: string, limit = 4000): string[] {
  let json: { model?: { vocab?: Record<string, number> | Array<[string, number]> } };
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read tokenizer ${file}: ${(err as Error).message}`);
  }
  const vocab = json.model?.vocab;
  if (!vocab) throw new Error(`${file}: no model.vocab in this tokenizer.json`);
  const tokens = Array.isArray(vocab) ? vocab.map((v) => v[0]) : Object.keys(vocab);
  const out: string[] = [];
  for (const t of tokens) {
    const m = /^[Ġ▁]([a-z]{3,10})$/.exec(t);
    if (m) out.push(m[1]);
    if (out.length >= limit) break;
  }
  if (out.length < 100) throw new Error(`${file}: found only ${out.length} single-token words in the vocabulary`);
  return out;
}

export async function probePromptTokens(
  dispatcher: Dispatcher,
  baseUrl: string,
  endpoint: Endpoint,
  model: string,
  text: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<number> {
  const body = buildBody({ model, endpoint, outputLen: 1, exactOutput: false, stream: false }, text);
  const res = await request(new URL(endpoint, baseUrl), {
    dispatcher,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    signal,
  });
  const raw = await res.body.text();
  if (res.statusCode !== 200)
    throw new Error(`calibration probe: ${endpoint} answered HTTP ${res.statusCode}: ${raw.slice(0, 200)}`);
  const usage = (JSON.parse(raw) as { usage?: { prompt_tokens?: number } }).usage;
  if (typeof usage?.prompt_tokens !== "number")
    throw new Error(`calibration probe: ${endpoint} reported no usage.prompt_tokens`);
  return usage.prompt_tokens;
}

export async function calibrate(
  dispatcher: Dispatcher,
  baseUrl: string,
  endpoint: Endpoint,
  model: string,
  words: readonly string[] | undefined,
  headers?: Record<string, string>,
  signal?: AbortSignal,
): Promise<Calibration> {
  const a = 64;
  const b = 512;
  const pa = await probePromptTokens(
    dispatcher,
    baseUrl,
    endpoint,
    model,
    textPrompt(0x5eed, 1, a, words),
    headers,
    signal,
  );
  const pb = await probePromptTokens(
    dispatcher,
    baseUrl,
    endpoint,
    model,
    textPrompt(0x5eed, 2, b, words),
    headers,
    signal,
  );
  return fitCalibration(a, pa, b, pb);
}
