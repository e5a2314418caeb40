/**
 * Script mode at planning: which deployments run the lab's own benchmark script, and the script
 * each one runs, read from a lab checkout (`--lab DIR`; the controller's `BENCHFLEET_LAB_DIR`).
 * A fixed-seq-len deployment runs in script mode when its row asks (`benchfleet.script: true`) or
 * when no benchfleet recipe launches its framework; a single-node agentic deployment when its row
 * asks, or when its script's preset says only the script launches it exactly (`script-mode:`), unless
 * its row says `benchfleet.script: false`. The script's path and hash are stored with the
 * deployment (lab-script.ts in shared). A deployment the checkout has no script for, or planned
 * without a checkout, is left as planned: the recipe check names why it cannot launch.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { findScriptPreset, type ScriptPreset, SUPPORTED_FRAMEWORKS } from "@benchfleet/recipes";
import {
  CliError,
  type Deployment,
  type LabScriptRef,
  labScriptCandidates,
  labScriptHash,
  withLabScript,
} from "@benchfleet/shared";

/** the reason an agentic deployment's script preset gives for script mode, if it gives one */
function presetReason(d: Deployment, scripts: readonly ScriptPreset[] | undefined): string | undefined {
  if (d.scenario !== "agentic-coding" || d.multinode) return undefined;
  return findScriptPreset(scripts, d)?.["script-mode"];
}

/**
 * the deployment runs in script mode: its row asks, no recipe launches its framework, or (agentic,
 * single-node) its script preset says only the script launches it exactly
 */
export function wantsScriptMode(d: Deployment, scripts?: readonly ScriptPreset[]): boolean {
  if (d.srtRecipe || d.mode === "recipe") return false;
  if (d.scenario === "agentic-coding") return !d.multinode && (d.mode === "script" || !!presetReason(d, scripts));
  return d.mode === "script" || !SUPPORTED_FRAMEWORKS.includes(d.framework);
}

/**
 * A function from a planned deployment to the one to run: in script mode with its script where the
 * checkout has it. `scripts`: the script presets, whose `script-mode` puts agentic rows in script mode.
 */
export function labScriptResolver(
  labDir: string | undefined,
  scripts?: readonly ScriptPreset[],
): (d: Deployment) => Deployment {
  if (labDir !== undefined && !(existsSync(join(labDir, "benchmarks")) && statSync(labDir).isDirectory()))
    throw new CliError(`lab checkout ${labDir}: not an InferenceX checkout (it has no benchmarks/ folder)`, 2);
  const refs = new Map<string, LabScriptRef | undefined>();
  const refOf = (rel: string): LabScriptRef | undefined => {
    if (!refs.has(rel)) {
      const file = join(labDir as string, rel);
      refs.set(rel, existsSync(file) ? { path: rel, sha256: labScriptHash(readFileSync(file)) } : undefined);
    }
    return refs.get(rel);
  };
  return (d) => {
    if (labDir === undefined || d.labScript || !wantsScriptMode(d, scripts)) return d;
    for (const rel of labScriptCandidates(d)) {
      const ref = refOf(rel);
      if (ref) return withLabScript(d, ref);
    }
    return d;
  };
}

/**
 * why a deployment runs in script mode (its script preset's reason, its row asks, or no recipe
 * launches its framework); undefined: it does not
 */
export function scriptModeReason(d: Deployment, scripts?: readonly ScriptPreset[]): string | undefined {
  if (d.mode !== "script") return undefined;
  const preset = presetReason(d, scripts);
  if (preset) return `its script's preset: ${preset}`;
  return SUPPORTED_FRAMEWORKS.includes(d.framework)
    ? "the row asks for it (benchfleet.script: true)"
    : `no benchfleet recipe for framework ${d.framework}`;
}

/**
 * Lines for a terminal: the deployments that run the lab's own scripts, by reason, with their
 * scripts; those a lab checkout has no script for are named by the recipe check instead.
 */
export function formatScriptMode(deployments: readonly Deployment[], scripts?: readonly ScriptPreset[]): string {
  const byReason = new Map<string, Set<string>>();
  let n = 0;
  for (const d of deployments) {
    const why = scriptModeReason(d, scripts);
    if (!why || !d.labScript) continue;
    n++;
    const set = byReason.get(why) ?? new Set<string>();
    set.add(`${d.configKey} → ${d.labScript.path}`);
    byReason.set(why, set);
  }
  if (n === 0) return "";
  let out = `script mode: ${n} of ${deployments.length} deployments are planned to run the lab's own benchmark script (single-node: one run per point; multi-node: one Slurm job of the script per row, from a Slurm login-node agent):\n`;
  for (const [why, keys] of byReason) out += `  - ${why}\n      ${[...keys].join("\n      ")}\n`;
  return out;
}
