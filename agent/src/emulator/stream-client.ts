/**
 * A small streaming client for the emulator's tests and probes: sends one OpenAI request with
 * undici and timestamps every SSE event as it arrives (vLLM definitions: TTFT = first event with
 * choices; E2E = last event with content, not the usage trailer).
 */
import { request } from "undici";

export interface StreamEvent {
  /** ms since the request was sent */
  t: number;
  data: unknown;
}

export interface StreamResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: StreamEvent[];
  /** the stream ended without `data: [DONE]` (connection cut) */
  truncated: boolean;
  done: boolean;
  text: string;
  ttftMs?: number;
  e2elMs?: number;
  /** content-chunk arrival times, ms since send */
  tokenTimes: number[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: string;
  body?: unknown;
  sentAt: number;
}

type Choice = { text?: string; delta?: { content?: string; role?: string }; finish_reason?: string | null };

export async function streamRequest(
  url: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<StreamResult> {
  const sentAt = performance.now();
  const res: StreamResult = {
    status: 0,
    headers: {},
    events: [],
    truncated: false,
    done: false,
    text: "",
    tokenTimes: [],
    sentAt,
  };
  let r: Awaited<ReturnType<typeof request>>;
  try {
    r = await request(url, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });
  } catch (err) {
    res.error = (err as Error).message;
    res.truncated = true;
    return res;
  }
  res.status = r.statusCode;
  res.headers = r.headers;
  if (!String(r.headers["content-type"] ?? "").includes("text/event-stream")) {
    try {
      const text = await r.body.text();
      res.body = text ? JSON.parse(text) : undefined;
    } catch (err) {
      res.error = (err as Error).message;
      res.truncated = true;
    }
    return res;
  }
  let buf = "";
  try {
    for await (const chunk of r.body) {
      const t = performance.now() - sentAt;
      buf += (chunk as Buffer).toString("utf8");
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const line = frame.split("\n").find((l) => l.startsWith("data:"));
        if (!line) continue;
        const payload = line.slice(5).trim();
        if (payload === "[DONE]") {
          res.done = true;
          continue;
        }
        const data = JSON.parse(payload) as { choices?: Choice[]; usage?: StreamResult["usage"] };
        res.events.push({ t, data });
        const choice = data.choices?.[0];
        if (choice) {
          if (res.ttftMs === undefined) res.ttftMs = t;
          const piece = choice.text ?? choice.delta?.content ?? "";
          if (piece) {
            res.text += piece;
            res.tokenTimes.push(t);
            res.e2elMs = t;
          }
        }
        if (data.usage && !data.choices?.length) res.usage = data.usage;
      }
    }
  } catch (err) {
    res.error = (err as Error).message;
  }
  res.truncated = !res.done;
  return res;
}
