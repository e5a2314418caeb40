/**
 * Where srtctl puts its one frontend when there is no nginx (a single worker node, or
 * `enable_multiple_frontends: false`): `frontend.orchestrator_placement` (cli/mixins/frontend_stage.py
 * _compute_frontend_topology, core/topology.py placed_node; the same from v1.0.36 to main) is `head`,
 * or the node of the first or last decode worker's leader, decode workers in index order. Pure.
 */
import { RecipeError } from "@benchfleet/shared";
import type { RecipeContext } from "../context.js";
import type { SrtRecipe } from "./srt-recipe.js";

type Path = Array<string | number>;

/** srtctl fails at start when a decode placement finds no decode worker: refused at plan time */
export function placementRefusals(r: SrtRecipe): Array<[Path, string]> {
  if (r.frontend.orchestrator_placement === "head" || (r.resources.agg_workers ?? 0) === 0) return [];
  return [
    [
      ["frontend", "orchestrator_placement"],
      `${r.frontend.orchestrator_placement} places the frontend by the decode workers and the recipe has none (srtctl fails at start)`,
    ],
  ];
}

/** the gang node rank of the single frontend */
export function orchestratorRank(
  ctx: RecipeContext,
  placement: SrtRecipe["frontend"]["orchestrator_placement"],
): number {
  if (placement === "head") return 0;
  const leaders: number[] = [];
  for (const w of [...ctx.workers("decode")].sort((a, b) => a.index - b.index)) {
    const node = w.ranks[0]!.nodeRank;
    if (!leaders.includes(node)) leaders.push(node);
  }
  if (!leaders.length)
    throw new RecipeError(`frontend.orchestrator_placement ${placement}: the gang has no decode worker`);
  return placement === "first_decode" ? leaders[0]! : leaders[leaders.length - 1]!;
}
