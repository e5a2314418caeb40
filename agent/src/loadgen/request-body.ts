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
  return JSON.stringify(body);
}
