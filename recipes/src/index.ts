/**
 * @benchfleet/recipes: pure launch plans. A deployment and its placement on a gang become the exact
 * processes to start (argv, env, ports, health checks) for each framework; presets are read from
 * configs/recipes/. No processes, no network.
 */
export { buildLaunchPlan, SUPPORTED_FRAMEWORKS } from "./build-launch-plan.js";
export type { RecipeOptions } from "./context.js";
export { formatLaunchPlan } from "./format.js";
export { launchGroups } from "./launch-groups.js";
export { findUnlaunchable, formatUnlaunchable } from "./launchable.js";
export { type GangNode, layoutGang, nodesNeeded, placeGang, poolShapes } from "./placement.js";
export { checkPortBase } from "./ports.js";
export { RecipePreset } from "./preset.js";
export { loadPresets, loadScriptPresets } from "./preset-loader.js";
export { compareWithScript, type ScriptComparison, type ScriptDifference } from "./script-check.js";
export { findScriptPreset, parseScriptPreset, ScriptPreset } from "./script-preset.js";
export {
  type DraftMeta,
  draftScriptPreset,
  renderScriptPresetYaml,
  type ScriptObservation,
  type ScriptPoint,
} from "./script-preset-draft.js";
export { canonicalFlag, parseServerArgv, type ServerCommand } from "./server-command.js";
export { readSrtRecipe } from "./srt-slurm/read-srt-recipe.js";
export { type CensusEntry, reasonKind, srtRecipeCensus } from "./srt-slurm/recipe-census.js";
export { SRT_SLURM_ENV, srtRecipeSource, srtSlurmDirsFromEnv } from "./srt-slurm/recipe-dirs.js";
export { SrtRecipe } from "./srt-slurm/srt-recipe.js";
export type { GitTreeOpener, SrtTree } from "./srt-slurm/srt-tree.js";
export { agenticClientPointSettings, clientPointSettings, recipeSettingsFor } from "./stored-settings.js";
