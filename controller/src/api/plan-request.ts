/** Planning from config texts posted to the API (dry run, or a sweep made from a whole config). */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { srtRecipeSource, srtSlurmDirsFromEnv } from "@benchfleet/recipes";
import { buildPlan, loadMasterConfigs, loadRunnersFile, type Plan, type SkuName } from "@benchfleet/shared";
import { z } from "zod";
import { readSkuCatalog } from "../config/config-files.js";
import { gitTree } from "../config/git-tree.js";
import { storeRecipeSettings } from "../config/recipe-settings.js";
import { TextFileSchema } from "./common.js";
import { ApiError } from "./route.js";

export const PlanBody = z
  .object({
    configs: z.array(TextFileSchema).min(1).max(200),
    runners: TextFileSchema.optional(),
    keys: z.array(z.string().min(1)).optional(),
    skus: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type PlanBody = z.infer<typeof PlanBody>;

/**
 * The plan of the posted configs, with the presets of `recipesDir` (default configs/recipes) stored
 * in it, and the lab scripts of `labDir` with its script-mode deployments.
 */
export function planFromBody(b: PlanBody, recipesDir?: string, labDir?: string): Plan {
  const catalog = readSkuCatalog();
  const skus = b.skus?.map((s) => s.toLowerCase());
  for (const s of skus ?? [])
    if (!(s in catalog))
      throw new ApiError(400, "bad-request", `unknown SKU "${s}" (known: ${Object.keys(catalog).join(", ")})`);
  // the controller finds the rows' srt-slurm recipes where BENCHFLEET_SRT_SLURM says, as the CLI does
  const dirs = srtSlurmDirsFromEnv();
  let srtRecipes: ReturnType<typeof srtRecipeSource> | undefined;
  try {
    srtRecipes = dirs.length ? srtRecipeSource(dirs, gitTree) : undefined;
  } catch (e) {
    throw new ApiError(500, "internal", `controller setting BENCHFLEET_SRT_SLURM: ${(e as Error).message}`);
  }
  const plan = buildPlan(loadMasterConfigs(b.configs), {
    catalog,
    ...(srtRecipes ? { srtRecipes } : {}),
    runners: b.runners ? loadRunnersFile(b.runners) : undefined,
    runnersFile: b.runners?.file,
    selection: { keys: b.keys },
    skus: skus as SkuName[] | undefined,
    // a single-node agentic row this checkout has no script for is planned unlaunchable
    ...(labDir !== undefined ? { labScripts: (rel: string) => existsSync(join(labDir, rel)) } : {}),
  });
  return storeRecipeSettings(plan, recipesDir, labDir);
}
