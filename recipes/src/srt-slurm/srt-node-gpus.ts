/**
 * The GPUs of each node a recipe-driven deployment lays its workers on (pure). A recipe whose
 * `resources.gpus_per_node` is below the runner's is submitted by srtctl with sbatch
 * `--gpus-per-node=<that>` and without `--exclusive` (job_script_minimal.j2, the lab's
 * srtslurm.yaml leaves both settings at srtctl's defaults): Slurm gives the job that many GPUs of
 * each node and srtctl places its workers as if a node had no more. The gang is laid out the same
 * way, on that many GPUs of each of the runner's nodes; otherwise on the runner's GPUs a node.
 */
import { type Deployment, RecipeError } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";

export function layoutGpusPerNode(d: Deployment): number {
  if (!d.srtRecipe || !d.prefill || !d.decode) return d.gpusPerNode;
  try {
    return Math.min(readSrtRecipe(d.srtRecipe, d).recipe.resources.gpus_per_node, d.gpusPerNode);
  } catch (e) {
    // a recipe that cannot be read for the row: its launch says why
    if (e instanceof RecipeError) return d.gpusPerNode;
    throw e;
  }
}
