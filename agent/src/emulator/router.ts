/**
 * The emulated router/frontend (`--role router`), in one of two modes:
 *
 * - disaggregated (`--prefill URL… --decode URL…`): serves a request by prefilling it on a prefill
 *   worker (`/internal/prefill`), waiting the KV-transfer delay that worker reports (∝ ISL), then
 *   streaming the decode worker's response to the client unchanged;
 * - aggregated (`--worker URL…`, a Dynamo frontend in front of aggregated workers): passes each
 *   request, with its headers, to one worker and streams its response back unchanged.
 *
 * Either way it polls every worker's /health, answers /health and /readiness 503 until all are
 * healthy (then 200 with the workers as Dynamo-style `instances`: component `prefill`, `decode`, or
 * `backend` for an aggregated worker), `/workers` counts the healthy ones as sgl-router does
 * (aggregated workers as `regular`), and workers are picked round-robin among the healthy ones.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { listenHttp } from "./listen-http.js";
import { errorBody } from "./openai-protocol.js";
import type { EmulatorHooks, EmulatorOptions } from "./options.js";
import type { EmulatorHandle } from "./server.js";
import { EMULATED_HEADER, FOLLOW_UP_HEADER, PREFILLED_HEADER, TIME_SCALE_HEADER, WAVE_HEADER } from "./wire.js";

type Pool = "prefill" | "decode" | "worker";

interface Worker {
  url: string;
  pool: Pool;
  healthy: boolean;
  lastError?: string;
  lastCheck?: string;
}

/**
 * The client's closed-loop hints (`x-benchfleet-follow-up`, `x-benchfleet-wave`), passed on to the
 * decode worker: its clock then waits for a promised request while that request is prefilled and
 * its KV moved, so the host's time for the trip does not count on the emulated clock. The prefill
 * worker gets none: holding its clock for a client's next request would stall the other clients'
 * prefills until that client's decode has ended.
 */
function closedLoopHints(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of [FOLLOW_UP_HEADER, WAVE_HEADER]) {
    const v = req.headers[h];
    if (typeof v === "string") out[h] = v;
  }
  return out;
}

/** hop-by-hop headers a proxy does not pass on */
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "content-length"]);

function passHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined && !HOP.has(k)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/** the component a worker registers as in a Dynamo frontend's /health */
const COMPONENT: Record<Pool, string> = { prefill: "prefill", decode: "decode", worker: "backend" };

