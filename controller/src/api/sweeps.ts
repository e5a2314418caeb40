/** /api/v1/plan and /api/v1/sweeps: dry-run plans; create, list, get, cancel, retry sweeps. */

import { Deployment, pageOf, SweepStatus, SweepSummary, timingInput } from "@benchfleet/shared";
import { z } from "zod";
import { checkRecipes } from "../config/recipe-check.js";
import { settleRecipeSettings } from "../config/recipe-settings.js";
import { recipesNotFound, srtRefusal } from "../config/srt-refusal.js";
import type { ControllerContext } from "../context.js";
import { SweepError } from "../jobs/sweeps.js";
import { IdParam, Paging } from "./common.js";
import { PlanBody, planFromBody } from "./plan-request.js";
import { controllerPlanTiming } from "./plan-timing.js";
import { type Api, ApiError } from "./route.js";

const CreateSweep = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** a plan made by the client (CLI plans locally) … */
    deployments: z.array(Deployment).min(1).max(200_000).optional(),
    /** … or config texts the controller plans itself */
    plan: PlanBody.optional(),
    source: z
      .object({
        kind: z.enum(["plan", "keys", "changelog", "config"]),
        keys: z.array(z.string()).optional(),
        skus: z.array(z.string()).optional(),
        changelog: z
          .object({ file: z.string().optional(), base: z.string().optional(), head: z.string().optional() })
          .strict()
          .optional(),
        configFiles: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => (b.deployments ? 1 : 0) + (b.plan ? 1 : 0) === 1, {
    message: "give exactly one of deployments or plan",
  });

const RetryBody = z
  .object({ jobIds: z.array(z.string()).min(1).optional(), missingOnly: z.boolean().optional() })
  .strict()
  .default({});

export function sweepError(e: unknown): never {
  if (e instanceof SweepError)
    throw new ApiError(e.code === "not-found" ? 404 : e.code === "conflict" ? 409 : 400, e.code, e.message);
  throw e;
}

export function registerSweepRoutes(api: Api, c: ControllerContext): void {
  api.route(
    {
      method: "POST",
      url: "/api/v1/plan",
      role: "viewer",
      tag: "plan",
      summary:
        "plan a sweep from config texts (dry run); `unlaunchable` names the deployments no engine recipe can launch, with the reason; `timing` estimates each deployment's and the sweep's wall-clock time from this controller's finished jobs and fleet",
      body: PlanBody,
    },
    async ({ body }) => {
      const plan = planFromBody(body, c.cfg.recipesDir, c.cfg.labDir);
      return {
        ...plan,
        unlaunchable: checkRecipes(plan, c.cfg.recipesDir),
        timing: controllerPlanTiming(c, plan.deployments.map(timingInput)),
      };
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/sweeps",
      role: "operator",
      tag: "sweeps",
      summary: "create a sweep from a plan or config texts",
      body: CreateSweep,
      response: SweepSummary,
    },
    async ({ body, user, reply }) => {
      // the presets each deployment launches with are stored with it now (a retry launches the same)
      const deployments = body.deployments
        ? settleRecipeSettings(body.deployments, c.cfg.recipesDir)
        : planFromBody(body.plan!, c.cfg.recipesDir, c.cfg.labDir).deployments;
      // a row whose srt-slurm recipe file is missing is planned but never launched (as `sweep start`)
      const refusal = srtRefusal(deployments, recipesNotFound(deployments));
      if (refusal) throw new ApiError(400, "bad-request", refusal);
      const source =
        body.source ??
        (body.plan
          ? {
              kind: "config" as const,
              keys: body.plan.keys,
              skus: body.plan.skus,
              configFiles: body.plan.configs.map((f) => f.file),
            }
          : { kind: "plan" as const });
      const sweep = await c.sweeps
        .create({
          name: body.name ?? `sweep of ${deployments.length} deployments`,
          triggeredBy: user?.name ?? "anonymous",
          source,
          deployments,
        })
        .catch(sweepError);
      reply.code(201);
      return sweep;
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/sweeps",
      role: "viewer",
      tag: "sweeps",
      summary: "list sweeps (newest first)",
      query: z.object({ status: SweepStatus.optional(), ...Paging }).strict(),
      response: pageOf(SweepSummary),
    },
    async ({ query }) => {
      const all = c.sweeps.list().filter((s) => !query.status || s.status === query.status);
      return {
        total: all.length,
        offset: query.offset,
        limit: query.limit,
        items: all.slice(query.offset, query.offset + query.limit),
      };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/sweeps/:id",
      role: "viewer",
      tag: "sweeps",
      summary: "one sweep with status and counts",
      params: IdParam,
      response: SweepSummary,
    },
    async ({ params }) => {
      const s = c.sweeps.get(params.id);
      if (!s) throw new ApiError(404, "not-found", `sweep ${params.id} not found`);
      return s;
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/sweeps/:id/cancel",
      role: "operator",
      tag: "sweeps",
      summary: "cancel a sweep's queued and running jobs",
      params: IdParam,
      body: z
        .object({ reason: z.string().max(500).optional() })
        .strict()
        .default({}),
    },
    async ({ params, body, user }) =>
      c.sweeps.cancel(params.id, body.reason ?? `cancelled by ${user?.name ?? "operator"}`).catch(sweepError),
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/sweeps/:id/retry",
      role: "operator",
      tag: "sweeps",
      summary: "re-queue failed/cancelled (or chosen, or incomplete) jobs",
      params: IdParam,
      body: RetryBody,
    },
    async ({ params, body }) => c.sweeps.retry(params.id, body).catch(sweepError),
  );
}
