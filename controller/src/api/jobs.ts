/**
 * /api/v1/jobs and /api/v1/attempts: list with filters and paging, get, cancel, retry, lift a node's
 * exclusion, attempts, logs.
 */
import { AttemptRecord, JobDetail, JobLogs, JobView, LOG_SOURCE, pageOf } from "@benchfleet/shared";
import { z } from "zod";
import type { ControllerContext } from "../context.js";
import { JOB_STATUSES } from "../jobs/jobs.js";
import { liftExclusions } from "../scheduling/exclusions.js";
import { csv, IdParam, Paging } from "./common.js";
import { jobViews } from "./job-views.js";
import { apiLogLines } from "./log-lines.js";
import { type Api, ApiError } from "./route.js";
import { sweepError } from "./sweeps.js";

export function registerJobRoutes(api: Api, c: ControllerContext): void {
  const nodesOf = (attemptId: string) => c.attempts.get(attemptId)?.gang.map((m) => m.agentId) ?? [];
  const mustJob = (id: string) => {
    const j = c.jobs.get(id);
    if (!j) throw new ApiError(404, "not-found", `job ${id} not found`);
    return j;
  };

  api.route(
    {
      method: "GET",
      url: "/api/v1/jobs",
      role: "viewer",
      tag: "jobs",
      summary: "list jobs with filters and paging",
      query: z
        .object({
          sweep: z.string().optional(),
          status: csv.pipe(z.array(z.enum(JOB_STATUSES))).optional(),
          sku: z.string().optional(),
          runner: z.string().optional(),
          configKey: z.string().optional(),
          node: z.string().optional(),
          ...Paging,
        })
        .strict(),
      response: pageOf(JobView),
    },
    async ({ query }) => {
      const { total, items } = c.jobs.list(
        {
          sweepId: query.sweep,
          status: query.status,
          sku: query.sku,
          runner: query.runner,
          configKey: query.configKey,
          nodeId: query.node,
        },
        query.offset,
        query.limit,
        nodesOf,
      );
      return {
        total,
        offset: query.offset,
        limit: query.limit,
        items: items.map(jobViews(c)),
      };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/jobs/:id",
      role: "viewer",
      tag: "jobs",
      summary: "one job with its attempts and deployment",
      params: IdParam,
      response: JobDetail,
    },
    async ({ params }) => {
      const j = mustJob(params.id);
      return {
        ...jobViews(c)(j),
        attempts: c.attempts.ofJob(j.jobId),
        deployment: await c.jobs.deployment(j.jobId),
      };
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/jobs/:id/cancel",
      role: "operator",
      tag: "jobs",
      summary: "cancel a queued or running job",
      params: IdParam,
      body: z
        .object({ reason: z.string().max(500).optional() })
        .strict()
        .default({}),
    },
    async ({ params, body, user }) => {
      mustJob(params.id);
      return c.supervisor.cancelJob(params.id, body.reason ?? `cancelled by ${user?.name ?? "operator"}`);
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/jobs/:id/retry",
      role: "operator",
      tag: "jobs",
      summary: "re-queue a finished job",
      params: IdParam,
    },
    async ({ params }) => {
      const j = mustJob(params.id);
      if (j.status === "queued" || j.status === "running")
        throw new ApiError(409, "conflict", `job ${j.jobId} is ${j.status}`);
      await c.sweeps.requeueJob(j.jobId).catch(sweepError);
      return c.jobs.get(j.jobId);
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/jobs/:id/lift-exclusion",
      role: "operator",
      tag: "jobs",
      summary: "let a job run on nodes it excluded after they failed one of its attempts (all nodes when none named)",
      params: IdParam,
      body: z
        .object({ nodes: z.array(z.string().min(1).max(300)).max(1000).optional() })
        .strict()
        .default({}),
      response: JobView,
    },
    async ({ params, body }) => {
      const j = mustJob(params.id);
      const excluded = j.excludedNodes;
      const nodes = body.nodes ?? excluded;
      const unknown = nodes.filter((n) => !excluded.includes(n));
      if (unknown.length)
        throw new ApiError(
          409,
          "conflict",
          `job ${j.jobId} does not exclude ${unknown.join(", ")} (it excludes ${excluded.join(", ") || "no node"})`,
        );
      const lifted = await c.jobs.update(j.jobId, (rec) => {
        liftExclusions(rec, nodes);
      });
      c.dispatcher.kick();
      return jobViews(c)(lifted ?? j);
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/jobs/:id/attempts",
      role: "viewer",
      tag: "attempts",
      summary: "attempts of a job",
      params: IdParam,
      response: z.object({ items: z.array(AttemptRecord) }).strict(),
    },
    async ({ params }) => {
      mustJob(params.id);
      return { items: c.attempts.ofJob(params.id) };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/attempts/:id",
      role: "viewer",
      tag: "attempts",
      summary: "one attempt",
      params: IdParam,
      response: AttemptRecord,
    },
    async ({ params }) => {
      const a = c.attempts.get(params.id);
      if (!a) throw new ApiError(404, "not-found", `attempt ${params.id} not found`);
      return a;
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/jobs/:id/logs",
      role: "viewer",
      tag: "logs",
      summary: "tail (default) or byte range of a job's logs",
      params: IdParam,
      response: JobLogs,
      query: z
        .object({
          attempt: z.string().optional(),
          process: z.string().regex(LOG_SOURCE, "a process, or node/process").optional(),
          tail: z.coerce.number().int().min(0).max(100_000).default(200),
          offset: z.coerce.number().int().min(0).optional(),
          length: z.coerce
            .number()
            .int()
            .min(1)
            .max(4 * 1024 * 1024)
            .default(256 * 1024),
        })
        .strict(),
    },
    async ({ params, query }) => {
      const j = mustJob(params.id);
      const attemptId = query.attempt ?? j.currentAttemptId ?? c.attempts.ofJob(j.jobId).at(-1)?.attemptId;
      if (!attemptId) return { jobId: j.jobId, attemptId: null, processes: [], lines: [], older: [] };
      if (!c.attempts.ofJob(j.jobId).some((a) => a.attemptId === attemptId))
        throw new ApiError(404, "not-found", `attempt ${attemptId} of job ${j.jobId} not found`);
      const processes = c.logs.processes(j.jobId, attemptId);
      if (query.offset !== undefined) {
        if (!query.process) throw new ApiError(400, "bad-request", "a byte range (offset) needs process");
        return {
          jobId: j.jobId,
          attemptId,
          process: query.process,
          offset: query.offset,
          ...c.logs.range(j.jobId, attemptId, query.process, query.offset, query.length),
        };
      }
      const tail = c.logs.tail(j.jobId, attemptId, query.tail, query.process);
      return { jobId: j.jobId, attemptId, processes, lines: apiLogLines(tail.lines), older: tail.older };
    },
  );
}
