/**
 * GSM8K prompts, 5-shot, as the reference lab's lm-eval task builds them: each problem is
 * `Question: <q>\nEnd your response with the answer on the last line, formatted as: #### [number]`;
 * exemplar answers are the reference solutions (calculator annotations `<<…>>` removed).
 * Chat: the exemplars become user/assistant turns (lm-eval `--apply_chat_template
 * --fewshot_as_multiturn`), the last user turn asks the problem. Completions: the same turns as one
 * text, each answer after `Answer:`, exemplars separated by a blank line, ending in `Answer:`.
 * Generation stops at `Question:` (the model starting a new problem), `</s>` or `<|im_end|>`.
 */
import type { Gsm8kItem } from "./gsm8k-dataset.js";

export const INSTRUCTION = "End your response with the answer on the last line, formatted as: #### [number]";
export const STOP = ["Question:", "</s>", "<|im_end|>"];

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export function questionText(q: string): string {
  return `Question: ${q.trim()}\n${INSTRUCTION}`;
}

export function cleanAnswer(a: string): string {
  return a.replace(/<<[^>]*>>/g, "").trim();
}

export function chatMessages(item: Gsm8kItem, shots: readonly Gsm8kItem[]): ChatMessage[] {
  const msgs: ChatMessage[] = [];
  for (const s of shots) {
    msgs.push({ role: "user", content: questionText(s.question) });
    msgs.push({ role: "assistant", content: cleanAnswer(s.answer) });
  }
  msgs.push({ role: "user", content: questionText(item.question) });
  return msgs;
}

export function completionPrompt(item: Gsm8kItem, shots: readonly Gsm8kItem[]): string {
  const parts = shots.map((s) => `${questionText(s.question)}\nAnswer: ${cleanAnswer(s.answer)}`);
  parts.push(`${questionText(item.question)}\nAnswer:`);
  return parts.join("\n\n");
}
