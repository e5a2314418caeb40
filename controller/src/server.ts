/**
 * startController: builds and starts a controller (Redis state, BullMQ queues, results DB, log
 * store, agent and event WebSockets, REST API, allocation loop). Used by `benchfleet controller
 * start` and by tests; `close()` stops everything it started.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_MESSAGE_BYTES } from "@benchfleet/shared";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { Registry } from "prom-client";
import { registerAgentEnrolmentRoutes } from "./api/agent-enrolment.js";
import { Auth, mergeTokens, tokensFromEnv, tokensFromFile } from "./api/auth.js";
import { EventHub, type Topic } from "./api/event-hub.js";
import { registerJobRoutes } from "./api/jobs.js";
import { registerLogDownloadRoute } from "./api/log-download.js";
import { apiLogLines } from "./api/log-lines.js";
import { registerNodeRoutes } from "./api/nodes.js";
import { registerPlanTimingRoute } from "./api/plan-timing.js";
import { ControllerMetrics } from "./api/prometheus.js";
import { registerResultRoutes } from "./api/results.js";
import { registerResultsAnalyticsRoutes } from "./api/results-analytics.js";
import { Api, EVENTS_SUBPROTOCOL, errorBody, websocketBearer } from "./api/route.js";
import { registerSessionRoutes } from "./api/session.js";
import { registerSweepRoutes } from "./api/sweeps.js";
import type { ControllerContext } from "./context.js";
import { AgentHub } from "./fleet/agent-hub.js";
import { NodeRegistry, nodeView } from "./fleet/node-registry.js";
import { Bus } from "./infra/bus.js";
import { LogStore } from "./infra/log-store.js";
import { connectRedis, RedisState } from "./infra/redis-state.js";
import { StallGuard, stallGuardOptions } from "./infra/stall-guard.js";
import { AttemptStore } from "./jobs/attempts.js";
import { JobStore } from "./jobs/jobs.js";
import { Sweeps } from "./jobs/sweeps.js";
import { ResultsDb } from "./results/results-db.js";
import { AttemptSupervisor } from "./scheduling/attempt-supervisor.js";
import { Dispatcher } from "./scheduling/dispatcher.js";
import { connectionFromUrl, QueueSet } from "./scheduling/queues.js";
import { type ControllerConfig, type ControllerConfigInput, loadConfig } from "./settings.js";

export const CONTROLLER_VERSION = "0.1.0";
const PUBLIC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../public");

export interface StartOptions {
  /** settings; anything missing comes from env (see config.ts) */
  config?: Partial<ControllerConfigInput>;
  env?: NodeJS.ProcessEnv;
  /** fastify/pino logger: true = info to stdout; default off */
  logger?: boolean | { level: string };
}

export interface ControllerHandle {
  url: string;
  port: number;
  cfg: ControllerConfig;
  ctx: ControllerContext;
  /** every HTTP route the controller serves (HEAD left out) */
  routes: readonly ControllerRoute[];
  close(): Promise<void>;
}

