/**
 * The Mooncake store as one lab script runs it: the `mooncake:` block of an agentic script preset
 * (configs/recipes/scripts/agentic/*.yaml). The scripts agree on the store's shape (kv-offload-servers.ts)
 * but not on three things a preset names beside its script:
 *
 * - how `global_segment_size` is sized from TOTAL_CPU_DRAM_GB: the budget ÷ the process's GPUs in
 *   GB (kimik3_fp4_b300_vllm_mtp.sh, dsv4_fp4_b200_vllm_mtp.sh: the default), or, as the MiniMax-M3
 *   H100/H200 scripts do, the budget in GiB less a node reserve (the checkpoint's page cache), ÷ TP,
 *   less a rank reserve (weights offloaded to the CPU, the local buffer): all integer division, as bash;
 * - `mooncake_master`'s eviction watermark and ratio (0.80 / 0.10 unless the script says otherwise);
 * - the RDMA devices the store config names: the node's (default), one rail for every rank, or none
 *   (an empty `device_name`: Mooncake finds them).
 * Pure.
 */
import { RecipeError } from "@benchfleet/shared";
import { z } from "zod";

const GiB = 1024 ** 3;
const Ratio = z.number().gt(0).lte(1);
const Reserve = z.number().int().nonnegative();

export const ScriptMooncake = z
  .object({
    /** `--eviction_high_watermark_ratio` of mooncake_master */
    "eviction-high-watermark-ratio": Ratio.optional(),
    /** `--eviction_ratio` of mooncake_master */
    "eviction-ratio": Ratio.optional(),
    /** per-rank segment = ⌊(⌊budget GB × 10⁹ ÷ 2³⁰⌋ − node-reserve-gib) ÷ GPUs⌋ − rank-reserve-gib */
    "segment-gib": z.object({ "node-reserve-gib": Reserve, "rank-reserve-gib": Reserve }).strict().optional(),
    /** `device_name`: every RDMA device of the node, its first (one rail for every rank), or none named (Mooncake picks) */
    "rdma-devices": z.enum(["all", "first", "none"]).optional(),
  })
  .strict();
export type ScriptMooncake = z.infer<typeof ScriptMooncake>;

export const MOONCAKE_EVICTION = { highWatermark: 0.8, ratio: 0.1 };

/** mooncake_master's eviction flags, as the scripts write them */
export function mooncakeMasterArgs(m: ScriptMooncake | undefined): string[] {
  const high = m?.["eviction-high-watermark-ratio"] ?? MOONCAKE_EVICTION.highWatermark;
  const ratio = m?.["eviction-ratio"] ?? MOONCAKE_EVICTION.ratio;
  return [`--eviction_high_watermark_ratio=${high.toFixed(2)}`, `--eviction_ratio=${ratio.toFixed(2)}`];
}

/**
 * The `global_segment_size` number (the scripts write it with a `GB` suffix whichever unit they
 * computed in) of one process with `gpus` GPUs and `budgetGb` of DRAM; `where` names the row in errors.
 */
export function mooncakeSegment(m: ScriptMooncake | undefined, budgetGb: number, gpus: number, where: string): number {
  const n = Math.max(1, gpus);
  const s = m?.["segment-gib"];
  if (!s) {
    const gb = Math.floor(budgetGb / n);
    if (gb < 1) throw new RecipeError(`${where}: ${budgetGb} GB over ${n} GPUs is under 1 GB per GPU`);
    return gb;
  }
  const gib = Math.floor((budgetGb * 1e9) / GiB);
  const seg = Math.trunc((gib - s["node-reserve-gib"]) / n) - s["rank-reserve-gib"];
  if (seg < 1)
    throw new RecipeError(
      `${where}: ${budgetGb} GB (${gib} GiB) less the script's ${s["node-reserve-gib"]} GiB node reserve, over ${n} GPUs, less its ${s["rank-reserve-gib"]} GiB rank reserve leaves no Mooncake segment`,
    );
  return seg;
}

/** The store config's `device_name` on a node with these RDMA devices */
export function mooncakeDevices(m: ScriptMooncake | undefined, rdmaDevices: readonly string[]): string {
  const which = m?.["rdma-devices"] ?? "all";
  if (which === "none") return "";
  return which === "first" ? (rdmaDevices[0] ?? "") : rdmaDevices.join(",");
}
