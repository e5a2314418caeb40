/**
 * The emulated frontend of aggregated serving behind a router (`--role router --worker URL…`, a
 * Dynamo frontend in front of aggregated workers): polls every worker's /health, answers /health
 * and /readiness 503 until all are healthy (then 200 with the workers as Dynamo-style `instances`
 * of component `backend`, what an aggregated Dynamo worker registers as; `/workers` counts them as
 * sgl-router counts aggregated workers, `regular`), and passes each request,
 * with its headers, to a worker picked round-robin among the healthy ones, streaming the worker's
 * response back unchanged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent, request } from "undici";
import { listenHttp } from "./listen-http.js";
import { errorBody } from "./openai-protocol.js";
import type { EmulatorHooks, EmulatorOptions } from "./options.js";
import type { EmulatorHandle } from "./server.js";
import { EMULATED_HEADER, TIME_SCALE_HEADER } from "./wire.js";

interface Backend {
  url: string;
  healthy: boolean;
  lastError?: string;
}

/** hop-by-hop headers a proxy does not pass on */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "content-length"]);

function passHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

export async function startAggregatedFrontend(opts: EmulatorOptions, hooks: EmulatorHooks): Promise<EmulatorHandle> {
  const backends: Backend[] = opts.worker.map((u) => ({ url: u.replace(/\/+$/, ""), healthy: false }));
  const dispatcher = new Agent({ connections: 1024, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const counters = { routed: 0, failed: 0 };
  let next = 0;
  let closed = false;
  const ready = () => backends.every((b) => b.healthy);
  const pick = () => {
    const list = backends.filter((b) => b.healthy);
    return list.length ? list[next++ % list.length] : undefined;
  };

  const check = async (b: Backend) => {
    try {
      const r = await request(`${b.url}/health`, { dispatcher, signal: AbortSignal.timeout(2000) });
      await r.body.dump();
      const ok = r.statusCode === 200;
      if (ok !== b.healthy) hooks.log?.(`worker ${b.url} ${ok ? "healthy" : `unhealthy (${r.statusCode})`}`);
      b.healthy = ok;
      b.lastError = ok ? undefined : `status ${r.statusCode}`;
    } catch (err) {
      if (b.healthy) hooks.log?.(`worker ${b.url} unhealthy (${(err as Error).message})`);
      b.healthy = false;
      b.lastError = (err as Error).message;
    }
  };
  let poller: NodeJS.Timeout | undefined;
  const poll = async () => {
    await Promise.all(backends.map(check));
    if (!closed) poller = setTimeout(poll, opts.healthIntervalMs);
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      [EMULATED_HEADER]: "1",
      [TIME_SCALE_HEADER]: String(opts.timeScale),
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, message: string) => {
    counters.failed++;
    if (res.headersSent) res.destroy();
    else json(res, status, errorBody(message, status));
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const b = pick();
    if (!b) return fail(res, 503, "No available workers");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    try {
      const r = await request(`${b.url}${path}`, {
        method: req.method === "POST" ? "POST" : "GET",
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
        headers: passHeaders(req.headers),
        dispatcher,
        signal: abort.signal,
      });
      res.writeHead(r.statusCode, passHeaders(r.headers));
      res.flushHeaders();
      counters.routed++;
      for await (const chunk of r.body) res.write(chunk);
      res.end();
    } catch (err) {
      if (abort.signal.aborted) return;
      fail(res, 502, `frontend: ${b.url}${path}: ${(err as Error).message}`);
    }
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const m = req.method ?? "GET";
    if (m === "GET" && (path === "/health" || path === "/readiness")) {
      if (ready()) {
        const instances = backends.map((b) => ({ component: "backend", endpoint: "generate", url: b.url }));
        return json(res, 200, { status: "ready", workers: backends.length, instances });
      }
      return json(res, 503, { status: "not ready", unhealthy: backends.filter((b) => !b.healthy).map((b) => b.url) });
    }
    if (m === "GET" && path === "/liveness") return json(res, 200, { status: "alive" });
    if (m === "GET" && path === "/workers") {
      // sgl-router's /workers in front of aggregated workers: they count as `regular`
      const regular = backends.filter((b) => b.healthy).length;
      const stats = { prefill_count: 0, decode_count: 0, regular_count: regular };
      return json(res, 200, { workers: backends, total: backends.length, stats });
    }
    if (m === "GET" && path === "/metrics") {
      const text = [
        "# TYPE benchfleet_emulated gauge",
        "benchfleet_emulated 1",
        "# TYPE benchfleet_router_requests_total counter",
        `benchfleet_router_requests_total ${counters.routed}`,
        "# TYPE benchfleet_router_failures_total counter",
        `benchfleet_router_failures_total ${counters.failed}`,
        "",
      ].join("\n");
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      return void res.end(text);
    }
    if ((m === "GET" && path === "/v1/models") || (m === "POST" && path.startsWith("/v1/"))) {
      if (!ready()) return fail(res, 503, "frontend not ready: waiting for its workers");
      return void forward(req, res, path).catch((err) => fail(res, 500, (err as Error).message));
    }
    fail(res, 404, `no route ${m} ${path}`);
  });
  const listening = await listenHttp(server, opts.port, opts.host);
  void poll();
  return {
    port: listening.port,
    url: listening.url,
    role: "router",
    timeScale: opts.timeScale,
    close: async () => {
      closed = true;
      if (poller) clearTimeout(poller);
      const done = listening.close();
      await dispatcher.destroy().catch(() => undefined);
      await done;
    },
    control: {
      inject: () => {
        throw new Error("the frontend takes no faults; inject them into its workers");
      },
      state: () => ({ role: "router", ready: ready(), workers: backends, ...counters }),
      crashed: new Promise<void>(() => undefined),
    },
  };
}
