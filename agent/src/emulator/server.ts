/**
 * The emulated engine's HTTP server: OpenAI-compatible completions and chat (SSE streaming and
 * not), /health, /v1/models, /metrics, the fault control endpoint, and the prefill role's
 * internal endpoint. Token timing comes from the Scheduler (performance model) or, in
 * fixed-delay mode, from absolute per-request deadlines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { defaultEngineOptions } from "./batch-engine.js";
import { FaultSpec, FaultState } from "./faults.js";
import { type EngineGpuLoad, gpuMemoryUsedMiB, InFlightBusyClock } from "./gpu-load.js";
import { Gsm8kOracle } from "./gsm8k-oracle.js";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog, parsePrecision } from "./model-spec.js";
import {
  BadRequest,
  type ChunkMeta,
  contentChunk,
  errorBody,
  fullResponse,
  type Kind,
  type ParsedRequest,
  parseBody,
  roleChunk,
  usage,
  usageChunk,
} from "./openai-protocol.js";
import {
  type EmulatorHooks,
  type EmulatorOptions,
  type EmulatorOptionsInput,
  parseEmulatorOptions,
} from "./options.js";
import { PerfModel } from "./perf-model.js";
import { blockHashes, PrefixCache } from "./prefix-cache.js";
import { type PromptCounter, promptCounter } from "./prompt-counter.js";
import { startRouter } from "./router.js";
import { Scheduler } from "./scheduler.js";
import { type PlannedOutput, planOutput } from "./tokens.js";
import {
  EMULATED_HEADER,
  FOLLOW_UP_HEADER,
  OWNED_BY,
  PREFILLED_HEADER,
  TIME_SCALE_HEADER,
  WAVE_HEADER,
} from "./wire.js";

type MetricLine = (name: string, type: "gauge" | "counter", help: string, value: number) => void;
interface MetricFigures {
  running: number;
  waiting: number;
  kvUsage: number;
  prompt: number;
  generation: number;
}

/** The wave-size header: a whole number from 1 to 65536, anything else counts as 1. */
function waveSize(v: string | string[] | undefined): number {
  const n = typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65_536 ? n : 1;
}

export interface EmulatorControl {
  /** applies a fault as `POST /control/fault` would */
  inject(spec: FaultSpec): void;
  state(): object;
  /** resolves when a crash fault fires */
  readonly crashed: Promise<void>;
}

export interface EmulatorHandle {
  port: number;
  url: string;
  role: EmulatorOptions["role"];
  timeScale: number;
  close(): Promise<void>;
  control: EmulatorControl;
}

const MAX_BODY = 32 * 1024 * 1024;
const DEFAULT_CHAT_MAX_TOKENS = 4096;
const DEFAULT_COMPLETION_MAX_TOKENS = 16;

export async function startEmulator(input: EmulatorOptionsInput, hooks: EmulatorHooks = {}): Promise<EmulatorHandle> {
  const opts = parseEmulatorOptions(input);
  if (opts.role === "router") return startRouter(opts, hooks);
  return new EngineServer(opts, hooks).start();
}

interface Setup {
  perf?: PerfModel;
  scheduler?: Scheduler;
  cache?: PrefixCache;
  servedModel: string;
  maxModelLen: number;
  describe: Record<string, unknown>;
}

