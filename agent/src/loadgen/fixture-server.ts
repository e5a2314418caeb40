/**
 * A small real OpenAI-compatible HTTP server with known, precisely scheduled behaviour, used to
 * validate the load generator's timing and failure handling (no GPU, no model):
 *  - `/v1/completions` and `/v1/chat/completions`, streamed (SSE) or not;
 *  - the first content chunk is due exactly `ttftMs` after the request arrived (hrtime taken when
 *    the request's headers arrive), chunk k at `ttftMs + k * itlMs`; emission is driven by one
 *    scheduler that sleeps with timers and polls with setImmediate for the last 1.5 ms;
 *  - `tokensPerChunk` tokens per chunk; output length = max_tokens (as with ignore_eos);
 *  - optional role-only first chunk (chat) sent on arrival; usage trailer (when
 *    stream_options.include_usage) `usageDelayMs` after the last token; then `data: [DONE]`;
 *  - faults on every k-th request: 503, error event mid-stream, dropped connection mid-stream,
 *    slow headers;
 *  - GSM8K answers (from a test.jsonl), right with a given probability, for the eval's tests.
 * Prompt token counts: token-id prompts count their ids; text counts whitespace-separated words,
 * plus 1 (completions) or 3 + 4 per message (chat), like a chat template's overhead.
 *
 * Run standalone: `node --conditions=source --import tsx agent/src/loadgen/fixture-server.ts --ttft-ms 20 --itl-ms 5`
 * prints `{"port":N}` on stdout when listening.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";

export interface FixtureFaults {
  /** every k-th request (1-based arrival order) answers 503 */
  http503Every?: number;
  /** every k-th request sends an error event after half of its chunks */
  midStreamErrorEvery?: number;
  /** every k-th request has its connection destroyed after half of its chunks */
  dropEvery?: number;
  /** every k-th request waits slowHeadersMs before sending headers */
  slowHeadersEvery?: number;
  slowHeadersMs?: number;
}

export interface FixtureOptions {
  ttftMs: number;
  itlMs: number;
  tokensPerChunk: number;
  /** chat: send a role-only first chunk on arrival */
  roleChunk: boolean;
  /** delay of the usage trailer after the last token chunk */
  usageDelayMs: number;
  faults: FixtureFaults;
  /**
   * Replace each chunk's text by ` @<arrival>:<emission>` (process.hrtime.bigint() of the request's
   * arrival and of this write; one monotonic clock for all processes on the host), so a test can
   * split a measured time into request transit, server lateness and client lateness.
   */
  stampText?: boolean;
  /** answer GSM8K questions found in the prompt */
  gsm8k?: { testFile: string; accuracy: number };
}

export const DEFAULT_FIXTURE: FixtureOptions = {
  ttftMs: 20,
  itlMs: 5,
  tokensPerChunk: 1,
  roleChunk: true,
  usageDelayMs: 2,
  faults: {},
};

export interface FixtureServer {
  url: string;
  port: number;
  /** POST requests received so far */
  requests(): number;
  close(): Promise<void>;
}

/** Min-heap scheduler of callbacks at absolute hrtime (ns) deadlines. */
class Scheduler {
  private heap: Array<{ due: bigint; fn: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  at(due: bigint, fn: () => void): void {
    const h = this.heap;
    const earlier = h.length === 0 || due < h[0].due;
    h.push({ due, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].due <= h[i].due) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
    if (earlier) this.arm();
  }

  private pop(): { due: bigint; fn: () => void } {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].due < h[m].due) m = l;
        if (r < h.length && h[r].due < h[m].due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.polling) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.heap.length === 0) return;
    const waitMs = Number(this.heap[0].due - process.hrtime.bigint()) / 1e6;
    if (waitMs > 1.5) this.timer = setTimeout(() => this.run(), Math.floor(waitMs - 1.2));
    else {
      this.polling = true;
      setImmediate(() => this.run());
    }
  }

  private run(): void {
    this.polling = false;
    this.timer = undefined;
    const now = process.hrtime.bigint();
    while (this.heap.length > 0 && this.heap[0].due <= now) this.pop().fn();
    this.arm();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.heap = [];
  }
}

function countWords(s: string): number {
  let n = 0;
  for (const w of s.split(/\s+/)) if (w) n++;
  return n;
}

function promptTokens(body: Record<string, unknown>, chat: boolean): number {
  if (chat) {
    const msgs = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
    let n = 3;
    for (const m of msgs) n += 4 + (typeof m.content === "string" ? countWords(m.content) : 0);
    return n;
  }
  const p = body.prompt;
  if (Array.isArray(p)) return p.length;
  return typeof p === "string" ? countWords(p) + 1 : 0;
}

