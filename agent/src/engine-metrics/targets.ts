/**
 * The engine endpoints of an attempt to scrape: every prefill, decode and aggregated worker
 * process of the launch plan, at the URL its member reported in member-ready. Pure.
 */
import type { EndpointRef, LaunchPlan } from "@benchfleet/shared";

const ENGINE_ROLES = new Set(["prefill", "decode", "worker"]);

/** `endpoints`: process name → base URL (as members report them) */
export function engineMetricsTargets(plan: LaunchPlan, endpoints: Readonly<Record<string, string>>): EndpointRef[] {
  const out: EndpointRef[] = [];
  for (const node of plan.nodes)
    for (const p of node.processes) {
      const base = endpoints[p.name];
      if (!ENGINE_ROLES.has(p.role) || base === undefined) continue;
      out.push({ role: p.role, process: p.name, url: `${base.replace(/\/+$/, "")}/metrics` });
    }
  return out;
}