function setup(opts: EmulatorOptions, hooks: EmulatorHooks): Setup {
  if (opts.fixedDelay) {
    return {
      servedModel: opts.servedModelName ?? "benchfleet-emulator/fixed-delay",
      maxModelLen: 1_000_000,
      describe: { mode: "fixed-delay", ...opts.fixedDelay },
    };
  }
  const model = findModel(loadModelCatalog(), opts.model);
  const sku = findSku(loadSkuCatalog(), opts.sku);
  const precision = parsePrecision(opts.precision);
  const perf = new PerfModel(
    sku.spec,
    model.spec,
    precision,
    {
      tp: opts.tp,
      ep: opts.ep,
      pp: opts.pp,
      ...(opts.epGroup !== undefined ? { epGroup: opts.epGroup } : {}),
      dpAttn: opts.dpAttn,
      mtp: opts.spec === "mtp",
    },
    hooks.constants,
  );
  const engineOpts = defaultEngineOptions(perf, {
    seed: opts.seed,
    ...(opts.maxRunning ? { maxRunning: opts.maxRunning } : {}),
    ...(opts.maxBatchTokens ? { maxBatchTokens: opts.maxBatchTokens } : {}),
  });
  const block = opts.prefixBlockTokens;
  const gpuBlocks = (opts.cacheTokens ?? perf.kvCapacityTokens) / block;
  const dramBlocks = Math.floor(dramTierBlocks(opts, gpuBlocks, perf.kvBytesPerToken * block));
  const cache = opts.prefixCache ? new PrefixCache(block, gpuBlocks, dramBlocks) : undefined;
  return {
    perf,
    ...(cache ? { cache } : {}),
    scheduler: new Scheduler(perf, engineOpts, opts.timeScale),
    servedModel: opts.servedModelName ?? model.spec.name,
    maxModelLen: model.spec.maxModelLen,
    describe: {
      mode: "model",
      sku: sku.key,
      model: model.key,
      precision,
      tp: opts.tp,
      ep: opts.ep,
      pp: opts.pp,
      ...(opts.epGroup !== undefined ? { ep_group: opts.epGroup } : {}),
      dp_attn: opts.dpAttn,
      spec: opts.spec,
      kv_capacity_tokens: perf.kvCapacityTokens,
      max_running: engineOpts.maxRunning,
      max_batch_tokens: engineOpts.maxBatchTokens,
      prefix_cache: cache
        ? {
            block_tokens: block,
            dram_offload_gb: opts.dramOffloadGb,
            dram_offload_ratio: opts.dramOffloadRatio,
            dram_tier_tokens: dramBlocks * block,
          }
        : null,
    },
  };
}

/** the host-DRAM tier in blocks: a size in GB, or a multiple of the GPU tier */
function dramTierBlocks(opts: EmulatorOptions, gpuBlocks: number, bytesPerBlock: number): number {
  if (opts.dramOffloadRatio > 0) return gpuBlocks * opts.dramOffloadRatio;
  return (opts.dramOffloadGb * 1e9) / bytesPerBlock;
}

const hasDramTier = (opts: EmulatorOptions) => opts.dramOffloadGb > 0 || opts.dramOffloadRatio > 0;

class EngineServer {
  private readonly s: Setup;
  private readonly prompts: PromptCounter;
  private readonly faults = new FaultState();
  private readonly oracle: Gsm8kOracle;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** continuations parked while hung */
  private deferred: Array<() => void> = [];
  private hung = false;
  private faultTimer: NodeJS.Timeout | undefined;
  private readonly fixedTimers = new Set<NodeJS.Timeout>();
  private reqSeq = 0;
  private inFlight = 0;
  /** fixed-delay mode's busy time (busy while a request is in flight); model mode counts steps */
  private readonly fixedBusy = new InFlightBusyClock();
  private readonly startedAt = performance.now();
  private counters = { success: 0, prompt: 0, generation: 0 };
  /** prefix-cache counters, tokens: looked up, found (GPU or DRAM), looked up in and found in DRAM */
  private cacheCounters = { queries: 0, hits: 0, dramQueries: 0, dramHits: 0 };
  private resolveCrashed!: () => void;
  private readonly crashed = new Promise<void>((r) => {
    this.resolveCrashed = r;
  });
  private closed = false;

