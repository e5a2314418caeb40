/**
 * Recipe settings stored with deployments when a plan is made (`plan`, `sweep start`, the plan and
 * sweep APIs): the presets of `configs/recipes/` that apply to each deployment, read on each call
 * (a few small files) so an edited preset counts at once. Agents build launches from what is stored.
 */
import { join } from "node:path";
import {
  agenticClientPointSettings,
  clientPointSettings,
  launchGroups,
  loadPresets,
  loadScriptPresets,
  recipeSettingsFor,
  type ScriptPreset,
} from "@benchfleet/recipes";
import {
  type Deployment,
  type Plan,
  type RecipeSettings,
  splitLaunches,
  withDeployments,
  withRecipeSettings,
} from "@benchfleet/shared";
import { REPO_ROOT } from "./config-files.js";
import { labScriptResolver } from "./lab-scripts.js";

/** configs/recipes (a function: config-files.ts, which defines REPO_ROOT, imports this module) */
const defaultRecipes = () => join(REPO_ROOT, "configs", "recipes");

function resolver(
  dir = defaultRecipes(),
  scripts = loadScriptPresets(dir),
): (d: Deployment) => ReturnType<typeof recipeSettingsFor> {
  const presets = loadPresets(dir);
  // one settings object per preset, stored with every deployment it applies to
  const seen = new Map<unknown, RecipeSettings>();
  return (d) => {
    const s = recipeSettingsFor(d, { presets, scripts });
    const preset = s?.script ?? s?.family;
    if (!s || !preset) return undefined;
    if (!seen.has(preset)) seen.set(preset, s);
    return seen.get(preset);
  };
}

/**
 * `plan` with each deployment's presets stored in it (the fingerprints of those with presets follow),
 * and a deployment whose points need different server settings split into one launch per group.
 * With a lab checkout (`labDir`), script-mode deployments get their lab script stored instead
 * (lab-scripts.ts; the script presets' `script-mode` counts); each of their points is a run of its
 * own, so they are not split.
 */
export function storeRecipeSettings(plan: Plan, dir = defaultRecipes(), labDir?: string): Plan {
  const scripts = loadScriptPresets(dir);
  const settingsOf = resolver(dir, scripts);
  const scripted = labScriptResolver(labDir, scripts);
  const deployments = plan.deployments.flatMap((planned) => {
    const s = scripted(planned);
    if (s.labScript) return [s];
    const d = withClientSettings(withRecipeSettings(planned, settingsOf(planned)));
    return splitLaunches(d, launchGroups(d));
  });
  return withDeployments(plan, deployments);
}

/**
 * The lab client's settings of `d`'s script preset stored with each of its points (a point's own
 * win): its `client:` options, and for agentic points the client env it exports at that concurrency.
 */
function withClientSettings(d: Deployment): Deployment {
  const client = clientPointSettings(d);
  const agentic = d.scenario === "agentic-coding";
  if (!Object.keys(client).length && !agentic) return d;
  return {
    ...d,
    points: d.points.map((p) => ({
      ...client,
      ...(agentic ? agenticClientPointSettings(d, p.concurrency) : {}),
      ...p,
    })),
  };
}

/**
 * Deployments posted already planned: those without stored settings get the presets that apply
 * now. Their fingerprint stays the one the client planned (it names the deployment to the client).
 */
export function settleRecipeSettings(deployments: Deployment[], dir?: string): Deployment[] {
  if (deployments.every((d) => d.recipeSettings)) return deployments;
  const settingsOf = resolver(dir);
  return deployments.map((d) => {
    if (d.recipeSettings) return d;
    const s = settingsOf(d);
    return s ? { ...d, recipeSettings: s } : d;
  });
}

/** the script presets of `dir` (default configs/recipes), for naming why deployments run in script mode */
export function scriptPresetsOf(dir = defaultRecipes()): ScriptPreset[] {
  return loadScriptPresets(dir);
}
