/**
 * The OpenAI-compatible request bodies the emulator accepts and the response objects it sends,
 * shaped like vLLM's (`/v1/completions`, `/v1/chat/completions`, streaming chunks, usage trailer).
 */
import { z } from "zod";

const TokenIds = z.array(z.number().int().nonnegative());
const Stop = z.union([z.string(), z.array(z.string())]).nullish();
const StreamOptions = z
  .looseObject({ include_usage: z.boolean().nullish(), continuous_usage_stats: z.boolean().nullish() })
  .nullish();

const common = {
  model: z.string().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  min_tokens: z.number().int().nonnegative().nullish(),
  ignore_eos: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions,
  stop: Stop,
  n: z.literal(1).nullish(),
};

export const CompletionBody = z.looseObject({
  ...common,
  prompt: z.union([z.string(), TokenIds, z.array(z.string()).length(1), z.array(TokenIds).length(1)]),
});
export type CompletionBody = z.infer<typeof CompletionBody>;

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
export const ChatMessage = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});
export const ChatBody = z.looseObject({
  ...common,
  max_completion_tokens: z.number().int().positive().nullish(),
  messages: z.array(ChatMessage).min(1),
});
export type ChatBody = z.infer<typeof ChatBody>;

export type Kind = "completion" | "chat";

/** What the emulator needs of a request, whichever endpoint it came by. */
export interface ParsedRequest {
  kind: Kind;
  model: string | undefined;
  promptTokens: number;
  /** the prompt as the prefix cache reads it: message texts in order, the prompt text, or token ids */
  promptParts: readonly string[] | readonly number[];
  /** the text the GSM8K oracle looks at (prompt, or the last user message) */
  questionText: string | undefined;
  maxTokens: number | undefined;
  minTokens: number;
  ignoreEos: boolean;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  stop: string[];
}

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function messageText(content: z.infer<typeof ChatMessage>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => p.text ?? "").join(" ");
}

/** counts a chat request's prompt as the engine renders it (template included); messages' text content */
export type ChatCounter = (turns: ReadonlyArray<{ role: string; content: string }>) => number;

export function parseBody(
  kind: Kind,
  raw: unknown,
  countText: (t: string) => number,
  countChat?: ChatCounter,
): ParsedRequest {
  const schema = kind === "chat" ? ChatBody : CompletionBody;
  const res = schema.safeParse(raw);
  if (!res.success) {
    const i = res.error.issues[0]!;
    const where = i.path.length ? i.path.join(".") : "body";
    throw new BadRequest(`invalid request: ${where}: ${i.message}`);
  }
  const b = res.data;
  let promptTokens: number;
  let promptParts: readonly string[] | readonly number[];
  let questionText: string | undefined;
  if (kind === "chat") {
    const msgs = (b as ChatBody).messages;
    const texts = msgs.map((m) => messageText(m.content));
    promptParts = texts;
    promptTokens = countChat
      ? countChat(msgs.map((m, i) => ({ role: m.role, content: texts[i]! })))
      : texts.reduce((n, t) => n + countText(t), 0);
    const lastUser = [...msgs].reverse().find((m) => m.role === "user");
    questionText = lastUser ? messageText(lastUser.content) : undefined;
  } else {
    let p = (b as CompletionBody).prompt;
    if (Array.isArray(p) && p.length === 1 && (typeof p[0] === "string" || Array.isArray(p[0])))
      p = p[0] as string | number[];
    if (typeof p === "string") {
      promptTokens = countText(p);
      promptParts = [p];
      questionText = p;
    } else {
      promptTokens = (p as number[]).length;
      promptParts = p as number[];
    }
  }
  if (promptTokens < 1) throw new BadRequest("invalid request: the prompt is empty");
  const stop = b.stop == null ? [] : typeof b.stop === "string" ? [b.stop] : b.stop;
  const maxTokens = b.max_tokens ?? (kind === "chat" ? (b as ChatBody).max_completion_tokens : undefined) ?? undefined;
  return {
    kind,
    model: b.model ?? undefined,
    promptTokens,
    promptParts,
    questionText,
    maxTokens,
    minTokens: b.min_tokens ?? 0,
    ignoreEos: b.ignore_eos ?? false,
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
    continuousUsage: b.stream_options?.continuous_usage_stats ?? false,
    stop,
  };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface ChunkMeta {
  id: string;
  created: number;
  model: string;
}

export function contentChunk(kind: Kind, m: ChunkMeta, text: string, finish: string | null, u?: Usage): object {
  if (kind === "chat") {
    return {
      id: m.id,
      object: "chat.completion.chunk",
      created: m.created,
      model: m.model,
      choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: finish }],
      ...(u ? { usage: u } : {}),
    };
  }
  return {
    id: m.id,
    object: "text_completion",
    created: m.created,
    model: m.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }],
    ...(u ? { usage: u } : {}),
  };
}

/** The chat stream's first chunk: the role, no content. */
export function roleChunk(m: ChunkMeta): object {
  return {
    id: m.id,
    object: "chat.completion.chunk",
    created: m.created,
    model: m.model,
    choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
  };
}

/** The `include_usage` trailer: no choices, the usage, and the emulator's own timings. */
export function usageChunk(kind: Kind, m: ChunkMeta, u: Usage, extra: object): object {
  return {
    id: m.id,
    object: kind === "chat" ? "chat.completion.chunk" : "text_completion",
    created: m.created,
    model: m.model,
    choices: [],
    usage: u,
    ...extra,
  };
}

export function fullResponse(kind: Kind, m: ChunkMeta, text: string, finish: string, u: Usage, extra: object): object {
  if (kind === "chat") {
    return {
      id: m.id,
      object: "chat.completion",
      created: m.created,
      model: m.model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: finish }],
      usage: u,
      ...extra,
    };
  }
  return {
    id: m.id,
    object: "text_completion",
    created: m.created,
    model: m.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }],
    usage: u,
    ...extra,
  };
}

export function errorBody(message: string, status: number): object {
  const type = status === 503 ? "ServiceUnavailableError" : status === 404 ? "NotFoundError" : "BadRequestError";
  return { object: "error", message, type, code: status, error: { message, type, code: status } };
}