  constructor(
    private readonly opts: EmulatorOptions,
    private readonly hooks: EmulatorHooks,
  ) {
    this.s = setup(opts, hooks);
    this.prompts = promptCounter(opts.tokenizer);
    this.oracle = Gsm8kOracle.load(opts.accuracy, opts.seed);
    for (const f of opts.faults) this.faults.apply(f);
    this.server = createServer((req, res) => this.route(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on("connection", (sock) => {
      sock.setNoDelay(true);
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
    });
  }

  async start(): Promise<EmulatorHandle> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.checkFaults();
    const addr = this.server.address();
    const port = typeof addr === "object" && addr ? addr.port : this.opts.port;
    const host = this.opts.host === "0.0.0.0" || this.opts.host === "::" ? "127.0.0.1" : this.opts.host;
    return {
      port,
      url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
      role: this.opts.role,
      timeScale: this.opts.timeScale,
      close: () => this.close(),
      control: {
        inject: (spec) => this.inject(spec),
        state: () => this.state(),
        crashed: this.crashed,
      },
    };
  }

  private inject(spec: FaultSpec): void {
    this.faults.apply(FaultSpec.parse(spec));
    this.checkFaults();
  }

  private state(): object {
    return {
      role: this.opts.role,
      faults: this.faults.snapshot(),
      engine: this.s.scheduler?.stats(),
      inFlight: this.inFlight,
      gpu: this.gpuLoad(),
    };
  }

  /** how busy this engine keeps its GPUs (the emulated agent's GPU power model reads it) */
  private gpuLoad(): EngineGpuLoad {
    const { scheduler, perf } = this.s;
    const busy = scheduler
      ? scheduler.busy()
      : { busyWallMs: this.fixedBusy.busyWallMs(), wallMs: performance.now() - this.startedAt };
    const st = scheduler?.stats();
    return {
      gpus: perf?.gpus ?? this.opts.tp * this.opts.pp,
      ...busy,
      memUsedMiB: perf && st ? gpuMemoryUsedMiB(perf, st.kvUsedTokens) : null,
      memTotalMiB: perf ? Math.round((perf.sku.hbmGB * 1e9) / 1048576) : null,
      timeScale: this.opts.timeScale,
    };
  }

  /** Acts on the fault state: crash, enter or leave hang, arm the next timed fault. */
  private checkFaults(): void {
    if (this.closed) return;
    if (this.faults.shouldCrash()) {
      this.crash();
      return;
    }
    const hung = this.faults.isHung();
    if (hung && !this.hung) {
      this.hung = true;
      this.s.scheduler?.pause();
      this.hooks.log?.("fault: hang");
    } else if (!hung && this.hung) {
      this.hung = false;
      this.s.scheduler?.resume();
      const d = this.deferred;
      this.deferred = [];
      for (const k of d) k();
    }
    if (this.faultTimer) clearTimeout(this.faultTimer);
    this.faultTimer = undefined;
    const next = this.faults.nextDeadline();
    if (next !== undefined && next > 0) this.faultTimer = setTimeout(() => this.checkFaults(), next + 1);
  }

  private crash(): void {
    if (this.faults.crashed) return;
    this.faults.crashed = true;
    this.hooks.log?.("fault: crash");
    this.resolveCrashed();
    if (this.hooks.onCrash) {
      this.hooks.onCrash();
      return;
    }
    this.shutdown();
  }

  private shutdown(): void {
    this.closed = true;
    if (this.faultTimer) clearTimeout(this.faultTimer);
    for (const t of this.fixedTimers) clearTimeout(t);
    this.fixedTimers.clear();
    this.s.scheduler?.close();
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    const done = new Promise<void>((r) => (this.server.listening ? this.server.once("close", () => r()) : r()));
    this.shutdown();
    await done;
  }

  // ---------- HTTP ----------

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { [EMULATED_HEADER]: "1", [TIME_SCALE_HEADER]: String(this.opts.timeScale), ...extra };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(
      status,
      this.headers({ "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }),
    );
    res.end(text);
  }

  private error(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.json(res, status, errorBody(message, status));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const arrival = performance.now();
    const path = (req.url ?? "/").split("?")[0];
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    const m = req.method ?? "GET";
    if (m === "GET" && path === "/health") {
      this.health(res);
      return;
    }
    if (m === "GET" && path === "/v1/models") {
      this.models(res);
      return;
    }
    if (m === "GET" && path === "/metrics") {
      this.metrics(res);
      return;
    }
    if (m === "GET" && path === "/control/state") {
      this.json(res, 200, this.state());
      return;
    }
    if (m === "POST" && path === "/control/fault") return void this.controlFault(req, res);
    if (m === "POST" && (path === "/v1/completions" || path === "/v1/chat/completions")) {
      return void this.inference(req, res, path.endsWith("chat/completions") ? "chat" : "completion", arrival, false);
    }
    if (m === "POST" && path === "/internal/prefill") {
      return void this.inference(req, res, query.get("kind") === "chat" ? "chat" : "completion", arrival, true);
    }
    this.error(res, 404, `no route ${m} ${path}`);
  }

  private health(res: ServerResponse): void {
    const h = this.faults.health();
    if (h === "hang") return; // a hung engine does not answer; the socket is destroyed on close
    if (h === "ok") {
      res.writeHead(200, this.headers({ "content-length": "0" }));
      res.end();
      return;
    }
    this.json(res, 503, { status: h });
  }

  private models(res: ServerResponse): void {
    this.json(res, 200, {
      object: "list",
      data: [
        {
          id: this.s.servedModel,
          object: "model",
          created: Math.floor(Date.now() / 1000),
          owned_by: OWNED_BY,
          root: this.s.servedModel,
          max_model_len: this.s.maxModelLen,
          benchfleet: { emulated: true, role: this.opts.role, time_scale: this.opts.timeScale, ...this.s.describe },
        },
      ],
    });
  }

  private metrics(res: ServerResponse): void {
    const st = this.s.scheduler?.stats();
    const label = `{model_name=${JSON.stringify(this.s.servedModel)}}`;
    const lines: string[] = [];
    const metric = (name: string, type: "gauge" | "counter", help: string, value: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${label} ${value}`);
    };
    metric("benchfleet_emulated", "gauge", "1: this engine is the benchfleet emulator", 1);
    metric("benchfleet_time_scale", "gauge", "wall seconds per emulated second", this.opts.timeScale);
    const figures = {
      running: st ? st.running : this.inFlight,
      waiting: st ? st.waiting : 0,
      kvUsage: st ? st.kvUsedTokens / st.kvCapacityTokens : 0,
      prompt: st ? st.promptTokens : this.counters.prompt,
      generation: st ? st.generationTokens : this.counters.generation,
    };
    // a counter per value of one label (SGLang's cached tokens by cache source)
    const series = (name: string, help: string, label: string, values: Record<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [v, n] of Object.entries(values))
        lines.push(`${name}{model_name=${JSON.stringify(this.s.servedModel)},${label}=${JSON.stringify(v)}} ${n}`);
    };
    if (this.opts.metricNames === "sglang") this.sglangMetrics(metric, figures, series);
    else this.vllmMetrics(metric, figures);
    const load = this.gpuLoad();
    metric("benchfleet_busy_seconds_total", "counter", "wall seconds spent in engine steps", load.busyWallMs / 1000);
    metric("benchfleet_uptime_seconds", "counter", "wall seconds since the engine started", load.wallMs / 1000);
    if (load.memUsedMiB !== null)
      metric("benchfleet_gpu_memory_used_bytes", "gauge", "memory in use on each GPU", load.memUsedMiB * 1048576);
    if (st && this.s.perf && this.s.perf.draftTokens > 0) {
      metric("vllm:spec_decode_num_drafts_total", "counter", "Verification steps with drafts", st.drafts);
      metric("vllm:spec_decode_num_draft_tokens_total", "counter", "Draft tokens proposed", st.draftTokens);
      metric("vllm:spec_decode_num_accepted_tokens_total", "counter", "Draft tokens accepted", st.acceptedDraftTokens);
    }
    const text = `${lines.join("\n")}\n`;
    res.writeHead(200, this.headers({ "content-type": "text/plain; version=0.0.4" }));
    res.end(text);
  }

  private vllmMetrics(metric: MetricLine, f: MetricFigures): void {
    metric("vllm:num_requests_running", "gauge", "Requests in the running batch", f.running);
    metric("vllm:num_requests_waiting", "gauge", "Requests waiting to be scheduled", f.waiting);
    metric("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage, 1 = full", f.kvUsage);
    metric("vllm:prompt_tokens_total", "counter", "Prefill tokens processed", f.prompt);
    metric("vllm:generation_tokens_total", "counter", "Generation tokens produced", f.generation);
    metric("vllm:request_success_total", "counter", "Requests finished", this.counters.success);
    // without a prefix cache every prompt token is looked up and none found
    const c = this.cacheCounters;
    const queries = this.s.cache ? c.queries : f.prompt;
    metric("vllm:prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache", queries);
    metric("vllm:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache", c.hits);
    if (hasDramTier(this.opts) && this.s.cache) {
      metric(
        "vllm:external_prefix_cache_queries_total",
        "counter",
        "Prompt tokens looked up in the KV connector (host DRAM)",
        c.dramQueries,
      );
      metric("vllm:external_prefix_cache_hits_total", "counter", "Prompt tokens found in host DRAM", c.dramHits);
    }
    // the emulated engine never preempts (it reserves KV up front)
    metric("vllm:num_preemptions_total", "counter", "Requests preempted", 0);
  }

  private sglangMetrics(
    metric: MetricLine,
    f: MetricFigures,
    series: (name: string, help: string, label: string, values: Record<string, number>) => void,
  ): void {
    metric("sglang:num_running_reqs", "gauge", "Requests in the running batch", f.running);
    metric("sglang:num_queue_reqs", "gauge", "Requests waiting to be scheduled", f.waiting);
    metric("sglang:token_usage", "gauge", "KV-cache usage, 1 = full", f.kvUsage);
    const c = this.cacheCounters;
    // SGLang counts every prompt token, its cached ones too (cached_tokens_total below)
    metric(
      "sglang:prompt_tokens_total",
      "counter",
      "Prompt tokens of the requests",
      this.s.cache ? c.queries : f.prompt,
    );
    metric("sglang:generation_tokens_total", "counter", "Generation tokens produced", f.generation);
    metric(
      "sglang:cache_hit_rate",
      "gauge",
      "Prompt tokens found in the prefix cache, share",
      c.queries ? c.hits / c.queries : 0,
    );
    series("sglang:cached_tokens_total", "Prompt tokens found in the prefix cache, by cache source", "cache_source", {
      device: c.hits - c.dramHits,
      host: c.dramHits,
    });
    if (hasDramTier(this.opts) && this.s.cache)
      metric("sglang:load_back_tokens_total", "counter", "KV tokens loaded back from the host tier", c.dramHits);
    metric("sglang:num_retracted_reqs_total", "counter", "Requests retracted", 0);
  }

  /**
   * The prompt's cached prefix (model mode with a prefix cache): tokens the engine skips and, of
   * those, tokens loaded back from DRAM. Counted as looked up; `commit` then stores the prompt.
   */
  private cacheLookup(p: ParsedRequest): { cachedTokens: number; loadedTokens: number; commit: () => void } {
    const cache = this.s.cache;
    if (!cache) return { cachedTokens: 0, loadedTokens: 0, commit: () => {} };
    const hashes = blockHashes(p.promptParts, cache.blockTokens);
    const m = cache.match(hashes);
    const cachedTokens = Math.min((m.gpuBlocks + m.dramBlocks) * cache.blockTokens, p.promptTokens - 1);
    const loadedTokens = Math.max(
      0,
      Math.min(m.dramBlocks * cache.blockTokens, cachedTokens - m.gpuBlocks * cache.blockTokens),
    );
    return {
      cachedTokens,
      loadedTokens,
      commit: () => {
        const c = this.cacheCounters;
        c.queries += p.promptTokens;
        c.hits += cachedTokens;
        if (hasDramTier(this.opts)) {
          c.dramQueries += Math.max(0, p.promptTokens - m.gpuBlocks * cache.blockTokens);
          c.dramHits += loadedTokens;
        }
        cache.store(hashes);
      },
    };
  }

  private async controlFault(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: unknown;
    try {
      raw = await readJson(req);
    } catch (err) {
      return this.error(res, 400, (err as Error).message);
    }
    const spec = FaultSpec.safeParse(raw);
    if (!spec.success) {
      const i = spec.error.issues[0]!;
      return this.error(res, 400, `invalid fault: ${i.path.join(".") || "body"}: ${i.message}`);
    }
    // answer first: a crash fault takes the server down
    this.json(res, 200, { ok: true, applied: spec.data });
    setImmediate(() => this.inject(spec.data));
  }

  private async inference(
    req: IncomingMessage,
    res: ServerResponse,
    kind: Kind,
    arrival: number,
    internalPrefill: boolean,
  ): Promise<void> {
    let parsed: ParsedRequest;
    try {
      const raw = await readJson(req);
      parsed = parseBody(kind, raw, this.prompts.countText, this.prompts.countChat);
      if (internalPrefill && this.opts.role !== "prefill")
        throw new BadRequest(`/internal/prefill is served by --role prefill; this is --role ${this.opts.role}`);
      if (!internalPrefill && this.opts.role === "prefill") {
        throw new BadRequest(
          "this emulator runs with --role prefill: send requests through the router (--role router)",
        );
      }
      if (this.opts.role === "decode" && req.headers[PREFILLED_HEADER] === undefined) {
        throw new BadRequest("this emulator runs with --role decode: send requests through the router (--role router)");
      }
    } catch (err) {
      return this.error(res, err instanceof BadRequest ? err.status : 400, (err as Error).message);
    }
    this.admitted(res, parsed, arrival, internalPrefill, req.headers[PREFILLED_HEADER] !== undefined, {
      followUp: req.headers[FOLLOW_UP_HEADER] === "1",
      wave: waveSize(req.headers[WAVE_HEADER]),
    });
  }

  private admitted(
    res: ServerResponse,
    p: ParsedRequest,
    arrival: number,
    internalPrefill: boolean,
    prefilled: boolean,
    closedLoop: { followUp: boolean; wave: number } = { followUp: false, wave: 1 },
  ): void {
    if (this.closed || res.destroyed) return;
    const adm = this.faults.admit();
    if (adm.kind === "hang") {
      this.deferred.push(() => this.admitted(res, p, arrival, internalPrefill, prefilled, closedLoop));
      return;
    }
    if (adm.kind === "unavailable") {
      this.error(res, 503, adm.reason);
      return;
    }

    const maxTokens =
      p.maxTokens ??
      (p.kind === "chat"
        ? Math.min(DEFAULT_CHAT_MAX_TOKENS, this.s.maxModelLen - p.promptTokens)
        : DEFAULT_COMPLETION_MAX_TOKENS);
    if (p.promptTokens + maxTokens > this.s.maxModelLen) {
      this.error(
        res,
        400,
        `This model's maximum context length is ${this.s.maxModelLen} tokens. However, you requested ${p.promptTokens + maxTokens} tokens ` +
          `(${p.promptTokens} in the prompt, ${maxTokens} in the completion).`,
      );
      return;
    }
    const answer = p.questionText !== undefined ? this.oracle.answer(p.questionText) : undefined;
    const plan = planOutput({
      answer: answer?.text,
      maxTokens,
      minTokens: p.minTokens,
      ignoreEos: p.ignoreEos,
      stop: p.stop,
    });
    if (plan.tokens.length === 0) plan.tokens.push("");
    const meta: ChunkMeta = {
      id: `${p.kind === "chat" ? "chatcmpl" : "cmpl"}-emu-${++this.reqSeq}`,
      created: Math.floor(Date.now() / 1000),
      model: p.model ?? this.s.servedModel,
    };

    if (internalPrefill) {
      this.prefillOnly(res, p, arrival);
      return;
    }

    const writer = new ResponseWriter(res, p, plan, meta, this.faults.dropFor(), this.opts.timeScale, this.headers());
    this.inFlight++;
    if (!this.s.scheduler) this.fixedBusy.change(1);
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      this.inFlight--;
      if (!this.s.scheduler) this.fixedBusy.change(-1);
      if (ok) {
        this.counters.success++;
        this.faults.requestCompleted();
        this.checkFaults();
      }
    };
    if (this.s.scheduler) {
      const sch = this.s.scheduler;
      let arrivalEmu = sch.toEmu(arrival);
      let id = 0;
      const cached = prefilled ? undefined : this.cacheLookup(p);
      try {
        ({ id, queuedAt: writer.queuedAtMs } = sch.submit(
          {
            promptTokens: p.promptTokens,
            outputTokens: plan.tokens.length,
            prefilled,
            ...(cached ? { cachedTokens: cached.cachedTokens, loadedTokens: cached.loadedTokens } : {}),
          },
          {
            onTokens: (n, done, emu) => {
              const r = writer.push(n, done, emu - arrivalEmu);
              if (r === "dropped") {
                sch.cancel(id);
                finish(false);
              } else if (done) finish(true);
            },
          },
          closedLoop,
        ));
        cached?.commit();
        // a promised follow-up counts from when its predecessor finished, the time it is queued at
        arrivalEmu = Math.min(arrivalEmu, writer.queuedAtMs);
      } catch (err) {
        this.inFlight--;
        finished = true;
        this.error(res, 400, (err as Error).message);
        return;
      }
      res.on("close", () => {
        if (!finished) {
          sch.cancel(id);
          finish(false);
        }
      });
    } else {
      this.fixedDelay(res, plan.tokens.length, arrival, writer, finish);
    }
  }

