/**
 * The nodes beyond a row's workers its srt-slurm recipe needs (pure): one when the recipe puts
 * etcd and NATS on a node of their own (`infra.etcd_nats_dedicated_node`, srtctl's Nodes.from_slurm
 * reserves it from the allocation), else none. A recipe that cannot be read needs none here: the
 * launch plan reports why it cannot be read.
 */
import { RecipeError, type SrtRecipeRef, type SrtRow } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";

export function srtInfraNodes(ref: SrtRecipeRef, row: SrtRow): number {
  try {
    return readSrtRecipe(ref, row).recipe.infra.etcd_nats_dedicated_node ? 1 : 0;
  } catch (e) {
    if (e instanceof RecipeError) return 0;
    throw e;
  }
}
