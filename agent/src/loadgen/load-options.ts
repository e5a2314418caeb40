/** The options of one load point (runLoadPoint) and the progress it reports. */

import type { ReplayGate } from "./agentic-error-gate.js";
import type { ReplaySummary } from "./agentic-replay-run.js";
import type { MultiTurnOptions } from "./multi-turn.js";
import type { FirstChunkRule } from "./openai-stream.js";
import type { RangeMode, VocabRange } from "./prompts.js";
import type { Endpoint } from "./request-body.js";
import type { RequestRecord } from "./request-record.js";
import type { GpuCounts } from "./result.js";
import type { SaturationThresholds } from "./saturation.js";
import type { TraceSource } from "./trace-source.js";

/** An agentic point: trace replay on the chat endpoint for a fixed duration (agentic-replay-run.ts). */
export interface AgenticReplayOptions {
  trace: TraceSource;
  /** the measured duration, s */
  durationS: number;
  /** in-flight requests get this long to finish after the duration, s (default 30) */
  graceS?: number;
  /** per-turn idle cap, s (default 300, the lab's) */
  gapCapS?: number;
  /** warm-up start positions, fractions of a trajectory's turns (default [0.25, 0.75], the lab's) */
  startRatio?: [number, number];
  /** one-token warm-up requests per lane (default 10, the lab's) */
  warmupRequestsPerLane?: number;
  /** the longest warm-up may take to drain before its requests are cancelled and measuring starts, s (default 1800, the lab's) */
  warmupGraceS?: number;
  /** live error ratio that stops the run early (default: maxFailureFraction) */
  liveFailureThreshold?: number;
  /** the server's context length: longer turns are counted failed without being sent */
  maxContextTokens?: number;
  /** wall seconds per trace second (default: the emulator's time scale with timing "engine", else 1) */
  clockScale?: number;
  /** headers that carry the conversation's id on each of its requests (a router's session affinity) */
  sessionHeaders?: string[];
  /**
   * whole-system idle (no request in flight) after which every pending gap advances alike, s
   * (default 10, the lab scenario's; 0: never); on one thread only
   */
  systemIdleCapS?: number;
  /**
   * salts the point's prompt text so that it shares no cached prefix with another point's, as the
   * lab's per-invocation cache-bust marker does (default: drawn anew for each run of the point)
   */
  keyspace?: number;
}

export interface LoadProgress {
  done: number;
  total: number;
  inFlight: number;
  errors: number;
  elapsedS: number;
  requestsPerS: number;
  outputTokensPerS: number;
  phase: "calibrate" | "warmup" | "run";
  /** a phase of fixed duration: `total` is the requests expected by its end at the pace so far */
  timed?: boolean;
}

export interface LoadPointOptions {
  baseUrl: string;
  model: string;
  endpoint?: Endpoint;
  isl: number;
  osl: number;
  /** default 0.8 (the reference lab's) */
  rangeRatio?: number;
  rangeMode?: RangeMode;
  concurrency: number;
  /** default 10 × concurrency */
  numPrompts?: number;
  /** default 2 × concurrency */
  warmups?: number;
  /** requests/s, default Infinity (closed loop only) */
  requestRate?: number;
  /** the warm-ups' requests/s (Poisson under the concurrency cap), default Infinity (unpaced) */
  warmupRequestRate?: number;
  /** every request on a new HTTP connection (sa-bench's session per request); default keep-alive */
  freshConnections?: boolean;
  burstiness?: number;
  seed?: number;
  /**
   * "ids" (default on /v1/completions), "text" (words calibrated against the server; the default on
   * chat), or "lab": the reference lab's prompts from the model's tokenizer (lab-prompts.ts), on
   * either endpoint; needs `modelTokenizerDir`
   */
  promptFormat?: "ids" | "text" | "lab";
  /** the model's tokenizer directory (tokenizer.json, tokenizer_config.json) for lab prompts */
  modelTokenizerDir?: string;
  /**
   * lab prompts on /v1/completions: the client renders the prompt as one user message, with the
   * tokenizer's chat template ("model") or DeepSeek-V4's encoding ("dsv4"), as the lab's
   * `--use-chat-template` and `--dsv4`
   */
  clientTemplate?: "model" | "dsv4";
  vocab?: VocabRange;
  /** local tokenizer.json to pick single-token words for text prompts */
  tokenizerPath?: string;
  multiTurn?: MultiTurnOptions;
  /** replay an agentic trace instead of drawn prompts (isl, osl, numPrompts and warmups do not apply) */
  agentic?: AgenticReplayOptions;
  /** send ignore_eos + min_tokens (default true) */
  exactOutput?: boolean;
  extraBody?: Record<string, unknown>;
  headers?: Record<string, string>;
  firstChunk?: FirstChunkRule;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** failed fraction above which the point fails (default 0.05; agentic 0.10, the lab's) */
  maxFailureFraction?: number;
  saturation?: Partial<SaturationThresholds>;
  percentiles?: number[];
  gpus?: GpuCounts;
  saveDetailed?: boolean;
  backend?: string;
  label?: string;
  emulated?: boolean;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  progressIntervalMs?: number;
  /** worker threads sharing the in-flight requests (default 1: this event loop); the prompts are the
   * same either way, each thread sends every n-th one with its share of the concurrency */
  workers?: number;
  /** internal (worker threads): send only the prompts i with i % count === index */
  shard?: { index: number; count: number };
  /** internal (worker threads): awaited between warmup and the measured run (a barrier) */
  beforeMeasured?: () => Promise<void>;
  /**
   * tell the engine which requests a closed-loop slot follows at once (the benchfleet emulator then
   * holds its clock for them); implied by timing "engine"
   */
  followUpHint?: boolean;
  /** "engine": latencies as the benchfleet emulator timed them on its emulated clock (see engine-timing.ts) */
  timing?: "client" | "engine";
  /** receives the per-request records of the measured run and the hrtime they are relative to */
  onRecords?: (records: RequestRecord[], t0: bigint) => void;
  /** internal (worker threads): receives an agentic replay's figures apart from its records */
  onReplaySummary?: (s: ReplaySummary) => void;
  /** internal (worker threads): the live error gate an agentic replay counts its turns into */
  errorGate?: ReplayGate;
}
