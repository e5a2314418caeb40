/**
 * JSON bodies of benchmark requests (pure). Exact output length: `max_tokens` = `min_tokens` = the
 * drawn OSL with `ignore_eos: true`; token counts from `stream_options.include_usage`.
 */
export type Endpoint = "/v1/completions" | "/v1/chat/completions";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface BodyOptions {
  model: string;
  endpoint: Endpoint;
  outputLen: number;
  /** send ignore_eos + min_tokens (vLLM/SGLang extensions) for an exact output length */
  exactOutput: boolean;
  stream: boolean;
  extraBody?: Record<string, unknown>;
}

export function buildBody(o: BodyOptions, prompt: number[] | string | ChatMessage[]): string {
  return JSON.stringify(bodyObject(o, prompt));
}

function bodyObject(o: BodyOptions, prompt: number[] | string | ChatMessage[]): Record<string, unknown> {
  const body: Record<string, unknown> = { model: o.model };
  if (o.endpoint === "/v1/chat/completions") {
    body.messages = typeof prompt === "string" ? [{ role: "user", content: prompt }] : prompt;
    if (Array.isArray(prompt) && typeof prompt[0] === "number")
      throw new Error("chat endpoints need text prompts, not token ids");
  } else {
    if (Array.isArray(prompt) && typeof prompt[0] === "object") {
      const turns = (prompt as ChatMessage[]).map(
        (m) => `${m.role === "assistant" ? "Assistant" : "User"}: ${m.content}`,
      );
      body.prompt = `${turns.join("\n")}\nAssistant:`;
    } else body.prompt = prompt;
  }
  body.max_tokens = o.outputLen;
  if (o.exactOutput) {
    body.min_tokens = o.outputLen;
    body.ignore_eos = true;
  }
  if (o.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (o.extraBody) Object.assign(body, o.extraBody);
  return body;
}

/** stands in for the messages while the rest of a chat body is serialised */
const MESSAGES_SLOT = "\u0000messages\u0000";

/**
 * A chat body around messages serialised elsewhere: `head + JSON.stringify(messages) + tail` is
 * `buildBody(o, messages)` for the chat endpoint. Undefined where the extra body sets the messages.
 */
export function chatBodyAround(o: BodyOptions): { head: string; tail: string } | undefined {
  if (o.extraBody && "messages" in o.extraBody) return undefined;
  const body = bodyObject({ ...o, endpoint: "/v1/chat/completions" }, []);
  body.messages = MESSAGES_SLOT;
  const s = JSON.stringify(body);
  const slot = JSON.stringify(MESSAGES_SLOT);
  const at = s.indexOf(slot);
  return { head: s.slice(0, at), tail: s.slice(at + slot.length) };
}
