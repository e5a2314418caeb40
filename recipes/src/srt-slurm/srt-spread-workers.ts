/**
 * `resources.spread_workers` of an srt-slurm recipe (pure): srtctl places each worker smaller than
 * a node on a node of its own instead of packing several onto one (core/topology.py
 * allocate_endpoints, the same at v1.0.36, the ref the lab's GB300 runner pins for agentic vLLM rows,
 * and at main). Workers of a whole node or more are placed as without it. The recipe's
 * `prefill_nodes` / `decode_nodes` reserve those nodes (srtctl requires the caller to), so the
 * deployment takes them: its pools hold the recipe's node counts (the planner asks
 * {@link srtPoolNodes}) and the gang is laid out one such worker a node (placement.ts asks
 * {@link layoutSpreads}). The GPU count stays the workers' (the row's).
 */
import { type Deployment, RecipeError, type SrtRecipeRef, type SrtRow } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";
import type { SrtRecipe } from "./srt-recipe.js";

/** nodes srtctl allocates a pool of `workers` workers of `gpus` GPUs on nodes of `perNode` GPUs */
function spreadPoolNodes(workers: number, gpus: number, perNode: number): number {
  return gpus >= perNode ? workers * Math.ceil(gpus / perNode) : workers;
}

/** The nodes each pool takes when its recipe spreads its workers; undefined otherwise (or unreadable). */
export function srtPoolNodes(ref: SrtRecipeRef, row: SrtRow): { prefill: number; decode: number } | undefined {
  let recipe: SrtRecipe;
  try {
    recipe = readSrtRecipe(ref, row).recipe;
  } catch (e) {
    // a recipe that cannot be read for the row: its launch says why
    if (e instanceof RecipeError) return undefined;
    throw e;
  }
  if (!recipe.resources.spread_workers || !row.prefill || !row.decode) return undefined;
  const perNode = Math.min(recipe.resources.gpus_per_node, row.gpusPerNode);
  return {
    prefill: spreadPoolNodes(row.prefill.numWorker, row.prefill.gpusPerWorker, perNode),
    decode: spreadPoolNodes(row.decode.numWorker, row.decode.gpusPerWorker, perNode),
  };
}

/** The deployment's recipe spreads its workers one a node. */
export function layoutSpreads(d: Deployment): boolean {
  if (!d.srtRecipe || !d.prefill || !d.decode) return false;
  try {
    return readSrtRecipe(d.srtRecipe, d).recipe.resources.spread_workers;
  } catch (e) {
    if (e instanceof RecipeError) return false;
    throw e;
  }
}

/**
 * Why a spreading recipe's node counts differ from the nodes its workers take one a node; undefined
 * when they agree (or the recipe does not spread).
 */
export function spreadMismatch(r: SrtRecipe): string | undefined {
  const res = r.resources;
  if (!res.spread_workers) return undefined;
  const per = res.gpus_per_node;
  for (const [pool, workers, nodes, gpus] of [
    ["prefill", res.prefill_workers, res.prefill_nodes, res.gpus_per_prefill],
    ["decode", res.decode_workers, res.decode_nodes, res.gpus_per_decode],
    ["agg", res.agg_workers, res.agg_nodes, res.gpus_per_agg],
  ] as const) {
    if (!workers) continue;
    const each = gpus ?? ((nodes ?? 0) * per) / workers;
    const need = spreadPoolNodes(workers, each, per);
    if ((nodes ?? 0) !== need)
      return `spread_workers places each of the ${workers} ${pool} workers of ${each} GPUs on ${need === workers ? "a node of its own" : "nodes of their own"}: ${need} ${pool} nodes, but ${pool}_nodes is ${nodes ?? 0}`;
  }
  return undefined;
}
