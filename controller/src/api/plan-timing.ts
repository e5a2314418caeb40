/**
 * Wall-clock estimates of a plan from this controller's history (finished jobs) and fleet (nodes
 * per runner label): served with every `POST /api/v1/plan`, and for a plan made elsewhere (`plan
 * --history`) by `POST /api/v1/plan/timing`.
 */
import { PlanTiming, planTiming, TimingInput } from "@benchfleet/shared";
import { z } from "zod";
import type { ControllerContext } from "../context.js";
import { nodeLabels } from "../fleet/node-registry.js";
import type { Api } from "./route.js";

/** Nodes able to run each label: registered, not drained or quarantined (a Slurm login counts its nodes). */
function fleetNodesByRunner(c: ControllerContext, runners: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  const nodes = c.registry.list().filter((n) => n.adminState === "active");
  for (const r of new Set(runners))
    out[r] = nodes
      .filter((n) => nodeLabels(n.info).includes(r))
      .reduce((s, n) => s + (n.info.launcher === "slurm" ? (n.info.slurm?.nodes ?? 1) : 1), 0);
  return out;
}

export function controllerPlanTiming(c: ControllerContext, deployments: readonly TimingInput[]): PlanTiming {
  return planTiming(
    deployments,
    c.jobs.all(),
    fleetNodesByRunner(
      c,
      deployments.map((d) => d.runner),
    ),
    "fleet",
  );
}

export function registerPlanTimingRoute(api: Api, c: ControllerContext): void {
  api.route(
    {
      method: "POST",
      url: "/api/v1/plan/timing",
      role: "viewer",
      tag: "plan",
      summary:
        "wall-clock estimate of planned deployments: each from this controller's finished jobs where it has them, else the model; the sweep on its fleet",
      body: z.object({ deployments: z.array(TimingInput).max(50_000) }).strict(),
      response: PlanTiming,
    },
    async ({ body }) => controllerPlanTiming(c, body.deployments),
  );
}
