/**
 * A load point's options resolved: defaults filled in, combinations checked (RangeError naming the
 * option), the server URL split into origin and request path. Pure.
 */
import type { LoadPointOptions } from "./load-options.js";
import { DEFAULT_PERCENTILES } from "./metrics.js";
import { DEFAULT_VOCAB, type RangeMode, type VocabRange } from "./prompts.js";
import type { Endpoint } from "./request-body.js";
import type { GpuCounts } from "./result.js";
import { DEFAULT_SATURATION, type SaturationThresholds } from "./saturation.js";

export interface LoadSettings {
  endpoint: Endpoint;
  chat: boolean;
  concurrency: number;
  numPrompts: number;
  warmups: number;
  /** requests/s; Infinity = closed loop only */
  rate: number;
  /** the warm-ups' requests/s; Infinity = unpaced */
  warmupRate: number;
  /** a new HTTP connection per request */
  fresh: boolean;
  burstiness: number;
  seed: number;
  ratio: number;
  mode: RangeMode;
  format: "ids" | "text" | "lab";
  vocab: VocabRange;
  gpus: GpuCounts;
  maxFail: number;
  saturation: SaturationThresholds;
  percentiles: number[];
  /** event loops sending requests: worker threads, or 1 (this one; always 1 inside a worker) */
  threads: number;
  origin: string;
  /** the base URL's path without trailing slashes */
  prefix: string;
  /** request path: prefix + endpoint */
  path: string;
  backend: string;
}

export function resolveLoadSettings(opts: LoadPointOptions): LoadSettings {
  const endpoint: Endpoint = opts.endpoint ?? (opts.agentic ? "/v1/chat/completions" : "/v1/completions");
  const chat = endpoint === "/v1/chat/completions";
  const concurrency = opts.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer (got ${concurrency})`);
  const numPrompts = opts.numPrompts ?? 10 * concurrency;
  const warmups = opts.warmups ?? 2 * concurrency;
  if (!Number.isInteger(numPrompts) || numPrompts < 1)
    throw new RangeError(`num prompts must be a positive integer (got ${numPrompts})`);
  if (!Number.isInteger(warmups) || warmups < 0)
    throw new RangeError(`warmups must be a non-negative integer (got ${warmups})`);
  const warmupRate = opts.warmupRequestRate ?? Number.POSITIVE_INFINITY;
  if (!(warmupRate > 0)) throw new RangeError(`warm-up request rate must be > 0 or inf (got ${warmupRate})`);
  if (chat && opts.promptFormat === "ids")
    throw new RangeError("token-id prompts need /v1/completions; chat endpoints take text");
  if (opts.multiTurn && opts.promptFormat === "ids") throw new RangeError("multi-turn conversations need text prompts");
  checkLabPrompts(opts, chat);
  if (opts.agentic) checkAgentic(opts, chat);
  const threads = opts.shard ? 1 : (opts.workers ?? 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`workers must be a positive integer (got ${threads})`);
  if (threads > concurrency)
    throw new RangeError(`workers (${threads}) must not exceed the concurrency (${concurrency})`);
  if (threads > 1 && opts.multiTurn) throw new RangeError("multi-turn conversations run on one thread (workers 1)");
  const base = new URL(opts.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return {
    endpoint,
    chat,
    concurrency,
    numPrompts,
    warmups,
    rate: opts.requestRate ?? Number.POSITIVE_INFINITY,
    warmupRate,
    fresh: opts.freshConnections ?? false,
    burstiness: opts.burstiness ?? 1,
    seed: opts.seed ?? 0,
    ratio: opts.rangeRatio ?? 0.8,
    mode: opts.rangeMode ?? "floor",
    format: opts.promptFormat === "lab" ? "lab" : chat || opts.multiTurn ? "text" : (opts.promptFormat ?? "ids"),
    vocab: opts.vocab ?? DEFAULT_VOCAB,
    gpus: opts.gpus ?? { total: 1, prefill: 0, decode: 0 },
    maxFail: opts.maxFailureFraction ?? (opts.agentic ? AGENTIC_MAX_FAILURE_FRACTION : 0.05),
    saturation: { ...DEFAULT_SATURATION, ...opts.saturation },
    percentiles: opts.percentiles ?? [...DEFAULT_PERCENTILES],
    threads,
    origin: base.origin,
    prefix,
    path: `${prefix}${endpoint}`,
    backend: opts.backend ?? (chat ? "openai-chat" : "openai"),
  };
}

function checkLabPrompts(opts: LoadPointOptions, chat: boolean): void {
  if (opts.promptFormat !== "lab") {
    if (opts.clientTemplate) throw new RangeError("a client-side chat template needs lab prompts (--prompts lab)");
    return;
  }
  if (!opts.modelTokenizerDir) throw new RangeError("lab prompts need the model's tokenizer directory");
  if (opts.multiTurn) throw new RangeError("lab prompts are single-turn; multi-turn conversations take text prompts");
  if (opts.agentic) throw new RangeError("agentic trace replay sends the trace's text, not lab prompts");
  if (chat && opts.clientTemplate)
    throw new RangeError(
      "a client-side chat template goes with /v1/completions; the chat endpoint applies the server's",
    );
}

/** the lab's accepted error fraction for agentic replays (AIPERF_FAILED_REQUEST_THRESHOLD) */
const AGENTIC_MAX_FAILURE_FRACTION = 0.1;

function checkAgentic(opts: LoadPointOptions, chat: boolean): void {
  const a = opts.agentic!;
  if (!chat) throw new RangeError("agentic trace replay needs the chat endpoint (/v1/chat/completions)");
  if (opts.multiTurn) throw new RangeError("agentic trace replay and multi-turn conversations exclude each other");
  if (opts.promptFormat === "ids") throw new RangeError("agentic trace replay sends text, not token ids");
  if (!(a.durationS > 0)) throw new RangeError(`agentic duration must be positive (got ${a.durationS} s)`);
  if (a.graceS !== undefined && !(a.graceS >= 0))
    throw new RangeError(`agentic grace must be >= 0 (got ${a.graceS} s)`);
  if (a.gapCapS !== undefined && !(a.gapCapS >= 0)) throw new RangeError(`gap cap must be >= 0 (got ${a.gapCapS} s)`);
  if (a.systemIdleCapS !== undefined && !(a.systemIdleCapS >= 0))
    throw new RangeError(`system idle cap must be >= 0 (got ${a.systemIdleCapS} s)`);
  if (a.warmupGraceS !== undefined && !(a.warmupGraceS > 0))
    throw new RangeError(`warm-up grace must be > 0 (got ${a.warmupGraceS} s)`);
  const [lo, hi] = a.startRatio ?? [0, 1];
  if (!(lo >= 0 && hi <= 1 && lo <= hi))
    throw new RangeError(`start ratio must satisfy 0 <= min <= max <= 1 (got ${lo}..${hi})`);
  const w = a.warmupRequestsPerLane;
  if (w !== undefined && !(Number.isInteger(w) && w >= 0))
    throw new RangeError(`warm-up requests per lane must be a non-negative integer (got ${w})`);
}
