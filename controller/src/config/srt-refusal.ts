/**
 * Which deployments a sweep may not be created with, because the srt-slurm recipe their row names
 * cannot be launched as the lab's srtctl would: the lines that say why, and the `--keys` that
 * submit the rest. `sweep start` refuses every such deployment its recipe check names;
 * `POST /api/v1/sweeps` refuses those whose recipe file was not found (`recipesNotFound`, no
 * launch built). `plan` and the plan API show them as unlaunchable and go on.
 */
import type { Deployment, Unlaunchable } from "@benchfleet/shared";

/** The refusal message, or undefined when none of `unlaunchable` was planned from an srt-slurm recipe. */
export function srtRefusal(
  deployments: readonly Deployment[],
  unlaunchable: readonly Unlaunchable[],
): string | undefined {
  const fromRecipes = unlaunchable.filter((u) => deployments.find((d) => d.fingerprint === u.fingerprint)?.srtRecipe);
  if (!fromRecipes.length) return undefined;
  const bad = new Set(fromRecipes.map((u) => u.configKey));
  const rest = [...new Set(deployments.map((d) => d.configKey))].filter((k) => !bad.has(k)).sort();
  const reasons = [...new Set(fromRecipes.map((u) => u.reason))].join("\n");
  const hint = rest.length
    ? `\nto submit the others, leave ${[...bad].sort().join(", ")} out: --keys ${rest.join(",")}`
    : "";
  return `srt-slurm recipes that cannot be honoured:\n${reasons}${hint}`;
}

/** The deployments whose row's recipe file was not found, as findUnlaunchable names them (no build needed). */
export function recipesNotFound(deployments: readonly Deployment[]): Unlaunchable[] {
  return deployments.flatMap((d) =>
    d.srtRecipe?.notFound === undefined
      ? []
      : [
          {
            fingerprint: d.fingerprint,
            configKey: d.configKey,
            framework: d.framework,
            sku: d.sku,
            reason: d.srtRecipe.notFound,
          },
        ],
  );
}
