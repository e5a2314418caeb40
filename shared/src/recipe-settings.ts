/**
 * Storing recipe settings with a deployment. The settings (the presets that apply, see
 * `RecipeSettings`) are resolved where the plan is made and become part of the fingerprint: a
 * changed preset makes a new deployment, and a deployment launches what was stored with it.
 */
import { createHash } from "node:crypto";
import type { Deployment, RecipeSettings } from "./deployment.js";
import { canonicalJson } from "./planner.js";

/** canonical text of settings objects already seen (a plan stores one object with many deployments) */
const canonicalOf = new WeakMap<RecipeSettings, string>();

/**
 * The deployment with `settings` stored and its fingerprint derived from the planned one and the
 * settings. A deployment that already carries settings, or no settings to store, is returned as it is.
 */
export function withRecipeSettings(d: Deployment, settings: RecipeSettings | undefined): Deployment {
  if (d.recipeSettings || !settings || (!settings.family && !settings.script)) return d;
  let text = canonicalOf.get(settings);
  if (text === undefined) {
    text = canonicalJson(settings);
    canonicalOf.set(settings, text);
  }
  const fingerprint = createHash("sha256").update(`${d.fingerprint}\n${text}`).digest("hex");
  return { ...d, recipeSettings: settings, fingerprint };
}
