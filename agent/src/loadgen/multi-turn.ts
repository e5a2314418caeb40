/**
 * Multi-turn dataset: synthetic conversations with a growing shared history. Conversation c has
 * `turns` turns; turn t sends the whole history (all earlier user messages and the server's
 * answers, as returned) plus a new user message whose length is drawn like a random prompt
 * (request index c * turns + t). Prefix caching is on by design: each turn's prompt extends the
 * previous one. Between turns the simulated user thinks for `thinkTimeMs`.
 */
import type { ChatMessage } from "./request-body.js";

export interface MultiTurnOptions {
  turns: number;
  thinkTimeMs: number;
}

export function conversationCount(numRequests: number, turns: number): number {
  if (!Number.isInteger(turns) || turns < 1) throw new RangeError(`turns must be a positive integer (got ${turns})`);
  return Math.ceil(numRequests / turns);
}

/** request index of turn t of conversation c */
export function turnIndex(conversation: number, turn: number, turns: number): number {
  return conversation * turns + turn;
}

/** the history a turn sends: earlier exchanges plus the new user message */
export class Conversation {
  readonly messages: ChatMessage[] = [];

  ask(user: string): ChatMessage[] {
    this.messages.push({ role: "user", content: user });
    return this.messages.slice();
  }

  answer(assistant: string): void {
    this.messages.push({ role: "assistant", content: assistant });
  }
}
