/**
 * Script mode at planning: which deployments run the lab's own benchmark script, and the script
 * each one runs, read from a lab checkout (`--lab DIR`; the controller's `BENCHFLEET_LAB_DIR`).
 * A fixed-seq-len deployment runs in script mode when its row asks (`benchfleet.script: true`) or
 * when no benchfleet recipe launches its framework. The script's path and hash are stored with the
 * deployment (lab-script.ts in shared). A deployment the checkout has no script for, or planned
 * without a checkout, is left as planned: the recipe check names why it cannot launch.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SUPPORTED_FRAMEWORKS } from "@benchfleet/recipes";
import {
  CliError,
  type Deployment,
  type LabScriptRef,
  labScriptCandidates,
  labScriptHash,
  withLabScript,
} from "@benchfleet/shared";

/** the deployment runs in script mode: its row asks, or no recipe launches its framework */
export function wantsScriptMode(d: Deployment): boolean {
  if (d.scenario !== "fixed-seq-len" || d.srtRecipe || d.mode === "recipe") return false;
  return d.mode === "script" || !SUPPORTED_FRAMEWORKS.includes(d.framework);
}

/** A function from a planned deployment to the one to run: in script mode with its script where the checkout has it. */
export function labScriptResolver(labDir: string | undefined): (d: Deployment) => Deployment {
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
    if (labDir === undefined || d.labScript || !wantsScriptMode(d)) return d;
    for (const rel of labScriptCandidates(d)) {
      const ref = refOf(rel);
      if (ref) return withLabScript(d, ref);
    }
    return d;
  };
}

/** why a deployment runs in script mode (its row asks, or no recipe launches its framework); undefined: it does not */
export function scriptModeReason(d: Deployment): string | undefined {
  if (d.mode !== "script") return undefined;
  return SUPPORTED_FRAMEWORKS.includes(d.framework)
    ? "the row asks for it (benchfleet.script: true)"
    : `no benchfleet recipe for framework ${d.framework}`;
}

/**
 * Lines for a terminal: the deployments that run the lab's own scripts, by reason, with their
 * scripts; those a lab checkout has no script for are named by the recipe check instead.
 */
export function formatScriptMode(deployments: readonly Deployment[]): string {
  const byReason = new Map<string, Set<string>>();
  let n = 0;
  for (const d of deployments) {
    const why = scriptModeReason(d);
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
