/**
 * The result JSON of a load point: the `vllm bench serve` keys (so existing plotting tools read
 * it) plus a `benchfleet` block (per-GPU normalisation, interactivity, client stats, failures,
 * prompt-length check, provenance). Pure.
 */
import type { ClientStats, VllmBenchResult } from "@benchfleet/shared";
import { type PointMetrics, percentileLabel, type Summary } from "./metrics.js";
import type { RequestRecord } from "./request-record.js";

export interface ResultMeta {
  date: Date;
  backend: string;
  endpointType: string;
  label?: string | null;
  modelId: string;
  tokenizerId?: string | null;
  numPrompts: number;
  requestRate: number;
  burstiness: number;
  maxConcurrency: number | null;
  startUnixS: number;
  endUnixS: number;
  metadata?: Record<string, string>;
}

export interface GpuCounts {
  total: number;
  prefill: number;
  decode: number;
}

export interface BenchfleetBlock {
  version: 1;
  status: "ok" | "failed";
  failureReason?: string;
  failures: Record<string, number>;
  gpus: GpuCounts;
  perGpu: {
    totalTokenThroughput: number;
    outputThroughput: number;
    inputThroughput: number;
    /** disagg: output tok/s ÷ decode GPUs and input tok/s ÷ prefill GPUs (null when not disagg) */
    outputThroughputPerDecodeGpu: number | null;
    inputThroughputPerPrefillGpu: number | null;
  };
  interactivity: Record<string, number>;
  client: ClientStats & Record<string, unknown>;
  prompts: Record<string, unknown>;
  provenance: Record<string, unknown>;
  warmup?: { requests: number; failed: number };
  perTurn?: Array<{ turn: number; requests: number; meanTtftMs: number; meanPromptTokens: number }>;
}

/** `YYYYMMDD-HHMMSS` as vLLM writes `date` */
export function vllmDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function putSummary(out: Record<string, unknown>, name: string, s: Summary): void {
  out[`mean_${name}_ms`] = s.mean;
  out[`median_${name}_ms`] = s.median;
  out[`std_${name}_ms`] = s.std;
  for (const [p, v] of s.percentiles) out[`${percentileLabel(p)}_${name}_ms`] = v;
}

export function summaryRecord(s: Summary): Record<string, number> {
  const out: Record<string, number> = { mean: s.mean, median: s.median, std: s.std };
  for (const [p, v] of s.percentiles) out[percentileLabel(p)] = v;
  return out;
}

export function perGpu(m: PointMetrics, gpus: GpuCounts): BenchfleetBlock["perGpu"] {
  const disagg = gpus.prefill > 0 && gpus.decode > 0;
  return {
    totalTokenThroughput: m.totalTokenThroughput / gpus.total,
    outputThroughput: m.outputThroughput / gpus.total,
    inputThroughput: m.inputThroughput / gpus.total,
    outputThroughputPerDecodeGpu: disagg ? m.outputThroughput / gpus.decode : null,
    inputThroughputPerPrefillGpu: disagg ? m.inputThroughput / gpus.prefill : null,
  };
}

export function buildBenchResult(
  meta: ResultMeta,
  m: PointMetrics,
  records: readonly RequestRecord[],
  block: BenchfleetBlock,
  saveDetailed: boolean,
): VllmBenchResult {
  const out: Record<string, unknown> = {
    date: vllmDate(meta.date),
    endpoint_type: meta.endpointType,
    backend: meta.backend,
    label: meta.label ?? null,
    model_id: meta.modelId,
    tokenizer_id: meta.tokenizerId ?? null,
    num_prompts: meta.numPrompts,
    ...(meta.metadata ?? {}),
    request_rate: meta.requestRate === Number.POSITIVE_INFINITY ? "inf" : meta.requestRate,
    burstiness: meta.burstiness,
    max_concurrency: meta.maxConcurrency,
    duration: m.durationS,
    completed: m.completed,
    failed: m.failed,
    total_input_tokens: m.totalInputTokens,
    total_output_tokens: m.totalOutputTokens,
    request_throughput: m.requestThroughput,
    request_goodput: null,
    output_throughput: m.outputThroughput,
    total_token_throughput: m.totalTokenThroughput,
    max_output_tokens_per_s: m.maxOutputTokensPerS,
    max_concurrent_requests: m.maxConcurrentRequests,
    benchmark_start_time_unix: meta.startUnixS,
    benchmark_end_time_unix: meta.endUnixS,
  };
  putSummary(out, "ttft", m.ttftMs);
  putSummary(out, "tpot", m.tpotMs);
  putSummary(out, "itl", m.itlMs);
  putSummary(out, "e2el", m.e2elMs);
  if (saveDetailed) {
    // vLLM's detail lists: seconds, failed requests included (ttft 0, output 0, empty itl)
    out.input_lens = records.map((r) => r.promptTokens);
    out.output_lens = records.map((r) => (r.success ? r.outputTokens : 0));
    out.ttfts = records.map((r) => r.ttftNs / 1e9);
    out.itls = records.map((r) => r.itlNs.map((g) => g / 1e9));
    out.start_times = records.map((r) => meta.startUnixS + r.startNs / 1e9);
    out.generated_texts = records.map((r) => r.generatedText ?? "");
    out.errors = records.map((r) => (r.success ? "" : `${r.failure}: ${r.error ?? ""}`));
  }
  out.benchfleet = block;
  return out as VllmBenchResult;
}
