/**
 * How the emulated engine counts prompt tokens. With the model's tokenizer (`--tokenizer`), as
 * vLLM counts them: a completions prompt encoded with the tokenizer's special tokens, a chat prompt
 * rendered through the chat template and encoded without adding any (the template writes them).
 * Without one: one token per word (tokens.ts), chat messages' words summed.
 */
import { loadModelTokenizer } from "../tokenizer/model-tokenizer.js";
import type { ChatCounter } from "./openai-protocol.js";
import { countTextTokens } from "./tokens.js";

export interface PromptCounter {
  countText: (text: string) => number;
  countChat: ChatCounter | undefined;
}

export function promptCounter(tokenizerDir: string | undefined): PromptCounter {
  if (!tokenizerDir) return { countText: countTextTokens, countChat: undefined };
  const tok = loadModelTokenizer(tokenizerDir);
  const render = tok.renderChat;
  return {
    countText: (text) => tok.countPrompt(text),
    countChat: render ? (turns) => tok.encode(render(turns)).length : undefined,
  };
}
