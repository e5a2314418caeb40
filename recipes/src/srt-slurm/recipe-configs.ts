/**
 * Files of srt-slurm's `configs/` directory a recipe uses (srtctl mounts that directory at
 * /configs in every container): its `setup_script`, which srtctl runs from /configs or
 * /configs/patches before each worker (cli/mixins/worker_stage.py _build_worker_preamble), and
 * every `/configs/...` path its engine configs and environments name (e.g. a DeepEP config). They
 * are found at plan time among the --srt-slurm entries (last first, as recipes are) and stored
 * with the deployment, so a retry runs the same files. A path without a file extension that no
 * directory holds as a file (e.g. `/configs/deepgemm-cache`, a JIT cache the engine writes) is a
 * directory: the launch mounts a directory of the node there (see srt-launch.ts).
 */
import { RecipeError, type SrtRecipeRef, type SrtRow } from "@benchfleet/shared";
import { readSrtRecipe } from "./read-srt-recipe.js";
import type { SrtRecipe } from "./srt-recipe.js";
import type { SrtTree } from "./srt-tree.js";

/** the cache of hash-pinned dynamo builds lives under /configs too; it is not a recipe file */
const NOT_FILES = /^dynamo-wheels(\/|$)/;

/** a /configs path that names a directory when no file is found for it */
export function isDirectoryPath(rel: string): boolean {
  return !/\.[A-Za-z0-9]+$/.test(rel);
}

/** `/configs/<rel>` paths named by string values anywhere in the recipe's backend, in first-seen order. */
export function configPaths(r: SrtRecipe): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string") {
      for (const m of v.matchAll(/\/configs\/([A-Za-z0-9_.\-/]+[A-Za-z0-9_])/g))
        if (!NOT_FILES.test(m[1]!)) out.add(m[1]!);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(r.backend);
  walk(r.environment);
  return [...out];
}

/** A configs file is looked for in each entry's configs/, the last entry first. */
function find(trees: SrtTree[], rels: string[]): { path: string; text: string } | { searched: string[] } {
  const searched: string[] = [];
  for (const rel of rels) {
    for (const tree of [...trees].reverse()) {
      const text = tree.read(`configs/${rel}`);
      if (text !== undefined) return { path: rel, text };
      searched.push(tree.where(`configs/${rel}`));
    }
  }
  return { searched };
}

export function srtRecipeConfigs(
  trees: SrtTree[],
): (ref: SrtRecipeRef, row: SrtRow) => NonNullable<SrtRecipeRef["configs"]> | { error: string } {
  return (ref, row) => {
    let recipe: SrtRecipe;
    try {
      // the files a recipe of one variant uses do not depend on the row's topology (srt-agg-shape.ts)
      recipe = readSrtRecipe(ref, row, { recipeTopology: true }).recipe;
    } catch (e) {
      if (e instanceof RecipeError) return [];
      throw e;
    }
    const out: NonNullable<SrtRecipeRef["configs"]> = [];
    const wanted: Array<{ what: string; rels: string[] }> = [];
    if (recipe.setup_script) {
      const name = recipe.setup_script;
      wanted.push({ what: `setup_script ${name}`, rels: [name, `patches/${name}`] });
    }
    for (const rel of configPaths(recipe)) wanted.push({ what: `/configs/${rel}`, rels: [rel] });
    for (const w of wanted) {
      const hit = find(trees, w.rels);
      if ("searched" in hit && w.what.startsWith("/configs/") && isDirectoryPath(w.rels[0]!)) continue;
      if ("searched" in hit)
        return { error: `${ref.path}: ${w.what} (srt-slurm configs/) not found; searched ${hit.searched.join(", ")}` };
      if (!out.some((f) => f.path === hit.path)) out.push(hit);
    }
    return out;
  };
}

/** the node directory mounted at /configs/<rel> for a directory path of the recipe */
export const CONFIG_DIRECTORY_ROOT = "/var/tmp/benchfleet-srt-configs";

export function configDirectoryMounts(
  r: SrtRecipe,
  stored: NonNullable<SrtRecipeRef["configs"]>,
): Array<{ host: string; container: string }> {
  return configPaths(r)
    .filter((rel) => isDirectoryPath(rel) && !stored.some((f) => f.path === rel))
    .map((rel) => ({ host: `${CONFIG_DIRECTORY_ROOT}/${rel}`, container: `/configs/${rel}` }));
}
