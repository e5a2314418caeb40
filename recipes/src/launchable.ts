/**
 * Which deployments of a plan no recipe can launch, and why: checked before a sweep is submitted,
 * so an operator learns it from `plan` / `sweep start` instead of from attempts that fail at launch.
 * Each deployment is built on a stand-in gang of the node count it needs (the recipes decide from
 * the layout and the parallelism, not from host names or addresses).
 */
import { type Deployment, RecipeError, type Unlaunchable, unlaunchableByReason } from "@benchfleet/shared";
import { buildLaunchPlan } from "./build-launch-plan.js";
import type { RecipeOptions } from "./context.js";
import { layoutGang } from "./placement.js";

export type { Unlaunchable };

const STAND_IN_PORT_BASE = 20480;

/** The deployments a recipe refuses, in plan order; an unexpected error (a recipe bug) is thrown. */
export function findUnlaunchable(deployments: readonly Deployment[], opts: RecipeOptions = {}): Unlaunchable[] {
  const out: Unlaunchable[] = [];
  for (const d of deployments) {
    try {
      const nodes = Array.from({ length: layoutGang(d).nodes }, (_, rank) => ({
        rank,
        hostname: `node-${String(rank).padStart(2, "0")}`,
        ip: `10.0.${rank >> 8}.${(rank & 255) + 1}`,
        gpuCount: d.gpusPerNode,
        rdmaDevices: [],
      }));
      const vendor = d.sku.startsWith("mi") ? "amd" : "nvidia";
      buildLaunchPlan(d, { nodes, portBase: STAND_IN_PORT_BASE, vendor }, opts);
    } catch (e) {
      if (!(e instanceof RecipeError)) throw e;
      const prefix = `${d.configKey}: `;
      out.push({
        fingerprint: d.fingerprint,
        configKey: d.configKey,
        framework: d.framework,
        sku: d.sku,
        reason: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message,
      });
    }
  }
  return out;
}

/** Lines for a terminal: one per distinct reason, with the config keys it affects. */
export function formatUnlaunchable(list: readonly Unlaunchable[], total: number): string {
  if (!list.length) return "";
  let out = `${list.length} of ${total} deployments cannot be launched by any recipe (their jobs would fail at launch):\n`;
  for (const { reason, configKeys } of unlaunchableByReason(list))
    out += `  - ${reason}\n      ${configKeys.join(", ")}\n`;
  return out;
}