export async function startRouter(opts: EmulatorOptions, hooks: EmulatorHooks): Promise<EmulatorHandle> {
  const trim = (u: string) => u.replace(/\/+$/, "");
  const aggregated = opts.worker.length > 0;
  // what it calls itself in errors: Dynamo's frontend in front of aggregated workers, else the PD router
  const name = aggregated ? "frontend" : "router";
  const workers: Worker[] = [
    ...opts.prefill.map((url) => ({ url: trim(url), pool: "prefill" as const, healthy: false })),
    ...opts.decode.map((url) => ({ url: trim(url), pool: "decode" as const, healthy: false })),
    ...opts.worker.map((url) => ({ url: trim(url), pool: "worker" as const, healthy: false })),
  ];
  const pools = [...new Set(workers.map((w) => w.pool))];
  const dispatcher = new Agent({ connections: 1024, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const rr: Record<Pool, number> = { prefill: 0, decode: 0, worker: 0 };
  const counters = { routed: 0, failed: 0 };
  let closed = false;
  let timeScale = opts.timeScale;

  const ready = () => workers.every((w) => w.healthy);
  const pick = (pool: Pool): Worker | undefined => {
    const list = workers.filter((w) => w.pool === pool && w.healthy);
    if (list.length === 0) return undefined;
    return list[rr[pool]++ % list.length];
  };

  const check = async (w: Worker) => {
    try {
      const r = await request(`${w.url}/health`, {
        dispatcher,
        headersTimeout: 2000,
        bodyTimeout: 2000,
        signal: AbortSignal.timeout(2000),
      });
      await r.body.dump();
      const ok = r.statusCode === 200;
      if (ok !== w.healthy) hooks.log?.(`worker ${w.pool} ${w.url} ${ok ? "healthy" : `unhealthy (${r.statusCode})`}`);
      w.healthy = ok;
      w.lastError = ok ? undefined : `status ${r.statusCode}`;
    } catch (err) {
      if (w.healthy) hooks.log?.(`worker ${w.pool} ${w.url} unhealthy (${(err as Error).message})`);
      w.healthy = false;
      w.lastError = (err as Error).message;
    }
    w.lastCheck = new Date().toISOString();
  };
  let poller: NodeJS.Timeout | undefined;
  const poll = async () => {
    await Promise.all(workers.map(check));
    if (!closed) poller = setTimeout(poll, opts.healthIntervalMs);
  };

  const headers = (extra: Record<string, string> = {}) => ({
    [EMULATED_HEADER]: "1",
    [TIME_SCALE_HEADER]: String(timeScale),
    ...extra,
  });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(
      status,
      headers({ "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }),
    );
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, message: string) => {
    counters.failed++;
    if (res.headersSent) res.destroy();
    else json(res, status, errorBody(message, status));
  };

  const readiness = (res: ServerResponse) => {
    if (ready()) {
      // `instances` in the Dynamo frontend's /health shape (reference/engines.md §2), so a dynamo-* plan's
      // readiness check (expected `generate` instances per component) holds against the emulated frontend
      const instances = workers.map((w) => ({ component: COMPONENT[w.pool], endpoint: "generate", url: w.url }));
      json(res, 200, { status: "ready", workers: workers.length, instances });
      return;
    }
    const down = workers.filter((w) => !w.healthy).map((w) => `${w.pool} ${w.url}`);
    json(res, 503, { status: "not ready", unhealthy: down });
  };

  /** a worker's response to the client as it arrives */
  const streamBack = async (
    res: ServerResponse,
    status: number,
    h: Record<string, string>,
    body: AsyncIterable<Buffer>,
  ) => {
    res.writeHead(status, h);
    res.flushHeaders();
    counters.routed++;
    for await (const chunk of body) res.write(chunk);
    res.end();
  };

  const proxyInference = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const body = await readBody(req);
    const p = pick("prefill");
    const d = pick("decode");
    if (!p || !d) return fail(res, 503, "No available workers: prefill or decode pool unhealthy");
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const kind = path.endsWith("chat/completions") ? "chat" : "completion";
    try {
      const pr = await request(`${p.url}/internal/prefill?kind=${kind}`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
        dispatcher,
        signal: abort.signal,
      });
      const ptext = await pr.body.text();
      if (pr.statusCode !== 200) {
        counters.failed++;
        res.writeHead(pr.statusCode, headers({ "content-type": "application/json" }));
        res.end(ptext);
        return;
      }
      const info = JSON.parse(ptext) as { kv_transfer_ms: number; time_scale: number; prompt_tokens: number };
      timeScale = info.time_scale;
      await sleep(info.kv_transfer_ms * info.time_scale, undefined, { signal: abort.signal });
      const dr = await request(`${d.url}${path}`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          [PREFILLED_HEADER]: String(info.prompt_tokens),
          ...closedLoopHints(req),
        },
        dispatcher,
        signal: abort.signal,
      });
      await streamBack(res, dr.statusCode, { ...passHeaders(dr.headers), ...headers() }, dr.body);
    } catch (err) {
      if (abort.signal.aborted) return;
      fail(res, 502, `router: upstream failed: ${(err as Error).message}`);
    }
  };

  /** aggregated serving: the request as it came, to one worker; its response as it comes */
  const forward = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const w = pick("worker");
    if (!w) return fail(res, 503, "No available workers");
    const body = await readBody(req);
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    try {
      const r = await request(`${w.url}${path}`, {
        method: req.method === "POST" ? "POST" : "GET",
        ...(req.method === "POST" ? { body } : {}),
        headers: passHeaders(req.headers),
        dispatcher,
        signal: abort.signal,
      });
      await streamBack(res, r.statusCode, passHeaders(r.headers), r.body);
    } catch (err) {
      if (abort.signal.aborted) return;
      fail(res, 502, `frontend: ${w.url}${path}: ${(err as Error).message}`);
    }
  };

  const proxyGet = async (res: ServerResponse, path: string) => {
    const d = pick("decode") ?? workers.find((w) => w.pool === "decode")!;
    try {
      const r = await request(`${d.url}${path}`, { dispatcher, signal: AbortSignal.timeout(5000) });
      const text = await r.body.text();
      res.writeHead(r.statusCode, headers({ "content-type": String(r.headers["content-type"] ?? "application/json") }));
      res.end(text);
    } catch (err) {
      fail(res, 502, `router: ${d.url}${path}: ${(err as Error).message}`);
    }
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const m = req.method ?? "GET";
    if (m === "GET" && (path === "/health" || path === "/readiness")) return readiness(res);
    if (m === "GET" && path === "/liveness") return json(res, 200, { status: "alive" });
    if (m === "GET" && path === "/workers") {
      // sgl-router's /workers: the workers, and the healthy ones counted by type
      const healthy = (pool: Pool) => workers.filter((w) => w.pool === pool && w.healthy).length;
      const stats = {
        prefill_count: healthy("prefill"),
        decode_count: healthy("decode"),
        regular_count: healthy("worker"),
      };
      return json(res, 200, { workers, total: workers.length, stats });
    }
    if (aggregated && ((m === "GET" && path === "/v1/models") || (m === "POST" && path.startsWith("/v1/")))) {
      if (!ready()) return fail(res, 503, "frontend not ready: waiting for its workers");
      return void forward(req, res, path).catch((err) => fail(res, 500, (err as Error).message));
    }
    if (m === "GET" && path === "/v1/models") return void proxyGet(res, path);
    if (m === "GET" && path === "/metrics") {
      const lines = [
        "# TYPE benchfleet_emulated gauge",
        "benchfleet_emulated 1",
        "# TYPE benchfleet_router_requests_total counter",
        `benchfleet_router_requests_total ${counters.routed}`,
        "# TYPE benchfleet_router_failures_total counter",
        `benchfleet_router_failures_total ${counters.failed}`,
        "# TYPE benchfleet_router_healthy_workers gauge",
        ...pools.map(
          (pool) =>
            `benchfleet_router_healthy_workers{pool="${pool}"} ${workers.filter((w) => w.pool === pool && w.healthy).length}`,
        ),
      ];
      res.writeHead(200, headers({ "content-type": "text/plain; version=0.0.4" }));
      res.end(`${lines.join("\n")}\n`);
      return;
    }
    if (m === "POST" && (path === "/v1/completions" || path === "/v1/chat/completions")) {
      if (!ready()) return fail(res, 503, "router not ready: waiting for prefill and decode workers");
      return void proxyInference(req, res, path).catch((err) => fail(res, 500, (err as Error).message));
    }
    fail(res, 404, `no route ${m} ${path}`);
  });
  const listening = await listenHttp(server, opts.port, opts.host);
  void poll();
  // the router itself never crashes by fault
  const crashed = new Promise<void>(() => undefined);
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
        throw new Error(`the ${name} takes no faults; inject them into its workers`);
      },
      state: () => ({ role: "router", ready: ready(), workers, ...counters }),
      crashed,
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
