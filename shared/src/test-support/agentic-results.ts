/** Builder of agentic (trace replay) point results for tests, from the few figures a test sets. */
import type { PointResult } from "../results.js";

export interface AgenticResultSpec {
  concurrency: number;
  /** total tokens/s per GPU */
  tputPerGpu: number;
  /** median tokens/s per user over the turns */
  interactivity: number;
  /** prefix-cache hit rate the engine reports (null: no engine metrics) */
  hitRate: number | null;
  gpus?: number;
  ttftMedianMs?: number;
  status?: "ok" | "failed";
  emulated?: boolean;
}

export function makeAgenticResult(s: AgenticResultSpec): PointResult {
  const gpus = s.gpus ?? 8;
  const total = s.tputPerGpu * gpus;
  const ttft = s.ttftMedianMs ?? 300;
  const tpot = 1000 / s.interactivity;
  const requests = s.concurrency * 20;
  const summary = (median: number) => ({ mean: median * 1.1, median, p90: median * 1.8, p99: median * 3 });
  const queryTokens = 1_000_000;
  return {
    point: { concurrency: s.concurrency, isl: 0, osl: 0, durationS: 600 },
    status: s.status ?? "ok",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:10:00.000Z",
    bench: {
      date: "20260101-000000",
      backend: "openai-chat",
      model_id: "meta-llama/Llama-3.1-8B-Instruct",
      num_prompts: requests,
      request_rate: "inf",
      burstiness: 1,
      max_concurrency: s.concurrency,
      duration: 600,
      completed: requests,
      failed: 0,
      total_input_tokens: total * 600 * 0.9,
      total_output_tokens: total * 600 * 0.1,
      request_throughput: requests / 600,
      output_throughput: total * 0.1,
      total_token_throughput: total,
      median_ttft_ms: ttft,
      median_tpot_ms: tpot,
    },
    failures: {},
    agentic: {
      trace: { source: "synthetic(seed=42)", trajectories: 393, turns: 9000 },
      concurrency: s.concurrency,
      durationS: 600,
      measuredS: 600,
      requests: { completed: requests, failed: 0, cutAtEnd: s.concurrency },
      errorRatio: 0,
      failureThreshold: 0.1,
      trajectories: { started: s.concurrency * 2, completed: s.concurrency },
      throughput: {
        requestsPerS: requests / 600,
        inputTokensPerS: total * 0.9,
        outputTokensPerS: total * 0.1,
        totalTokensPerS: total,
        totalTokensPerGpu: s.tputPerGpu,
        outputTokensPerGpu: s.tputPerGpu * 0.1,
      },
      ttftMs: summary(ttft),
      itlMs: summary(tpot),
      e2elMs: summary(ttft + tpot * 400),
      interactivity: { mean: s.interactivity, median: s.interactivity, p90: s.interactivity * 1.2 },
      meanInputTokens: 40_000,
      meanOutputTokens: 400,
      gaps: { capMs: 60_000, capped: 3, meanSleptMs: 2_000 },
      warmup: { requests: s.concurrency, failed: 0, startRatio: [0, 0.5], requestsPerLane: 1 },
    },
    ...(s.hitRate === null
      ? {}
      : {
          engineMetrics: {
            intervalMs: 1000,
            roles: [
              {
                role: "worker",
                process: "server",
                url: "http://127.0.0.1:1/metrics",
                engine: "vllm" as const,
                scrapes: 10,
                failedScrapes: 0,
                kvCacheUsage: { mean: 0.5, max: 0.9 },
                requestsRunning: null,
                requestsWaiting: null,
                prefixCache: {
                  hitRate: s.hitRate,
                  hitTokens: Math.round(s.hitRate * queryTokens),
                  queryTokens,
                },
                specDecode: null,
                preemptions: 0,
                offload: { externalHitTokens: null, externalQueryTokens: null, loadedTokens: 5000 },
              },
            ],
          },
        }),
    gpus: { total: gpus, prefill: 0, decode: 0 },
    emulated: s.emulated ?? true,
  };
}
