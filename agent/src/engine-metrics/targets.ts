/**
 * The engine endpoints of an attempt to scrape: every prefill, decode and aggregated worker
 * process of the launch plan that serves, at the host its member reported in member-ready. A
 * process with an `http` port serves its metrics there (a member reports a process's first port,
 * which for srtctl's direct `vllm serve` is the unused Dynamo system port); a `--headless` rank of a
 * worker spanning nodes serves nothing (its worker's rank 0 reports for all ranks). Pure.
 */
import type { EndpointRef, LaunchPlan } from "@benchfleet/shared";
import { engineArgv } from "../launchers/engine-argv.js";

const ENGINE_ROLES = new Set(["prefill", "decode", "worker"]);

/** `endpoints`: process name → base URL (as members report them) */
export function engineMetricsTargets(plan: LaunchPlan, endpoints: Readonly<Record<string, string>>): EndpointRef[] {
  const out: EndpointRef[] = [];
  for (const node of plan.nodes)
    for (const p of node.processes) {
      const base = endpoints[p.name];
      if (!ENGINE_ROLES.has(p.role) || base === undefined) continue;
      if (engineArgv(p.argv).includes("--headless")) continue;
      const url = new URL(base);
      if (p.ports.http !== undefined) url.port = String(p.ports.http);
      out.push({ role: p.role, process: p.name, url: `${url.origin}${url.pathname.replace(/\/+$/, "")}/metrics` });
    }
  return out;
}