  /** Fixed-delay mode: chunk i is due at arrival + ttft + i × itl (absolute, never chained). */
  private fixedDelay(
    res: ServerResponse,
    total: number,
    arrival: number,
    writer: ResponseWriter,
    finish: (ok: boolean) => void,
  ): void {
    const fd = this.opts.fixedDelay!;
    const k = fd.tokensPerChunk;
    const chunks = Math.ceil(total / k);
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    res.on("close", () => {
      if (timer) {
        clearTimeout(timer);
        this.fixedTimers.delete(timer);
      }
      if (i < chunks) {
        stopped = true;
        finish(false);
      }
    });
    const tick = () => {
      if (timer) this.fixedTimers.delete(timer);
      timer = undefined;
      if (stopped || this.closed) return;
      if (this.hung) {
        this.deferred.push(tick);
        return;
      }
      const now = performance.now();
      while (i < chunks && arrival + fd.ttftMs + i * fd.itlMs <= now) {
        const n = Math.min(k, total - i * k);
        const last = i === chunks - 1;
        const due = fd.ttftMs + i * fd.itlMs;
        i++;
        const r = writer.push(n, last, due / this.opts.timeScale);
        this.counters.generation += n;
        if (r === "dropped") {
          stopped = true;
          finish(false);
          return;
        }
        if (last) {
          this.counters.prompt += writer.promptTokens;
          finish(true);
          return;
        }
      }
      timer = setTimeout(tick, arrival + fd.ttftMs + i * fd.itlMs - now);
      this.fixedTimers.add(timer);
    };
    tick();
  }

