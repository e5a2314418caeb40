/**
 * What the client records about one request. Times are integer nanoseconds from
 * `process.hrtime.bigint()`, relative to the run's start, so that
 * `(latency - ttft) - sum(itl) === 0` holds exactly.
 */
type FailureKind =
  | "http_error" // non-200 status (reason is `http_<status>`)
  | "timeout" // headers or body timeout
  | "connection_error" // could not connect / socket closed before a response
  | "stream_aborted" // connection lost in the middle of the stream
  | "stream_error" // the server sent an error event in the stream
  | "no_token" // the stream ended without any token chunk
  | "aborted" // cancelled by the caller
  | "context_too_long"; // trace replay: the turn exceeds the context length and is not sent

import type { EngineTiming } from "./openai-stream.js";

export interface RequestRecord {
  index: number;
  success: boolean;
  /** `http_503`, `timeout`, `stream_error`, ... (failure reason class) */
  failure?: string;
  error?: string;
  /** scheduled send time (arrival time or slot-free time) */
  scheduledNs: number;
  /** one of the requests due at the run's start, one per concurrency slot (closed loop) */
  firstWave?: boolean;
  /** when the client started the request (vLLM's `st`) */
  startNs: number;
  /** time to the first token chunk (from startNs) */
  ttftNs: number;
  /** gaps between token chunks */
  itlNs: number[];
  /** time to the last token chunk (not the usage trailer) */
  latencyNs: number;
  /** prompt tokens: usage.prompt_tokens, else the intended length */
  promptTokens: number;
  /** the intended prompt length */
  targetPromptTokens: number;
  /** output tokens: usage.completion_tokens, else the number of token chunks */
  outputTokens: number;
  targetOutputTokens: number;
  /** false when the server sent no usage and outputTokens counts chunks */
  usageReported: boolean;
  /** the engine's own timing of this request (the benchfleet emulator reports it), emulated ms */
  engineTiming?: EngineTiming;
  /** when the client finished processing the response (slot freed), from the run's start */
  endNs: number;
  /** time spent waiting for a concurrency slot after the scheduled arrival (rate mode) */
  queueNs: number;
  generatedText?: string;
  /** multi-turn: conversation and turn number (0-based) */
  conversation?: number;
  turn?: number;
}
