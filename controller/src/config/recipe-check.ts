/**
 * The recipe check of a plan (`plan`, `sweep start`, the plan API's dry run): findUnlaunchable with
 * the repo's model-family and per-script presets, read on each call so an edited preset counts at once (a few small
 * files; a dry run is rare).
 */
import { join } from "node:path";
import { findUnlaunchable, loadPresets, loadScriptPresets } from "@benchfleet/recipes";
import type { Plan, Unlaunchable } from "@benchfleet/shared";
import { REPO_ROOT } from "./config-files.js";

export function checkRecipes(plan: Plan, presetsDir = join(REPO_ROOT, "configs", "recipes")): Unlaunchable[] {
  return findUnlaunchable(plan.deployments, {
    presets: loadPresets(presetsDir),
    scripts: loadScriptPresets(presetsDir),
  });
}
