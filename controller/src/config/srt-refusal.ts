/**
 * Which deployments a sweep may not be created with, because the srt-slurm recipe their row names
 * cannot be launched as the lab's srtctl would, or because the lab checkout they were planned with
 * has no script for their single-node agentic row (`labScriptMissing`: the lab's own run would
 * fail): the lines that say why, and the `--keys` that submit the rest. `sweep start` refuses every
 * such deployment its recipe check names; `POST /api/v1/sweeps` refuses those whose recipe file or
 * script was not found (`recipesNotFound`, no launch built). `plan` and the plan API show them as
 * unlaunchable and go on.
 */
import type { Deployment, Unlaunchable } from "@benchfleet/shared";

/** The refusal message, or undefined when none of `unlaunchable` was planned from an srt-slurm recipe. */
export function srtRefusal(
  deployments: readonly Deployment[],
  unlaunchable: readonly Unlaunchable[],
): string | undefined {
  const of = (u: Unlaunchable) => deployments.find((d) => d.fingerprint === u.fingerprint);
  const fromRecipes = unlaunchable.filter((u) => of(u)?.srtRecipe);
  const noScript = unlaunchable.filter((u) => of(u)?.labScriptMissing !== undefined);
  if (!fromRecipes.length && !noScript.length) return undefined;
  const bad = new Set([...fromRecipes, ...noScript].map((u) => u.configKey));
  const rest = [...new Set(deployments.map((d) => d.configKey))].filter((k) => !bad.has(k)).sort();
  const section = (title: string, list: Unlaunchable[]) =>
    list.length ? [`${title}:\n${[...new Set(list.map((u) => u.reason))].join("\n")}`] : [];
  const hint = rest.length
    ? `\nto submit the others, leave ${[...bad].sort().join(", ")} out: --keys ${rest.join(",")}`
    : "";
  return [
    ...section("srt-slurm recipes that cannot be honoured", fromRecipes),
    ...section("rows the lab checkout has no script for", noScript),
  ]
    .join("\n")
    .concat(hint);
}

/** The deployments whose row's recipe file or lab script was not found, as findUnlaunchable names them (no build needed). */
export function recipesNotFound(deployments: readonly Deployment[]): Unlaunchable[] {
  return deployments.flatMap((d) => {
    const reason = d.srtRecipe?.notFound ?? d.labScriptMissing;
    return reason === undefined
      ? []
      : [{ fingerprint: d.fingerprint, configKey: d.configKey, framework: d.framework, sku: d.sku, reason }];
  });
}
