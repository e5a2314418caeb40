/**
 * The agentic part of the lab's single-node script contract: what the lab's `sweep-agentic` job
 * (`run-sweep.yml`) passes to `benchmark-tmpl.yml` for an agentic-coding point, and the env that
 * template derives from it. ISL, OSL and MAX_MODEL_LEN are `0` (the trace sets lengths), the
 * experiment name embeds the concurrency and the offload, and the KV-offload inputs become
 * KV_OFFLOADING, KV_OFFLOAD_BACKEND, TOTAL_CPU_DRAM_GB and DURATION. Scripts read these through
 * `benchmark_lib.sh`'s agentic helpers (`agentic_kv_offload_enabled`, `build_replay_cmd`, ...).
 */
import type { Deployment } from "./deployment.js";

/** where the lab keeps its single-node agentic scripts, from the checkout's root */
export const LAB_AGENTIC_DIR = "benchmarks/single_node/agentic";

/** the lab workflow's failed-request gate for the replay (AIPERF_FAILED_REQUEST_THRESHOLD) */
export const LAB_AGENTIC_FAILED_REQUEST_THRESHOLD = "0.10";

/** The agentic inputs of one point, as the lab's matrix entry carries them. */
export interface LabAgenticInputs {
  kvOffloading: "none" | "dram";
  /** the entry's `kv-offload-backend` ({name, version}); absent without offload */
  backend?: { name: string; version?: string };
  /** `total-cpu-dram-gb`: the DRAM budget for offloaded KV, GB */
  totalCpuDramGb: number;
  /** `duration`: measured seconds of the replay */
  durationS: number;
  /** the row's router and peer-to-peer KV transfer metadata, where it names them */
  router?: { name: string; version?: string };
  kvP2pTransfer?: string;
}

/** the agentic inputs of a planned agentic deployment; undefined for any other */
export function labAgenticInputs(d: Deployment): LabAgenticInputs | undefined {
  const a = d.agentic;
  if (d.scenario !== "agentic-coding" || !a) return undefined;
  return {
    kvOffloading: a.kvOffloading,
    ...(a.kvOffloadBackend && a.kvOffloading !== "none" ? { backend: a.kvOffloadBackend } : {}),
    totalCpuDramGb: a.dramOffloadGb,
    durationS: a.durationS,
    ...(d.router ? { router: d.router } : {}),
    ...(d.kvP2pTransfer ? { kvP2pTransfer: d.kvP2pTransfer } : {}),
  };
}

/**
 * The lab generator's single-node agentic `exp-name`:
 * `<model-prefix>_tp<TP>_conc<CONC>_<kvnone|kv<mode>-<backend>>[_spec-<spec>]`.
 */
export function labAgenticExpName(
  d: Pick<Deployment, "modelPrefix" | "tp" | "specDecoding">,
  a: Pick<LabAgenticInputs, "kvOffloading" | "backend">,
  conc: number,
): string {
  const kv = a.kvOffloading === "none" ? "kvnone" : `kv${a.kvOffloading}-${a.backend?.name ?? ""}`;
  const spec = d.specDecoding !== "none" ? `_spec-${d.specDecoding}` : "";
  return `${d.modelPrefix}_tp${d.tp ?? 1}_conc${conc}_${kv}${spec}`;
}

/** GitHub Actions' `toJson`: two-space indented JSON */
const toJson = (v: unknown) => JSON.stringify(v, null, 2);

/**
 * The agentic env of `benchmark-tmpl.yml` for one point, in the order of its `env:` block; the
 * template's fixed-seq-len variables (ISL, OSL, MAX_MODEL_LEN) are set by the caller to `0`.
 */
export function labAgenticEnv(a: LabAgenticInputs): Record<string, string> {
  return {
    SCENARIO_TYPE: "agentic-coding",
    SCENARIO_SUBDIR: "agentic/",
    IS_AGENTIC: "1",
    KV_OFFLOADING: a.kvOffloading,
    KV_OFFLOAD_BACKEND: a.kvOffloading !== "none" ? (a.backend?.name ?? "") : "",
    KV_OFFLOAD_BACKEND_METADATA: a.kvOffloading !== "none" && a.backend ? toJson(a.backend) : "",
    ROUTER_METADATA: a.router ? toJson(a.router) : "",
    KV_P2P_TRANSFER: a.kvP2pTransfer ?? "",
    TOTAL_CPU_DRAM_GB: String(a.totalCpuDramGb),
    DURATION: String(a.durationS),
    REQUIRE_POWER: "0",
    AIPERF_EXPERIMENTAL_FAST: "0",
    AIPERF_FAILED_REQUEST_THRESHOLD: LAB_AGENTIC_FAILED_REQUEST_THRESHOLD,
  };
}