  /** Prefill role: run the prompt through the engine, answer with the KV-transfer delay. */
  private prefillOnly(res: ServerResponse, p: ParsedRequest, arrival: number): void {
    const sch = this.s.scheduler!;
    const perf = this.s.perf!;
    const arrivalEmu = sch.toEmu(arrival);
    let id = 0;
    let done = false;
    const cached = this.cacheLookup(p);
    try {
      ({ id } = sch.submit(
        {
          promptTokens: p.promptTokens,
          outputTokens: 1,
          prefillOnly: true,
          cachedTokens: cached.cachedTokens,
          loadedTokens: cached.loadedTokens,
        },
        {
          onTokens: (_n, _d, emu) => {
            done = true;
            this.counters.success++;
            this.json(res, 200, {
              prompt_tokens: p.promptTokens,
              prefill_ms: emu - arrivalEmu,
              kv_transfer_ms: perf.kvTransferMs(p.promptTokens),
              time_scale: this.opts.timeScale,
            });
            this.faults.requestCompleted();
            this.checkFaults();
          },
        },
      ));
      cached.commit();
    } catch (err) {
      this.error(res, 400, (err as Error).message);
      return;
    }
    res.on("close", () => {
      if (!done) sch.cancel(id);
    });
  }
}

/** Writes one response as tokens arrive: SSE chunks, or one JSON body at the end. */
class ResponseWriter {
  private sent = 0;
  private text = "";
  private firstMs: number | undefined;
  readonly promptTokens: number;
  /** emulated time on the scheduler's clock when the request was queued (model mode) */
  queuedAtMs: number | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly p: ParsedRequest,
    private readonly plan: PlannedOutput,
    private readonly meta: ChunkMeta,
    private readonly dropAfter: number | undefined,
    private readonly timeScale: number,
    private readonly baseHeaders: Record<string, string>,
  ) {
    this.promptTokens = p.promptTokens;
    if (p.stream) {
      res.writeHead(200, {
        ...baseHeaders,
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      res.flushHeaders();
    }
  }

  private sse(obj: object): void {
    this.res.write(`data: ${JSON.stringify(obj)}\n\n`);
  }

  /** `n` more tokens at emulated `emuMs` after arrival; returns "dropped" when a drop fault cut the connection. */
  push(n: number, done: boolean, emuMs: number): "ok" | "dropped" {
    if (this.res.destroyed) return "dropped";
    // drop fault: the client gets `dropAfter` tokens, then the connection dies (unless that was all of them)
    let take = n;
    let cut = false;
    if (
      this.dropAfter !== undefined &&
      this.sent + n >= this.dropAfter &&
      !(done && this.sent + n === this.dropAfter)
    ) {
      take = this.dropAfter - this.sent;
      cut = true;
    }
    const piece = this.plan.tokens.slice(this.sent, this.sent + take).join("");
    if (take > 0 && this.firstMs === undefined) this.firstMs = emuMs;
    this.sent += take;
    this.text += piece;
    const last = done && !cut;
    if (this.p.stream && take > 0) {
      if (this.p.kind === "chat" && this.sent === take) this.sse(roleChunk(this.meta));
      const u = this.p.continuousUsage ? usage(this.p.promptTokens, this.sent) : undefined;
      this.sse(contentChunk(this.p.kind, this.meta, piece, last ? this.plan.finishReason : null, u));
    }
    if (cut) {
      // cut abruptly, but after what was sent so far reached the socket
      this.res.write("", () => this.res.destroy());
      return "dropped";
    }
    if (!done) return "ok";
    const u = usage(this.p.promptTokens, this.sent);
    const extra = {
      benchfleet: {
        emulated: true,
        time_scale: this.timeScale,
        // emulated ms: when the engine queued the request (its own clock), then TTFT and E2E from arrival
        ...(this.queuedAtMs !== undefined ? { queued_at_ms: this.queuedAtMs } : {}),
        ttft_ms: this.firstMs ?? emuMs,
        e2el_ms: emuMs,
      },
    };
    if (this.p.stream) {
      if (this.p.includeUsage) this.sse(usageChunk(this.p.kind, this.meta, u, extra));
      this.res.end("data: [DONE]\n\n");
    } else {
      const body = JSON.stringify(fullResponse(this.p.kind, this.meta, this.text, this.plan.finishReason, u, extra));
      this.res.writeHead(200, {
        ...this.baseHeaders,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      });
      this.res.end(body);
    }
    return "ok";
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest(`request body over ${MAX_BODY} bytes`, 413);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("request body is not valid JSON");
  }
}
