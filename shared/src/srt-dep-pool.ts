/**
 * A data-parallel expert-parallel (DEP) pool as the lab's master configs write vLLM's for rows
 * launched from srt-slurm recipes: `tp: 1, ep: N, dp-attn: true`. srtctl launches such a worker as
 * the recipe says, N data-parallel ranks of TP 1 with the experts spread over them
 * (`data-parallel-size: N`, `gpus_per_prefill`/`gpus_per_decode` N, or N from nodes × GPUs per node
 * / workers), so its worker holds N GPUs, not tp × pp × pcp = 1. Pure.
 */
import type { Deployment, PoolSpec } from "./deployment.js";

/** The worker width of a DEP pool (its `ep`); undefined for any other pool. */
export function depWorkerGpus(p: Pick<PoolSpec, "tp" | "pp" | "pcpSize" | "ep" | "dpAttn">): number | undefined {
  return p.dpAttn && p.tp * p.pp * p.pcpSize === 1 && p.ep > 1 ? p.ep : undefined;
}

/** The pool with a DEP worker's GPUs (workers of `ep` GPUs); any other pool unchanged. */
export function srtDepPool(p: PoolSpec, gpusPerNode: number): PoolSpec {
  const width = depWorkerGpus(p);
  if (width === undefined) return p;
  const gpus = p.numWorker * width;
  return { ...p, gpusPerWorker: width, gpus, nodes: Math.ceil(gpus / gpusPerNode) };
}

/**
 * A multi-node deployment whose row names a recipe (CONFIG_FILE=) with its DEP pools widened
 * (srtDepPool), GPUs and nodes to match: as the planner reads the row when given the recipes.
 */
export function srtDepDeployment(d: Deployment): Deployment {
  if (!d.prefill || !d.decode) return d;
  const named = [d.prefill, d.decode].some((p) => p.additionalSettings.some((s) => s.startsWith("CONFIG_FILE=")));
  if (!named) return d;
  const prefill = srtDepPool(d.prefill, d.gpusPerNode);
  const decode = srtDepPool(d.decode, d.gpusPerNode);
  if (prefill === d.prefill && decode === d.decode) return d;
  const extraNodes = d.nodes - d.prefill.nodes - d.decode.nodes;
  return { ...d, prefill, decode, gpus: prefill.gpus + decode.gpus, nodes: prefill.nodes + decode.nodes + extraNodes };
}
