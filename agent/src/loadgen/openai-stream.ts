/**
 * Interpretation of one streamed OpenAI-compatible SSE event (completions or chat completions),
 * as `vllm bench serve` reads them, with one deliberate choice (the "first chunk with content"):
 * a chunk counts as a token chunk only if its first choice carries content (`text`, `delta.content`,
 * `delta.reasoning_content` or `delta.reasoning`, non-empty), so a role-only or empty first delta
 * does not stop the TTFT clock. `firstChunk: "any"` restores vLLM's chat behaviour (any chunk
 * with a non-empty `choices` array is a token chunk).
 */

export type StreamItem =
  | { kind: "token"; text: string; usage?: Usage }
  | { kind: "usage"; usage: Usage }
  | { kind: "error"; message: string }
  | { kind: "done" }
  | { kind: "ignore" };

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  /** the benchfleet emulator's own timing of the request, in emulated ms (usage trailer `benchfleet`) */
  engineTiming?: EngineTiming;
}

export interface EngineTiming {
  ttftMs: number;
  e2elMs: number;
  /** when the engine queued the request, on its emulated clock */
  queuedAtMs?: number;
  /** wall seconds per emulated second of the engine's clock */
  timeScale?: number;
}

function readEngineTiming(b: unknown): EngineTiming | undefined {
  if (!b || typeof b !== "object") return undefined;
  const o = b as Record<string, unknown>;
  if (typeof o.ttft_ms !== "number" || typeof o.e2el_ms !== "number") return undefined;
  return {
    ttftMs: o.ttft_ms,
    e2elMs: o.e2el_ms,
    ...(typeof o.queued_at_ms === "number" ? { queuedAtMs: o.queued_at_ms } : {}),
    ...(typeof o.time_scale === "number" && o.time_scale > 0 ? { timeScale: o.time_scale } : {}),
  };
}

export type FirstChunkRule = "content" | "any";

function readUsage(u: unknown): Usage | undefined {
  if (!u || typeof u !== "object") return undefined;
  const o = u as Record<string, unknown>;
  const out: Usage = {};
  if (typeof o.prompt_tokens === "number") out.promptTokens = o.prompt_tokens;
  if (typeof o.completion_tokens === "number") out.completionTokens = o.completion_tokens;
  return out;
}

function choiceText(choice: Record<string, unknown>): string {
  if (typeof choice.text === "string") return choice.text;
  const delta = choice.delta as Record<string, unknown> | undefined;
  if (delta && typeof delta === "object") {
    let s = "";
    if (typeof delta.reasoning_content === "string") s += delta.reasoning_content;
    else if (typeof delta.reasoning === "string") s += delta.reasoning;
    if (typeof delta.content === "string") s += delta.content;
    return s;
  }
  const message = choice.message as Record<string, unknown> | undefined;
  if (message && typeof message.content === "string") return message.content;
  return "";
}

export function interpretEvent(event: string, data: string, rule: FirstChunkRule = "content"): StreamItem {
  if (data === "[DONE]") return { kind: "done" };
  if (event === "error") return { kind: "error", message: data.slice(0, 500) };
  let obj: unknown;
  try {
    obj = JSON.parse(data);
  } catch {
    return { kind: "error", message: `invalid JSON in stream event: ${data.slice(0, 200)}` };
  }
  if (!obj || typeof obj !== "object")
    return { kind: "error", message: `unexpected stream event: ${data.slice(0, 200)}` };
  const o = obj as Record<string, unknown>;
  if (o.error !== undefined && o.error !== null) {
    const e = o.error as Record<string, unknown> | string;
    const msg = typeof e === "string" ? e : typeof e.message === "string" ? e.message : JSON.stringify(e);
    return { kind: "error", message: msg.slice(0, 500) };
  }
  if (o.object === "error") return { kind: "error", message: String(o.message ?? data).slice(0, 500) };
  let usage = readUsage(o.usage);
  const engineTiming = readEngineTiming(o.benchfleet);
  if (usage && engineTiming) usage = { ...usage, engineTiming };
  const choices = o.choices;
  if (Array.isArray(choices) && choices.length > 0) {
    const text = choiceText(choices[0] as Record<string, unknown>);
    if (text.length > 0 || rule === "any") return usage ? { kind: "token", text, usage } : { kind: "token", text };
    return usage ? { kind: "usage", usage } : { kind: "ignore" };
  }
  if (usage) return { kind: "usage", usage };
  return { kind: "ignore" };
}

/**
 * interpretEvent for one stream, with a fast path for the hot case: a server's token chunks are
 * byte-identical except for the token text (same id, model, created, finish_reason null). After a
 * token chunk has been fully parsed, its bytes before and after the text's string literal become a
 * template; a later chunk that starts and ends with exactly those bytes and has a well-formed
 * string literal in between is the same JSON object with another text, so its interpretation is
 * known without JSON.parse. Anything else (usage, errors, empty text, escapes that do not parse,
 * a changed field) goes through interpretEvent. Results are identical to interpretEvent's.
 */
export class StreamInterpreter {
  private prefix = "";
  private suffix = "";

  constructor(private readonly rule: FirstChunkRule = "content") {}

  interpret(event: string, data: string): StreamItem {
    if (this.prefix && event === "message") {
      const text = this.templateText(data);
      if (text !== undefined) return { kind: "token", text };
    }
    const item = interpretEvent(event, data, this.rule);
    if (item.kind === "token" && !item.usage && item.text.length > 0) this.learn(data);
    return item;
  }

  /** the text of a chunk matching the template, undefined when it does not match */
  private templateText(data: string): string | undefined {
    const end = data.length - this.suffix.length;
    // slice-and-compare: V8 compares flat strings with memcmp; startsWith/endsWith measured up to 10× slower here
    if (
      end <= this.prefix.length ||
      data.slice(0, this.prefix.length) !== this.prefix ||
      data.slice(end) !== this.suffix
    )
      return undefined;
    let escaped = false;
    for (let i = this.prefix.length; i < end; i++) {
      const c = data.charCodeAt(i);
      if (c === 34 /* " */ || c < 32) return undefined;
      if (c === 92 /* \ */) {
        escaped = true;
        i++;
      }
    }
    if (!escaped) return data.slice(this.prefix.length, end);
    try {
      const text = JSON.parse(`"${data.slice(this.prefix.length, end)}"`) as string;
      return text.length > 0 ? text : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Makes a template of a fully parsed token chunk whose text is one `"text"` or `"content"` string
   * literal: the literal is replaced by a probe and the chunk interpreted again; only if the probe
   * comes back as the whole text is the rest of the chunk a template (so a text assembled from
   * several fields, or a literal that is not the one read, never makes one).
   */
  private learn(data: string): void {
    this.prefix = "";
    for (const key of ['"text":"', '"content":"']) {
      const at = data.indexOf(key);
      if (at < 0 || data.indexOf(key, at + 1) >= 0) continue;
      const start = at + key.length;
      let i = start;
      while (i < data.length && data.charCodeAt(i) !== 34) i += data.charCodeAt(i) === 92 ? 2 : 1;
      if (i >= data.length) return;
      const prefix = data.slice(0, start);
      const suffix = data.slice(i);
      const probe = interpretEvent("message", `${prefix}${PROBE}${suffix}`, this.rule);
      if (probe.kind === "token" && !probe.usage && probe.text === PROBE) {
        this.prefix = prefix;
        this.suffix = suffix;
      }
      return;
    }
  }
}

const PROBE = "\u00a7benchfleet-probe\u00a7";
