/**
 * An aggregated recipe whose workers differ from its aggregated row's (pure): srtctl launches the
 * recipe, so the row is launched with the recipe's topology (`agg_workers` workers of
 * `gpus_per_agg` GPUs, or `agg_nodes` × `gpus_per_node` shared out), with one plan warning at the
 * recipe's `resources` naming the row. The lab's result files count the row's GPUs whatever the
 * recipe runs (InferenceX utils/agentic/aggregation/process_agentic_result.py, and
 * utils/process_result.py: num-worker × tp × pp × pcp of each pool), so per-GPU results divide by
 * that count (`resultGpus`) where it differs from the GPUs launched.
 *
 * Undefined when the recipe agrees with the row, is not aggregated, or cannot be read for the
 * reshaped row either (the launch plan then says why).
 */
import { formatProblem, RecipeError, type SrtRecipeRef, type SrtRow, type SrtShape } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";

export function srtAggShape(ref: SrtRecipeRef, row: SrtRow, at?: string): SrtShape | undefined {
  const { prefill: pool, decode } = row;
  if (!pool || !decode || decode.numWorker !== 0) return undefined;
  const readable = (r: SrtRow, recipeTopology = false) => {
    try {
      return readSrtRecipe(ref, r, { recipeTopology });
    } catch (e) {
      if (e instanceof RecipeError) return undefined;
      throw e;
    }
  };
  if (readable(row)) return undefined;
  const read = readable(row, true);
  const res = read?.recipe.resources;
  const workers = res?.agg_workers ?? 0;
  if (!read || !res || workers <= 0) return undefined;
  const per = res.gpus_per_agg ?? ((res.agg_nodes ?? 0) * res.gpus_per_node) / workers;
  if (!Number.isInteger(per) || per <= 0) return undefined;
  const gpus = workers * per;
  const prefill = {
    ...pool,
    numWorker: workers,
    gpusPerWorker: per,
    gpus,
    nodes: Math.ceil(gpus / Math.min(res.gpus_per_node, row.gpusPerNode)),
  };
  if (!readable({ ...row, prefill })) return undefined;
  const rowGpus = pool.numWorker * pool.tp * pool.pp * pool.pcpSize;
  const shape = `tp ${pool.tp}, ep ${pool.ep}${pool.dpAttn ? ", dp-attn" : ""}`;
  const warning = formatProblem(
    read.at(
      ["resources"],
      `srtctl launches the recipe's ${workers} aggregated worker(s) of ${per} GPUs (${gpus} GPUs) where the master-config row ${row.configKey}${at ? ` (${at})` : ""} names ${pool.numWorker} of ${pool.gpusPerWorker} (${shape}): launched as the recipe says; per-GPU results divide by the row's ${rowGpus} GPUs (num-worker × tp × pp × pcp), as the lab's result files do`,
    ),
  );
  return { prefill, decode, ...(rowGpus !== gpus ? { resultGpus: rowGpus } : {}), warning };
}
