/**
 * Planning rules of the reference lab's agentic-coding scenarios (InferenceX
 * `utils/matrix_logic/generate_sweep_configs.py`): the concurrency walk, the measured duration and
 * the host-DRAM budget for KV offload. Pure: errors come back as strings for the caller to place.
 */
import type { AgenticSpec } from "./deployment.js";
import type { RunnersFile, WorkerPool } from "./master-config.js";

/** Seconds of measured trace replay per point when the config does not say (the reference's). */
export const DEFAULT_AGENTIC_DURATION_S = 3600;
/** The reference caps a node's usable DRAM at 3 TB (decimal), expressed in MiB, before utilization. */
export const MAX_AGENTIC_AVAILABLE_CPU_DRAM_MIB = 2_861_022;
const BYTES_PER_MIB = 1024 * 1024;
const BYTES_PER_GB = 1_000_000_000;

/**
 * Concurrencies of an agentic search-space row: `conc-list` as given (duplicates dropped), or from
 * conc-start doubling, the last step clamped to conc-end so conc-end is always included.
 */
export function agenticConcurrencies(e: {
  "conc-start"?: number;
  "conc-end"?: number;
  "conc-list"?: number[];
}): number[] {
  if (e["conc-list"]) return [...new Set(e["conc-list"])];
  const out: number[] = [];
  const end = e["conc-end"]!;
  for (let c = e["conc-start"]!; c <= end; ) {
    out.push(c);
    if (c === end) break;
    c = Math.min(c * 2, end);
  }
  return out;
}

/** GPUs of one worker replica on one node, for sizing a per-process DRAM share (the reference's rule). */
export function workerGpusPerNode(w: Pick<WorkerPool, "tp" | "pp" | "pcp-size">, gpusPerNode: number): number | string {
  const perReplica = w.tp * (w.pp ?? 1) * (w["pcp-size"] ?? 1);
  if (perReplica > gpusPerNode) {
    if (perReplica % gpusPerNode !== 0)
      return `worker tp*pp*pcp-size=${perReplica} spans several nodes but is not a multiple of gpus-per-node=${gpusPerNode}`;
    return gpusPerNode;
  }
  if (gpusPerNode % perReplica !== 0)
    return `worker tp*pp*pcp-size=${perReplica} does not divide gpus-per-node=${gpusPerNode} evenly`;
  return perReplica;
}

export interface DramBudgetInput {
  kvOffloading: "none" | "dram";
  /** the scenario's dram-utilization (required with dram) */
  utilization?: number;
  runner: string;
  runners?: RunnersFile;
  /** single node: tp*pp*pcp-size */
  gpus?: number;
  /** multi-node: the prefill pool, the only role that offloads KV to DRAM */
  prefill?: Pick<WorkerPool, "tp" | "pp" | "pcp-size">;
}

/**
 * Host DRAM (GB) one server process may use for offloaded KV: the node's available DRAM (capped at
 * 3 TB) × dram-utilization × the share of the node's GPUs the process holds, floored to whole GB.
 * 0 without offload; an error string when the hardware facts are missing or the budget is empty.
 */
export function dramOffloadGb(i: DramBudgetInput): number | string {
  if (i.kvOffloading !== "dram") return 0;
  if (i.utilization === undefined) return "kv-offloading: dram needs the scenario's dram-utilization";
  const hw = i.runners?.hardware?.[i.runner];
  if (!hw) {
    const known = Object.keys(i.runners?.hardware ?? {}).sort();
    return `kv-offloading: dram needs a hardware entry for runner "${i.runner}" in runners.yaml (available-cpu-dram-mib, gpus-per-node); known: ${known.join(", ") || "none"}`;
  }
  const gpusPerNode = hw["gpus-per-node"];
  let gpuCount: number;
  if (i.prefill) {
    const g = workerGpusPerNode(i.prefill, gpusPerNode);
    if (typeof g === "string") return g;
    gpuCount = g;
  } else {
    gpuCount = i.gpus ?? 1;
    if (gpuCount > gpusPerNode)
      return `needs ${gpuCount} GPUs on one node but runner "${i.runner}" has gpus-per-node=${gpusPerNode}`;
  }
  const availableMib = Math.min(hw["available-cpu-dram-mib"], MAX_AGENTIC_AVAILABLE_CPU_DRAM_MIB);
  // exact decimal arithmetic as the reference's Decimal(str(utilization)): utilization = num / 10^k
  const [whole = "0", frac = ""] = String(i.utilization).split(".");
  const num = BigInt(whole + frac);
  const den = 10n ** BigInt(frac.length);
  const bytes = BigInt(availableMib) * BigInt(BYTES_PER_MIB) * num * BigInt(gpuCount);
  const gb = Number(bytes / (den * BigInt(gpusPerNode) * BigInt(BYTES_PER_GB)));
  if (gb < 1) return `the DRAM offload budget of runner "${i.runner}" rounds to 0 GB; raise dram-utilization`;
  return gb;
}

export function agenticSpec(args: {
  durationS?: number;
  kvOffloading: "none" | "dram";
  kvOffloadBackend?: { name: string; version?: string };
  dramOffloadGb: number;
}): AgenticSpec {
  return {
    durationS: args.durationS ?? DEFAULT_AGENTIC_DURATION_S,
    kvOffloading: args.kvOffloading,
    ...(args.kvOffloadBackend ? { kvOffloadBackend: args.kvOffloadBackend } : {}),
    dramOffloadGb: args.dramOffloadGb,
  };
}
