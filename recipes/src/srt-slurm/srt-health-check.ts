/**
 * How long srtctl waits for its frontend to report the workers healthy: `health_check`'s
 * `max_attempts × interval_seconds` (cli/mixins/benchmark_stage.py wait_for_model, the same from
 * v1.0.36 to main; 180 × 10 s by default). The planner makes a row's ready phase at least that long,
 * so a model that loads within srtctl's wait loads within benchfleet's. Pure; a recipe that cannot
 * be read for the row gives nothing (the launch plan says why).
 */
import { RecipeError, type SrtRecipeRef, type SrtRow } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";

export function srtReadySeconds(ref: SrtRecipeRef, row: SrtRow): number | undefined {
  try {
    const { max_attempts, interval_seconds } = readSrtRecipe(ref, row).recipe.health_check;
    return max_attempts * interval_seconds;
  } catch (e) {
    if (e instanceof RecipeError) return undefined;
    throw e;
  }
}
