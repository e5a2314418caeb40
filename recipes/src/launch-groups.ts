/**
 * Which points of a deployment can share one server launch: those at which the lab script's
 * settings (flags, env, TensorRT-LLM options; values that use `$CONC` or depend on a concurrency
 * range) come out identical. The rest of the server command is the same for every point of the
 * deployment and is sized for the largest concurrency its launch serves. Pure.
 */
import type { Deployment, LoadPoint } from "@benchfleet/shared";
import { engineOf } from "./build-launch-plan.js";
import type { RecipeOptions } from "./context.js";
import { dependsOnConc, findScriptPreset, scriptFacts, scriptSettingsKey } from "./script-preset.js";
import { launchOptions } from "./stored-settings.js";

/**
 * The deployment's points grouped by identical script settings, in concurrency order; one group
 * when nothing the launch is given depends on the concurrency (or the deployment launches per point).
 */
export function launchGroups(d: Deployment, opts: RecipeOptions = {}): LoadPoint[][] {
  if (d.points.length <= 1 || d.launchPerPoint || d.multinode) return [d.points];
  if (!d.recipeSettings?.script && !opts.scripts?.length) return [d.points];
  const script = findScriptPreset(launchOptions(d, opts).scripts, d);
  const engine = engineOf(d.framework);
  if (!script || !engine || !dependsOnConc(script)) return [d.points];
  const groups = new Map<string, LoadPoint[]>();
  for (const p of [...d.points].sort((a, b) => a.concurrency - b.concurrency)) {
    const key = scriptSettingsKey(script, engine, scriptFacts(d, p.concurrency));
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()];
}
