/**
 * Metrics of one load point, normalised the way the reference lab does (reference/inferencex.md §7):
 * throughput per GPU (disagg: output ÷ decode GPUs and input ÷ prefill GPUs too), interactivity
 * from TPOT, latency percentiles, energy per token, cost per million tokens for every TCO rate of
 * the SKU, and tokens per second per MW of provisioned power.
 */
import type { PointResult } from "../results.js";
import type { SkuName, SkuSpec, TcoRates } from "../skus.js";

/** What the cost and power math needs of a SKU. */
export type SkuRates = Pick<SkuSpec, "tco" | "allInPowerKw">;
/** The SKU catalog, or any part of it that has the rates. */
export type RatesCatalog = Partial<Record<SkuName, SkuRates>>;

export const TCO_RATE_NAMES = ["hyperscaler", "neocloud", "rental"] as const satisfies ReadonlyArray<keyof TcoRates>;
export type TcoRateName = (typeof TCO_RATE_NAMES)[number];

/** $ per million tokens; null where the throughput it divides by is zero. */
export interface CostPerMillion {
  total: number | null;
  input: number | null;
  output: number | null;
}

export interface Percentiles {
  mean: number | null;
  median: number | null;
  p90: number | null;
  p99: number | null;
}

export interface PointMetrics {
  concurrency: number;
  isl: number;
  osl: number;
  gpus: { total: number; prefill: number; decode: number };
  /** total tokens/s ÷ all GPUs */
  tputPerGpu: number;
  /** output tokens/s ÷ GPUs (disagg: ÷ decode GPUs) */
  outputTputPerGpu: number;
  /** input tokens/s ÷ GPUs (disagg: ÷ prefill GPUs) */
  inputTputPerGpu: number;
  /** tok/s/user = 1000 / median TPOT ms */
  interactivity: number | null;
  /** 1000 / p90 TPOT ms (the slower tail of users) */
  p90Interactivity: number | null;
  /** 1000 / mean TPOT ms */
  meanInteractivity: number | null;
  tpotMs: Percentiles;
  ttftMs: Percentiles;
  e2elMs: Percentiles;
  /** measured GPU energy ÷ (input+output) tokens; null without power samples */
  joulesPerToken: number | null;
  /** measured GPU energy ÷ output tokens */
  joulesPerOutputToken: number | null;
  /** power samples covered the whole window on every GPU */
  energyComplete: boolean;
  /** all-in provisioned kW per GPU × 1000 ÷ tokens/s/GPU (the reference dashboard's `jTotal`) */
  provisionedJoulesPerToken: number | null;
  /** tokens/s per MW of all-in provisioned power */
  tokensPerSecPerMw: number;
  cost: Record<TcoRateName, CostPerMillion>;
}

/** Per-GPU normalisation of a point's throughputs. */
export function throughputPerGpu(
  bench: Pick<PointResult["bench"], "total_token_throughput" | "output_throughput">,
  gpus: PointResult["gpus"],
  disagg: boolean,
): { tputPerGpu: number; outputTputPerGpu: number; inputTputPerGpu: number } {
  const total = bench.total_token_throughput;
  const output = bench.output_throughput;
  const input = Math.max(0, total - output);
  const outputGpus = disagg && gpus.decode > 0 ? gpus.decode : gpus.total;
  const inputGpus = disagg && gpus.prefill > 0 ? gpus.prefill : gpus.total;
  return { tputPerGpu: total / gpus.total, outputTputPerGpu: output / outputGpus, inputTputPerGpu: input / inputGpus };
}

/** tokens/s/user from a TPOT in ms; null for a missing or non-positive TPOT. */
export function interactivityFromTpot(tpotMs: number | null | undefined): number | null {
  return tpotMs !== undefined && tpotMs !== null && Number.isFinite(tpotMs) && tpotMs > 0 ? 1000 / tpotMs : null;
}

/** $ per million tokens at `ratePerGpuHour` for a per-GPU throughput in tokens/s. */
export function costPerMillionTokens(ratePerGpuHour: number, tokensPerSecPerGpu: number): number | null {
  if (!(tokensPerSecPerGpu > 0) || !Number.isFinite(tokensPerSecPerGpu)) return null;
  const millionTokensPerHour = (tokensPerSecPerGpu * 3600) / 1e6;
  return ratePerGpuHour / millionTokensPerHour;
}

/** Cost per million tokens (total, input, output) for each TCO rate. */
export function costsFor(
  tco: TcoRates,
  tput: { tputPerGpu: number; inputTputPerGpu: number; outputTputPerGpu: number },
): Record<TcoRateName, CostPerMillion> {
  const out = {} as Record<TcoRateName, CostPerMillion>;
  for (const rate of TCO_RATE_NAMES) {
    out[rate] = {
      total: costPerMillionTokens(tco[rate], tput.tputPerGpu),
      input: costPerMillionTokens(tco[rate], tput.inputTputPerGpu),
      output: costPerMillionTokens(tco[rate], tput.outputTputPerGpu),
    };
  }
  return out;
}

/** tokens/s per MW of provisioned power: per-GPU tokens/s × GPUs per MW. */
export function tokensPerSecPerMw(tputPerGpu: number, allInPowerKw: number): number {
  return (tputPerGpu * 1000) / allInPowerKw;
}

function pct(bench: Record<string, unknown>, metric: string): Percentiles {
  const get = (stat: string): number | null => {
    const v = bench[`${stat}_${metric}_ms`];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  return { mean: get("mean"), median: get("median"), p90: get("p90"), p99: get("p99") };
}

/** All metrics of one point. `sku` supplies the TCO rates and provisioned power. */
export function pointMetrics(result: PointResult, disagg: boolean, sku: SkuRates): PointMetrics {
  const bench = result.bench as Record<string, unknown> & PointResult["bench"];
  const tput = throughputPerGpu(bench, result.gpus, disagg);
  const tpotMs = pct(bench, "tpot");
  const tokens = bench.total_input_tokens + bench.total_output_tokens;
  const e = result.energy;
  let joulesPerToken: number | null = null;
  let joulesPerOutputToken: number | null = null;
  if (e) {
    if (e.totalEnergyJ !== null && tokens > 0) {
      joulesPerToken = e.totalEnergyJ / tokens;
      joulesPerOutputToken = bench.total_output_tokens > 0 ? e.totalEnergyJ / bench.total_output_tokens : null;
    } else {
      joulesPerToken = e.joulesPerTotalToken;
      joulesPerOutputToken = e.joulesPerOutputToken;
    }
  }
  return {
    concurrency: result.point.concurrency,
    isl: result.point.isl,
    osl: result.point.osl,
    gpus: { ...result.gpus },
    ...tput,
    interactivity: interactivityFromTpot(tpotMs.median),
    p90Interactivity: interactivityFromTpot(tpotMs.p90),
    meanInteractivity: interactivityFromTpot(tpotMs.mean),
    tpotMs,
    ttftMs: pct(bench, "ttft"),
    e2elMs: pct(bench, "e2el"),
    joulesPerToken,
    joulesPerOutputToken,
    energyComplete: e?.complete ?? false,
    provisionedJoulesPerToken: tput.tputPerGpu > 0 ? (sku.allInPowerKw * 1000) / tput.tputPerGpu : null,
    tokensPerSecPerMw: tokensPerSecPerMw(tput.tputPerGpu, sku.allInPowerKw),
    cost: costsFor(sku.tco, tput),
  };
}
