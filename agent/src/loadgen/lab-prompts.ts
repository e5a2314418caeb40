/**
 * Random prompts built the way the reference lab's client builds them (InferenceX
 * utils/bench_serving/benchmark_serving.py, `sample_random_requests`), with the model's own tokenizer:
 *  - with a client-side chat template, the template's own tokens (the template around "a", less one)
 *    come off the input length before lengths are drawn, so the templated prompt lands on the draw;
 *  - prompt i starts as the ids (offset_i + i + j) mod vocab for j < its drawn length, offset_i
 *    uniform in [0, vocab); the ids are decoded to text and re-encoded, up to 10 times: short by k
 *    tokens, k random ids are appended; long, the ids are cut to the target; each round decodes again;
 *  - the chat template (the tokenizer's, or DeepSeek-V4's encoding) wraps the text last.
 * Lengths and offsets come from numpy's generator as the lab draws them (lab-prompt-set.ts); the
 * padding ids from the project's generator, one stream per prompt (the lab's depend on how many
 * processes its client's machine runs). Pure: the tokenizer comes in.
 */
import { Rng } from "@benchfleet/shared";
import type { PromptSpec } from "./prompts.js";

/** What building prompts needs of a tokenizer: ids without special tokens, text with them kept. */
export interface PromptTokenizer {
  /** the model's vocabulary without added tokens (transformers' `vocab_size`) */
  vocabSize: number;
  /** `encode(text, add_special_tokens=False)` */
  encode(text: string): number[];
  /** `decode(ids)` (special tokens kept) */
  decode(ids: readonly number[]): string;
}

/** the prompt text as one user message rendered for the model, generation prompt included */
export type ChatEncoding = (userText: string) => string;

/** the lab's retries of decode → re-encode before it takes the prompt as it is */
const MAX_RETRIES = 10;

/** the stream of prompt i's padding draws (apart from the token-id prompts' streams) */
const LAB_STREAM = 0x1ab;

export interface LabPrompt {
  text: string;
  /** tokens of `text` by the client's tokenizer (the lab's `prompt_len`) */
  promptTokens: number;
}

/** Tokens a chat encoding adds around a prompt (the lab's `chat_template_len`). */
export function templateTokens(tok: PromptTokenizer, template: ChatEncoding | undefined): number {
  if (!template) return 0;
  return tok.encode(template("a")).length - 1;
}

/**
 * The input length left for the drawn text once the template's tokens are taken off the ISL;
 * a template as long as the ISL leaves nothing to draw and is refused.
 */
export function bodyLength(isl: number, templateLen: number): number {
  const left = isl - templateLen;
  if (left < 1)
    throw new RangeError(`the chat template alone takes ${templateLen} tokens: ISL ${isl} leaves no prompt text`);
  return left;
}

/**
 * Prompt `spec.index` of `bodyLen` tokens before the template (the lab's drawn input length),
 * starting at `spec.offset`; padding ids come from the stream (seed, index). The result re-encodes
 * to `bodyLen` plus the template's tokens unless ten rounds did not settle.
 */
export function labPrompt(
  tok: PromptTokenizer,
  seed: number,
  spec: Pick<PromptSpec, "index"> & { offset: number },
  bodyLen: number,
  template?: ChatEncoding,
): LabPrompt {
  const vocab = tok.vocabSize;
  if (!(Number.isInteger(vocab) && vocab > 0)) throw new RangeError(`tokenizer vocabulary size ${vocab}`);
  const rng = Rng.forStream(seed ^ LAB_STREAM, spec.index);
  let ids = new Array<number>(bodyLen);
  for (let j = 0; j < bodyLen; j++) ids[j] = (spec.offset + spec.index + j) % vocab;
  let text = tok.decode(ids);
  let settled = false;
  for (let round = 0; round < MAX_RETRIES && !settled; round++) {
    ids = tok.encode(text);
    if (ids.length < bodyLen) for (let k = ids.length; k < bodyLen; k++) ids.push(rng.int(0, vocab - 1));
    else if (ids.length > bodyLen) ids = ids.slice(0, bodyLen);
    else settled = true;
    if (!settled) text = tok.decode(ids);
  }
  // a settled text without a template is known to encode to bodyLen: no need to encode it again
  if (!template && settled) return { text, promptTokens: bodyLen };
  if (template) text = template(text);
  return { text, promptTokens: tok.encode(text).length };
}