export interface ControllerRoute {
  method: string;
  url: string;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

/** Redis URL without its password, for messages. */
function redisForDisplay(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Starts the controller. When startup fails (Redis unreachable within `redisStartupTimeoutMs`, a bad
 * tokens file, a data dir that cannot be made, an address it cannot listen on) whatever was already
 * opened is closed again, so the error reaches the caller and the process can exit.
 */
export async function startController(opts: StartOptions = {}): Promise<ControllerHandle> {
  const closers: Array<() => unknown> = [];
  try {
    return await start(opts, closers);
  } catch (e) {
    for (const close of closers.reverse())
      await Promise.resolve()
        .then(close)
        .catch(() => {});
    throw e;
  }
}

async function start(opts: StartOptions, closers: Array<() => unknown>): Promise<ControllerHandle> {
  const env = opts.env ?? process.env;
  const cfg = loadConfig(env, opts.config ?? {});
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 64 * 1024 * 1024 });
  const routes: ControllerRoute[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) if (method !== "HEAD") routes.push({ method, url: r.url });
  });
  const log = app.log as FastifyBaseLogger;
  closers.push(() => app.close());

  const redis = connectRedis(cfg.redisUrl);
  closers.push(() => redis.disconnect());
  let redisError = "";
  redis.on("error", (e) => {
    redisError = e.message;
    log.error({ err: e.message }, "redis error");
  });
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.ping().finally(() => clearTimeout(waited)),
    new Promise((_, reject) => {
      waited = setTimeout(
        () =>
          reject(
            new Error(
              `cannot reach Redis at ${redisForDisplay(cfg.redisUrl)} (waited ${cfg.redisStartupTimeoutMs / 1000} s${redisError ? `: ${redisError}` : ""}); is it running? (--redis-url or REDIS_URL)`,
            ),
          ),
        cfg.redisStartupTimeoutMs,
      );
    }),
  ]);
  const state = new RedisState(redis, cfg.keyPrefix);
  const bus = new Bus();
  const results = new ResultsDb(cfg.dataDir);
  closers.push(() => results.close());
  const logs = new LogStore(cfg.dataDir, bus, cfg.logMaxBytes, cfg.logRotations);
  const queues = new QueueSet({
    connection: connectionFromUrl(cfg.redisUrl),
    redis,
    prefix: cfg.keyPrefix,
    lockDurationMs: cfg.lockDurationMs,
    stalledIntervalMs: cfg.stalledIntervalMs,
    maxStalledCount: cfg.maxStalledCount,
    jobAttempts: cfg.jobAttempts,
    backoffMs: cfg.backoffMs,
    backoffJitter: cfg.backoffJitter,
  });
  closers.push(() => queues.close());
  await queues.loadKnown();
  const jobs = new JobStore(state, bus);
  const attempts = new AttemptStore(state, bus);
  const registry = new NodeRegistry(state, bus);
  await Promise.all([jobs.load(), attempts.load(), registry.load()]);
  const tokens = mergeTokens(tokensFromEnv(env), ...(cfg.tokensFile ? [tokensFromFile(cfg.tokensFile)] : []));
  const auth = new Auth(cfg.insecureDev, tokens, state);
  const tickMs = Math.max(50, Math.min(cfg.heartbeatIntervalMs, 1000));
  const stall = new StallGuard(stallGuardOptions(tickMs, cfg.heartbeatTimeoutMs));
  redis.on("close", () => stall.redisDown());
  redis.on("ready", () => stall.redisUp());
  stall.start();
  closers.push(() => stall.stop());
  const supervisor = new AttemptSupervisor({ cfg, queues, jobs, attempts, registry, results, logs, bus, log, stall });
  const metricsRegistry = new Registry();
  const dispatcher = new Dispatcher(cfg, queues, jobs, attempts, registry, supervisor, log, metricsRegistry);
  supervisor.onCapacityChange = () => dispatcher.kick();
  const hub = new AgentHub(cfg, auth, registry, supervisor, log);
  closers.push(() => hub.close());
  supervisor.attachHub(hub);
  const sweeps = new Sweeps(state, bus, jobs, queues, supervisor, results, () => dispatcher.kick());
  await sweeps.load();

  // re-adopt before BullMQ's stalled checker may move jobs whose locks expired while we were down
  const recovered = await supervisor.recover();
  await queues.startStalledChecks();

  const events = new EventHub(
    bus,
    async (topic: Topic, id?: string) => {
      switch (topic) {
        case "fleet":
          return { nodes: registry.list().map(nodeView), holds: dispatcher.heldNodes() };
        case "sweeps":
          return { sweeps: sweeps.list() };
        case "sweep": {
          const s = sweeps.get(id!);
          return s ? { sweep: s, jobs: jobs.ofSweep(id!) } : undefined;
        }
        case "job": {
          const j = jobs.get(id!);
          return j
            ? { job: j, attempts: attempts.ofJob(id!), waitingReason: dispatcher.waitingReason(id!) }
            : undefined;
        }
        case "job-logs": {
          const j = jobs.get(id!);
          if (!j) return undefined;
          const attemptId = j.currentAttemptId ?? attempts.ofJob(id!).at(-1)?.attemptId;
          return {
            attemptId: attemptId ?? null,
            lines: attemptId ? apiLogLines(logs.tail(j.jobId, attemptId, 200).lines) : [],
          };
        }
      }
    },
    { softBytes: cfg.eventSoftLimitBytes, hardBytes: cfg.eventHardLimitBytes, pingIntervalMs: cfg.pingIntervalMs },
    log,
  );
  closers.push(() => events.close());

  const ctx: ControllerContext = {
    cfg,
    redis,
    state,
    bus,
    queues,
    jobs,
    attempts,
    registry,
    results,
    logs,
    auth,
    supervisor,
    dispatcher,
    hub,
    events,
    sweeps,
    log,
  };
  const metrics = new ControllerMetrics(metricsRegistry, ctx, stall);

  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = errorBody(err);
    if (status >= 500) log.error({ err: (err as Error).stack ?? String(err) }, "request failed");
    if (status >= 500 && process.env.BENCHFLEET_DEBUG) console.error(err);
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: "not-found", message: `no route ${req.method} ${req.url.split("?")[0]}` });
  });

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: MAX_MESSAGE_BYTES,
      // a browser's events socket offers its token as a subprotocol beside this one: answer with this one
      handleProtocols: (offered: Set<string>) => (offered.has(EVENTS_SUBPROTOCOL) ? EVENTS_SUBPROTOCOL : false),
    },
  });
  // a request for no route is refused before its body is read (and its connection closed, not drained)
  app.addHook("onRequest", async (req, reply) => {
    if (req.routeOptions.url !== undefined) return;
    if (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined)
      void reply.header("connection", "close");
    return reply.code(404).send({ error: "not-found", message: `no route ${req.method} ${req.url.split("?")[0]}` });
  });
  const api = new Api(app, auth, { checkResponses: env.BENCHFLEET_CHECK_RESPONSES === "1" });
  app.get("/api/v1/agents/ws", { websocket: true }, (socket) => hub.handle(socket));
  app.get(
    "/api/v1/events/ws",
    {
      websocket: true,
      preValidation: async (req) => {
        api.authorize(req, "viewer", websocketBearer(req));
      },
    },
    (socket) => events.handle(socket),
  );

  api.route({ method: "GET", url: "/api/v1/health", role: "public", tag: "system", summary: "liveness" }, async () => ({
    ok: true,
    version: CONTROLLER_VERSION,
  }));
  api.route(
    { method: "GET", url: "/api/v1/status", role: "viewer", tag: "system", summary: "controller counters" },
    // the figures of /metrics (one registry), as JSON
    async () => ({
      version: CONTROLLER_VERSION,
      nodes: await metrics.value("benchfleet_agents"),
      agentsConnected: await metrics.value("benchfleet_agents_connected"),
      liveAttempts:
        (await metrics.value("benchfleet_attempts", { state: "dispatched" })) +
        (await metrics.value("benchfleet_attempts", { state: "running" })),
      staleMessagesRejected: await metrics.value("benchfleet_stale_messages_rejected_total"),
      malformedAgentFrames: await metrics.value("benchfleet_agent_ws_frames_malformed_total"),
      eventSubscribers: await metrics.value("benchfleet_event_subscribers"),
      eventDeltasDropped: await metrics.value("benchfleet_event_deltas_dropped_total"),
      dispatchRounds: await metrics.value("benchfleet_dispatch_rounds_total"),
      // cumulative histograms (see duration-histogram.ts): two snapshots give quantiles in between
      dispatchRoundMs: await dispatcher.roundMs.snapshot(),
      allocateMs: await dispatcher.allocateMs.snapshot(),
      resultsSchemaVersion: results.schemaVersion(),
      recovered,
      controllerStalls: await metrics.value("benchfleet_controller_stalls_total"),
    }),
  );
  registerSweepRoutes(api, ctx);
  registerJobRoutes(api, ctx);
  registerLogDownloadRoute(api, ctx);
  registerPlanTimingRoute(api, ctx);
  registerNodeRoutes(api, ctx);
  registerAgentEnrolmentRoutes(api, ctx);
  registerResultRoutes(api, ctx);
  registerResultsAnalyticsRoutes(api, ctx);
  registerSessionRoutes(api);
  app.get("/api/v1/openapi.json", async () => api.openapi(CONTROLLER_VERSION));
  // Prometheus text exposition; a viewer token (Prometheus: `authorization: {credentials_file: …}`)
  app.get(
    "/metrics",
    {
      onRequest: async (req) => {
        api.authorize(req, "viewer");
      },
    },
    async (_req, reply) =>
      reply.header("content-type", metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );

  if (existsSync(PUBLIC_DIR)) {
    app.get("/*", async (req, reply) => {
      const rel = normalize(decodeURIComponent(req.url.split("?")[0]!)).replace(/^([/\\])+/, "");
      if (rel.startsWith("api/")) return reply.code(404).send({ error: "not-found", message: `no route ${req.url}` });
      let file = join(PUBLIC_DIR, rel);
      if (!file.startsWith(PUBLIC_DIR)) return reply.code(404).send({ error: "not-found", message: "not found" });
      if (!existsSync(file) || statSync(file).isDirectory()) file = join(PUBLIC_DIR, "index.html");
      if (!existsSync(file)) return reply.code(404).send({ error: "not-found", message: "dashboard not built" });
      return reply.header("content-type", MIME[extname(file)] ?? "application/octet-stream").send(readFileSync(file));
    });
  }

  await app.listen({ host: cfg.host, port: cfg.port });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : cfg.port;
  dispatcher.start();
  let ticking = false;
  const tickTimer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    supervisor
      .tick()
      .catch((e) => log.error({ err: (e as Error).stack ?? String(e) }, "supervisor tick failed"))
      .finally(() => {
        ticking = false;
      });
  }, tickMs);
  tickTimer.unref();
  log.info({ port, recovered }, "controller started");

  let closed = false;
  return {
    url: `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${port}`,
    port,
    cfg,
    ctx,
    routes,
    async close() {
      if (closed) return;
      closed = true;
      dispatcher.stop();
      clearInterval(tickTimer);
      stall.stop();
      await hub.close();
      await events.close();
      await app.close();
      await queues.close();
      await redis.quit().catch(() => {});
      results.close();
    },
  };
}
