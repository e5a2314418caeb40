/**
 * One streamed request to an OpenAI-compatible server over an undici dispatcher (keep-alive pool),
 * timed like `vllm bench serve`: `st` is taken when the request is issued, every SSE chunk is
 * stamped with `process.hrtime.bigint()` when its bytes arrive (in the dispatcher's data callback,
 * before any other work), TTFT = first token chunk - st, ITL = gaps between token chunks, E2EL =
 * last token chunk - st (the usage trailer and [DONE] do not move it).
 * Failures are classified (see FailureKind); nothing is thrown.
 */
import type { Dispatcher } from "undici";
import { whenAborted } from "./abort-fanout.js";
import { type FirstChunkRule, StreamInterpreter, type Usage } from "./openai-stream.js";
import type { RequestRecord } from "./request-record.js";
import { type SseEvent, SseParser } from "./sse-parser.js";

export interface StreamRequestOptions {
  /** run start; all times are relative to it */
  t0: bigint;
  path: string;
  body: string | Buffer;
  headers?: Record<string, string>;
  rule?: FirstChunkRule;
  keepText?: boolean;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** close the connection after this request (`connection: close`): the next one opens a new one */
  freshConnection?: boolean;
  signal?: AbortSignal;
}

export type RequestSeed = Pick<
  RequestRecord,
  "index" | "scheduledNs" | "queueNs" | "targetPromptTokens" | "targetOutputTokens"
> &
  Partial<Pick<RequestRecord, "conversation" | "turn" | "firstWave">>;

const ERROR_BODY_LIMIT = 2048;

export function sendStreamingRequest(
  dispatcher: Dispatcher,
  seed: RequestSeed,
  opts: StreamRequestOptions,
): Promise<RequestRecord> {
  const t0 = opts.t0;
  const rule = opts.rule ?? "content";
  const keepText = opts.keepText ?? false;
  return new Promise<RequestRecord>((resolve) => {
    const startNs = Number(process.hrtime.bigint() - t0);
    const parser = new SseParser();
    const itl: number[] = [];
    let firstNs = -1;
    let lastNs = -1;
    let chunks = 0;
    let text = "";
    let usage: Usage | undefined;
    let status = 0;
    let errorBody = "";
    let streamError: string | undefined;
    let settled = false;
    let controller: Dispatcher.DispatchController | undefined;
    let unsubscribe: (() => void) | undefined;

    const finish = (failure?: string, error?: string) => {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      const rec: RequestRecord = {
        ...seed,
        success: false,
        startNs,
        endNs: Number(process.hrtime.bigint() - t0),
        ttftNs: firstNs >= 0 ? firstNs - startNs : 0,
        itlNs: itl,
        latencyNs: lastNs >= 0 ? lastNs - startNs : 0,
        promptTokens: usage?.promptTokens ?? seed.targetPromptTokens,
        outputTokens: usage?.completionTokens ?? chunks,
        usageReported: usage?.completionTokens !== undefined,
        ...(usage?.engineTiming ? { engineTiming: usage.engineTiming } : {}),
      };
      if (keepText) rec.generatedText = text;
      if (failure) {
        rec.failure = failure;
        rec.error = error;
      } else if (streamError !== undefined) {
        rec.failure = "stream_error";
        rec.error = streamError;
      } else if (firstNs < 0) {
        rec.failure = "no_token";
        rec.error = "the stream ended without any token chunk";
      } else rec.success = true;
      if (!rec.success) rec.outputTokens = usage?.completionTokens ?? chunks;
      resolve(rec);
    };

    const interpreter = new StreamInterpreter(rule);
    /** arrival time of the bytes being parsed */
    let now = 0;
    const onEvent = (ev: SseEvent) => {
      const item = interpreter.interpret(ev.event, ev.data);
      switch (item.kind) {
        case "token":
          if (firstNs < 0) firstNs = now;
          else itl.push(now - lastNs);
          lastNs = now;
          chunks++;
          if (keepText) text += item.text;
          if (item.usage) usage = { ...usage, ...item.usage };
          break;
        case "usage":
          usage = { ...usage, ...item.usage };
          break;
        case "error":
          if (streamError === undefined) streamError = item.message;
          break;
        default:
          break;
      }
    };

    if (opts.signal?.aborted) {
      finish("aborted", "cancelled before sending");
      return;
    }
    if (opts.signal) {
      unsubscribe = whenAborted(opts.signal, () => {
        controller?.abort(new Error("aborted"));
        finish("aborted", "cancelled");
      });
    }

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error("aborted"));
      },
      onResponseStart(_c, statusCode) {
        status = statusCode;
      },
      onResponseData(_c, chunk) {
        now = Number(process.hrtime.bigint() - t0);
        if (status !== 200) {
          if (errorBody.length < ERROR_BODY_LIMIT) errorBody += chunk.toString("utf8", 0, ERROR_BODY_LIMIT);
          return;
        }
        parser.push(chunk, onEvent);
      },
      onResponseEnd() {
        if (status !== 200) {
          finish(`http_${status}`, errorBody.slice(0, ERROR_BODY_LIMIT) || `HTTP ${status}`);
          return;
        }
        parser.end();
        finish();
      },
      onResponseError(_c, err) {
        finish(...classifyError(err, status !== 0));
      },
    };

    try {
      dispatcher.dispatch(
        {
          path: opts.path,
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream", ...opts.headers },
          body: opts.body,
          headersTimeout: opts.headersTimeoutMs ?? 600_000,
          bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
          ...(opts.freshConnection ? { reset: true } : {}),
        },
        handler,
      );
    } catch (err) {
      finish(...classifyError(err as Error, false));
    }
  });
}

export function classifyError(err: Error, gotResponse: boolean): [string, string] {
  const code = (err as { code?: string }).code ?? "";
  const msg = `${code ? `${code}: ` : ""}${err.message}`.slice(0, 500);
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT")
    return ["timeout", msg];
  if (code === "UND_ERR_ABORTED" || err.name === "AbortError" || err.message === "aborted") return ["aborted", msg];
  return gotResponse ? ["stream_aborted", msg] : ["connection_error", msg];
}
