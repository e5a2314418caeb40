/**
 * vLLM's per-GPU data-parallel launch (`backend.dp_launch_mode: per_gpu`, srtctl's
 * backends/vllm.py endpoints_to_processes, the DP+EP branch): one process per GPU of a worker,
 * nodes in order and GPUs sorted within a node, each owning one GPU and one DP rank (counted across
 * the worker's nodes). Every process of a worker shares the leader's DP RPC port and one NIXL
 * side-channel base (vLLM adds the DP rank); each has its own Dynamo system port, KV-events port
 * and VLLM_PORT base, as srtctl's NodePortAllocator and get_process_environment give them.
 *
 * Ports: a per-GPU process takes the worker slot numbered by its GPU index on the node (ports.ts
 * holds one slot per GPU of an 8-GPU node), so the processes of per-GPU workers never share a
 * slot. A node where another worker's slot is one of those GPU indices (a single-node gang packing
 * prefill and decode) is refused.
 */
import { RecipeError } from "@benchfleet/shared";
import type { RecipeContext } from "../context.js";
import type { WorkerLayout, WorkerRank } from "../placement.js";
import type { SlotPorts } from "../ports.js";

export interface PerGpuProcess {
  rank: WorkerRank;
  gpu: number;
  dpRank: number;
  slot: SlotPorts;
  /** the worker's DP RPC port on its leader node */
  dpRpc: number;
  /** the worker's NIXL side-channel base: the process listens on base + DP rank */
  nixlBase: number;
}

/** Slots a worker occupies on a node: its GPU indices when launched per GPU, else its slot. */
function slotsOn(w: WorkerLayout, nodeRank: number, isPerGpu: (w: WorkerLayout) => boolean): number[] {
  return w.ranks.filter((r) => r.nodeRank === nodeRank).flatMap((r) => (isPerGpu(w) ? r.gpus : [r.slot]));
}

export function perGpuProcesses(
  ctx: RecipeContext,
  w: WorkerLayout,
  dpSize: number,
  isPerGpu: (w: WorkerLayout) => boolean,
): PerGpuProcess[] {
  const gpus = w.ranks.reduce((n, r) => n + r.gpus.length, 0);
  if (gpus !== dpSize)
    throw new RecipeError(
      `backend.dp_launch_mode: per_gpu gives one DP rank per GPU: ${gpus} ranks for data-parallel-size ${dpSize} (srtctl launches the same; vLLM would refuse the ranks beyond the size)`,
    );
  for (const rank of w.ranks) {
    for (const other of ctx.workers()) {
      if (other === w) continue;
      const clash = slotsOn(other, rank.nodeRank, isPerGpu).find((s) => rank.gpus.includes(s));
      if (clash !== undefined)
        throw new RecipeError(
          `backend.dp_launch_mode: per_gpu: ${w.pool} worker ${w.index} takes the port slot of each of its GPUs, and slot ${clash} on node ${rank.nodeRank} belongs to ${other.pool} worker ${other.index}`,
        );
    }
  }
  const leader = w.ranks[0]!;
  const leaderSlot = ctx.slot({ ...leader, slot: Math.min(...leader.gpus) });
  const out: PerGpuProcess[] = [];
  for (const rank of w.ranks) {
    for (const gpu of [...rank.gpus].sort((a, b) => a - b)) {
      out.push({
        rank,
        gpu,
        dpRank: out.length,
        slot: ctx.slot({ ...rank, slot: gpu }),
        dpRpc: leaderSlot.distInit,
        nixlBase: leaderSlot.nixlSideChannel,
      });
    }
  }
  return out;
}