function promptText(body: Record<string, unknown>, chat: boolean): string {
  if (chat) {
    const msgs = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
    const last = msgs[msgs.length - 1];
    return typeof last?.content === "string" ? last.content : "";
  }
  return typeof body.prompt === "string" ? body.prompt : "";
}

/** deterministic hash in [0, 1) of a string (FNV-1a) */
function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}

function loadGsm8k(file: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const { question, answer } = JSON.parse(line) as { question: string; answer: string };
    map.set(question.trim(), answer.replace(/<<[^>]*>>/g, ""));
  }
  return map;
}

function gsm8kAnswer(prompt: string, answers: Map<string, string>, accuracy: number): string {
  const idx = prompt.lastIndexOf("Question:");
  const tail = idx >= 0 ? prompt.slice(idx + "Question:".length) : prompt;
  // the question runs until the next line that is not part of it (instruction / "Answer:")
  let question = tail.split("\nAnswer:")[0].trim();
  const cut = question.indexOf("\nEnd your response");
  if (cut >= 0) question = question.slice(0, cut).trim();
  const reference = answers.get(question);
  if (reference === undefined) return "I do not know this one.";
  if (unitHash(question) < accuracy) return reference;
  return reference.replace(/#### (-?[\d,.]+)\s*$/, (_m, n: string) => `#### ${Number(n.replace(/,/g, "")) + 1}`);
}

export async function startFixtureServer(partial: Partial<FixtureOptions> = {}, port = 0): Promise<FixtureServer> {
  const o: FixtureOptions = { ...DEFAULT_FIXTURE, ...partial, faults: { ...partial.faults } };
  const sched = new Scheduler();
  const answers = o.gsm8k ? loadGsm8k(o.gsm8k.testFile) : undefined;
  let count = 0;
  let connections = 0;
  const every = (k: number | undefined, n: number) => k !== undefined && k > 0 && n % k === 0;

  const handle = (req: IncomingMessage, res: ServerResponse, arrival: bigint, n: number, raw: string) => {
    const url = req.url ?? "";
    const chat = url.startsWith("/v1/chat/completions");
    if (req.method === "GET" && url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ requests: count, connections }));
      return;
    }
    if (req.method === "GET" && (url === "/health" || url === "/v1/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "fixture", object: "model" }] }));
      return;
    }
    if (req.method !== "POST" || !(chat || url.startsWith("/v1/completions"))) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${url}` } }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "invalid JSON body" } }));
      return;
    }
    if (every(o.faults.http503Every, n)) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "injected 503", type: "ServiceUnavailable", code: 503 } }));
      return;
    }
    const model = typeof body.model === "string" ? body.model : "fixture";
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : 16;
    const pTokens = promptTokens(body, chat);
    const ms = (x: number) => BigInt(Math.round(x * 1e6));
    const id = `fx-${n}`;

    if (body.stream !== true) {
      const text = answers ? gsm8kAnswer(promptText(body, chat), answers, o.gsm8k!.accuracy) : " tok".repeat(maxTokens);
      const outTokens = answers ? countWords(text) : maxTokens;
      const choice = chat
        ? { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }
        : { index: 0, text, finish_reason: "stop" };
      sched.at(arrival + ms(o.ttftMs), () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id,
            object: chat ? "chat.completion" : "text_completion",
            model,
            choices: [choice],
            usage: { prompt_tokens: pTokens, completion_tokens: outTokens, total_tokens: pTokens + outTokens },
          }),
        );
      });
      return;
    }

    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const nChunks = Math.ceil(maxTokens / o.tokensPerChunk);
    const frame = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
    const chunk = (text: string) =>
      frame(
        chat
          ? {
              id,
              object: "chat.completion.chunk",
              created: 0,
              model,
              choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
            }
          : {
              id,
              object: "text_completion",
              created: 0,
              model,
              choices: [{ index: 0, text, logprobs: null, finish_reason: null }],
            },
      );
    const failAt =
      every(o.faults.midStreamErrorEvery, n) || every(o.faults.dropEvery, n) ? Math.floor(nChunks / 2) : -1;
    const drop = every(o.faults.dropEvery, n);
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    const headersAt = every(o.faults.slowHeadersEvery, n) ? arrival + ms(o.faults.slowHeadersMs ?? 0) : arrival;
    const sendHeaders = () => {
      if (closed || res.headersSent) return;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.flushHeaders();
      if (chat && o.roleChunk) {
        res.write(
          frame({
            id,
            object: "chat.completion.chunk",
            created: 0,
            model,
            choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
          }),
        );
      }
    };
    sched.at(headersAt, sendHeaders);
    const first = (headersAt > arrival ? headersAt : arrival) + ms(o.ttftMs);
    let sent = 0;
    const emit = (k0: number, due: bigint): void => {
      let k = k0;
      sendHeaders();
      for (;;) {
        if (closed) return;
        if (k === failAt) {
          if (drop) res.socket?.destroy();
          else
            res.end(frame({ error: { message: "injected mid-stream error", type: "InternalServerError", code: 500 } }));
          closed = true;
          return;
        }
        const toks = Math.min(o.tokensPerChunk, maxTokens - sent);
        sent += toks;
        res.write(chunk(o.stampText ? ` @${arrival}:${process.hrtime.bigint()}` : " tok".repeat(toks)));
        if (k === nChunks - 1) break;
        const next = first + ms((k + 1) * o.itlMs);
        if (next > due) {
          const kk = k + 1;
          sched.at(next, () => emit(kk, next));
          return;
        }
        k++;
      }
      const finishTail = () => {
        if (closed) return;
        if (includeUsage)
          res.write(
            frame({
              id,
              object: chat ? "chat.completion.chunk" : "text_completion",
              created: 0,
              model,
              choices: [],
              usage: { prompt_tokens: pTokens, completion_tokens: sent, total_tokens: pTokens + sent },
            }),
          );
        res.end("data: [DONE]\n\n");
      };
      if (o.usageDelayMs > 0) sched.at(first + ms((nChunks - 1) * o.itlMs + o.usageDelayMs), finishTail);
      else finishTail();
    };
    sched.at(first, () => emit(0, first));
  };

  const server: Server = createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    const arrival = process.hrtime.bigint();
    const n = req.method === "POST" ? ++count : count;
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => handle(req, res, arrival, n, Buffer.concat(parts).toString("utf8")));
  });
  server.on("connection", () => {
    connections++;
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests: () => count,
    close: async () => {
      sched.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseArgs(argv: string[]): { opts: Partial<FixtureOptions>; port: number; processes: number } {
  const opts: Partial<FixtureOptions> = {};
  const faults: FixtureFaults = {};
  let port = 0;
  let processes = 1;
  let gsmFile: string | undefined;
  let gsmAcc = 1;
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    const v = argv[i + 1];
    const num = Number(v);
    if (v === undefined || (k !== "--gsm8k" && Number.isNaN(num)))
      throw new Error(`fixture-server: ${k} needs a numeric value`);
    switch (k) {
      case "--port":
        port = num;
        break;
      case "--processes":
        processes = num;
        break;
      case "--ttft-ms":
        opts.ttftMs = num;
        break;
      case "--itl-ms":
        opts.itlMs = num;
        break;
      case "--tokens-per-chunk":
        opts.tokensPerChunk = num;
        break;
      case "--role-chunk":
        opts.roleChunk = num !== 0;
        break;
      case "--usage-delay-ms":
        opts.usageDelayMs = num;
        break;
      case "--http503-every":
        faults.http503Every = num;
        break;
      case "--mid-stream-error-every":
        faults.midStreamErrorEvery = num;
        break;
      case "--drop-every":
        faults.dropEvery = num;
        break;
      case "--slow-headers-every":
        faults.slowHeadersEvery = num;
        break;
      case "--slow-headers-ms":
        faults.slowHeadersMs = num;
        break;
      case "--stamp-text":
        opts.stampText = num !== 0;
        break;
      case "--gsm8k":
        gsmFile = v;
        break;
      case "--gsm8k-accuracy":
        gsmAcc = num;
        break;
      default:
        throw new Error(`fixture-server: unknown option ${k}`);
    }
  }
  opts.faults = faults;
  if (gsmFile) opts.gsm8k = { testFile: gsmFile, accuracy: gsmAcc };
  if (!Number.isInteger(processes) || processes < 1)
    throw new Error("fixture-server: --processes needs an integer ≥ 1");
  return { opts, port, processes };
}

/**
 * `--processes N` (N > 1): N server processes share one port through node:cluster (the primary
 * accepts connections and hands them round-robin to the workers), so the fixture can outpace a
 * client on a many-core host; fault counters and /stats are then per process.
 */
async function main(): Promise<void> {
  const { opts, port, processes } = parseArgs(process.argv.slice(2));
  if (processes > 1 && cluster.isPrimary) {
    const workers = Array.from({ length: processes }, () => cluster.fork());
    const stop = () => {
      for (const w of workers) w.process.kill("SIGTERM");
      process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    let listening = 0;
    cluster.on("listening", (_w, addr) => {
      if (++listening === processes)
        process.stdout.write(`${JSON.stringify({ port: addr.port, url: `http://127.0.0.1:${addr.port}` })}\n`);
    });
    cluster.on("exit", (_w, code) => {
      process.stderr.write(`fixture-server: a worker process exited (${code})\n`);
      stop();
    });
    return;
  }
  const srv = await startFixtureServer(opts, port);
  if (cluster.isPrimary) process.stdout.write(`${JSON.stringify({ port: srv.port, url: srv.url })}\n`);
  const stop = () => void srv.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
