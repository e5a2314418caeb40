/** Builders of result rows for tests (not exported from the package index). */

import type { ResultConfig, ResultRow } from "../analytics/result-row.js";
import type { PointResult } from "../results.js";

export interface RowSpec {
  id?: string;
  sweepId?: string;
  date?: string;
  sku?: ResultConfig["sku"];
  image?: string;
  framework?: string;
  precision?: string;
  model?: string;
  isl?: number;
  osl?: number;
  specDecoding?: string;
  tp?: number;
  ep?: number;
  disagg?: { prefillGpus: number; decodeGpus: number };
  concurrency: number;
  /** total tokens/s of the whole deployment */
  totalTput: number;
  /** output tokens/s of the whole deployment (default: half of total) */
  outputTput?: number;
  medianTpotMs: number;
  p90TpotMs?: number;
  medianTtftMs?: number;
  energyJ?: number;
  inputTokens?: number;
  outputTokens?: number;
  status?: "ok" | "failed";
  failureReason?: string;
}

export function makeRow(s: RowSpec): ResultRow {
  const tp = s.tp ?? 8;
  const gpus = s.disagg
    ? { total: s.disagg.prefillGpus + s.disagg.decodeGpus, prefill: s.disagg.prefillGpus, decode: s.disagg.decodeGpus }
    : { total: tp, prefill: 0, decode: 0 };
  const isl = s.isl ?? 1024;
  const osl = s.osl ?? 1024;
  const inputTokens = s.inputTokens ?? isl * s.concurrency * 10;
  const outputTokens = s.outputTokens ?? osl * s.concurrency * 10;
  const config: ResultConfig = {
    fingerprint: `fp-${s.sku ?? "h100"}-${tp}-${s.disagg ? "d" : "s"}`,
    configKey: `dsr1-fp8-${s.sku ?? "h100"}-${s.framework ?? "sglang"}`,
    sku: s.sku ?? "h100",
    runner: s.sku ?? "h100",
    model: s.model ?? "deepseek-ai/DeepSeek-R1",
    modelPrefix: "dsr1",
    precision: s.precision ?? "fp8",
    framework: s.framework ?? "sglang",
    image: s.image ?? "lmsysorg/sglang:v0.5.0",
    isl,
    osl,
    specDecoding: s.specDecoding ?? "none",
    multinode: !!s.disagg,
    disagg: !!s.disagg,
    ...(s.disagg
      ? {
          prefill: { numWorker: 1, tp: s.disagg.prefillGpus, ep: 1, dpAttn: false, gpus: s.disagg.prefillGpus },
          decode: { numWorker: 1, tp: s.disagg.decodeGpus, ep: 1, dpAttn: false, gpus: s.disagg.decodeGpus },
        }
      : { tp, ep: s.ep ?? 1, dpAttn: false }),
    gpus: gpus.total,
  };
  const duration = (inputTokens + outputTokens) / s.totalTput;
  const result: PointResult = {
    point: { concurrency: s.concurrency, isl, osl },
    status: s.status ?? "ok",
    ...(s.failureReason ? { failureReason: s.failureReason } : {}),
    startedAt: s.date ?? "2025-06-01T00:00:00.000Z",
    finishedAt: s.date ?? "2025-06-01T00:10:00.000Z",
    bench: {
      date: "20250601-000000",
      backend: "openai",
      model_id: config.model,
      num_prompts: s.concurrency * 10,
      request_rate: "inf",
      burstiness: 1,
      max_concurrency: s.concurrency,
      duration,
      completed: s.concurrency * 10,
      failed: 0,
      total_input_tokens: inputTokens,
      total_output_tokens: outputTokens,
      request_throughput: (s.concurrency * 10) / duration,
      output_throughput: s.outputTput ?? s.totalTput / 2,
      total_token_throughput: s.totalTput,
      median_tpot_ms: s.medianTpotMs,
      mean_tpot_ms: s.medianTpotMs,
      p90_tpot_ms: s.p90TpotMs ?? s.medianTpotMs * 1.1,
      p99_tpot_ms: (s.p90TpotMs ?? s.medianTpotMs * 1.1) * 1.1,
      median_ttft_ms: s.medianTtftMs ?? 200,
      p90_ttft_ms: (s.medianTtftMs ?? 200) * 1.5,
      p99_ttft_ms: (s.medianTtftMs ?? 200) * 2,
      median_e2el_ms: (s.medianTtftMs ?? 200) + s.medianTpotMs * (osl - 1),
      p90_e2el_ms: ((s.medianTtftMs ?? 200) + s.medianTpotMs * (osl - 1)) * 1.1,
    },
    failures: {},
    ...(s.energyJ !== undefined
      ? {
          energy: {
            complete: true,
            gpus: gpus.total,
            avgPowerW: s.energyJ / duration / gpus.total,
            totalEnergyJ: s.energyJ,
            joulesPerOutputToken: s.energyJ / outputTokens,
            joulesPerTotalToken: s.energyJ / (inputTokens + outputTokens),
          },
        }
      : {}),
    gpus,
    emulated: true,
  };
  return {
    id: s.id ?? `row-${config.sku}-${tp}-${s.concurrency}-${s.image ?? "img"}-${s.sweepId ?? "s1"}`,
    sweepId: s.sweepId ?? "s1",
    date: s.date ?? "2025-06-01T00:00:00.000Z",
    provenance: { kind: "measured" },
    config,
    result,
  };
}

/** H100 and GB200 rates of the reference dashboard (what configs/skus.yaml holds). */
export const TEST_SKUS = {
  h100: { tco: { hyperscaler: 1.3, neocloud: 1.69, rental: 1.3 }, allInPowerKw: 1.73 },
  gb200: { tco: { hyperscaler: 2.21, neocloud: 2.75, rental: 3.3 }, allInPowerKw: 2.1 },
} as const;
