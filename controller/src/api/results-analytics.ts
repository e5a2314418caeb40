/**
 * Analytics routes over the results DB (issue 8): frontiers per group, the table at target
 * interactivities, history per sweep and image, comparison of two sweeps, the HTML report of a
 * sweep, and import of rows parsed by the CLI (`results import`).
 */
import {
  AXIS_NAMES,
  type AxisName,
  analyzeRows,
  explorerPointOf,
  ImportedAgenticRow,
  type RatesCatalog,
  ResultRow,
} from "@benchfleet/shared";
import { z } from "zod";
import { readSkuCatalog } from "../config/config-files.js";
import type { ControllerContext } from "../context.js";
import { agenticFrontierQuery, insertImportedAgentic } from "../results/agentic-results.js";
import { labAggRowOf } from "../results/lab-agg-export.js";
import { renderReport } from "../results/report-html.js";
import {
  atQuery,
  compareQuery,
  frontierQuery,
  historyQuery,
  insertImportedRows,
  loadRows,
  type RowFilter,
  reportInput,
} from "../results/results-analytics.js";
import { vllmFileName, vllmJsonForRow } from "../results/results-export.js";
import { csv } from "./common.js";
import { type Api, ApiError, notFound } from "./route.js";

const numList = z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
  const parts = (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean);
  const nums = parts.map(Number);
  if (!nums.length || nums.some((n) => !Number.isFinite(n) || n <= 0)) {
    ctx.addIssue({
      code: "custom",
      message: `expected positive numbers separated by commas, got "${parts.join(",")}"`,
    });
    return z.NEVER;
  }
  return nums;
});

const Filters = {
  sweep: csv.optional(),
  configKey: z.string().optional(),
  model: z.string().optional(),
  precision: z.string().optional(),
  isl: z.coerce.number().int().positive().optional(),
  osl: z.coerce.number().int().positive().optional(),
  skus: csv.optional(),
  frameworks: csv.optional(),
  /** frontier as of this date (rows measured at or before it) */
  date: z.string().datetime({ offset: true }).or(z.string().date()).optional(),
  emulated: z.enum(["true", "false", "any"]).optional(),
  imported: z.enum(["true", "false"]).default("true"),
};

const FilterObject = z.object(Filters);
type FilterQuery = z.output<typeof FilterObject>;

export function toFilter(q: FilterQuery): RowFilter {
  let until: string | undefined;
  if (q.date) until = /^\d{4}-\d{2}-\d{2}$/.test(q.date) ? `${q.date}T23:59:59.999Z` : new Date(q.date).toISOString();
  return {
    ...(q.sweep?.length ? { sweeps: q.sweep } : {}),
    ...(q.configKey ? { configKey: q.configKey } : {}),
    ...(q.model ? { model: q.model } : {}),
    ...(q.precision ? { precision: q.precision } : {}),
    ...(q.isl ? { isl: q.isl } : {}),
    ...(q.osl ? { osl: q.osl } : {}),
    ...(q.skus?.length ? { skus: q.skus } : {}),
    ...(q.frameworks?.length ? { frameworks: q.frameworks } : {}),
    ...(until ? { until } : {}),
    ...(q.emulated ? { emulated: q.emulated === "any" ? ("any" as const) : q.emulated === "true" } : {}),
    imported: q.imported === "true",
  };
}

const Axis = z.enum(AXIS_NAMES as [AxisName, ...AxisName[]]);

export function registerResultsAnalyticsRoutes(api: Api, c: ControllerContext): void {
  let catalog: RatesCatalog | undefined;
  const rates = () => {
    catalog ??= readSkuCatalog();
    return catalog;
  };

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/vllm-bench",
      role: "viewer",
      tag: "analytics",
      summary:
        "every point as a `vllm bench serve` result JSON (its keys, our row under `benchfleet`), with the file name to save it under",
      query: FilterObject.strict(),
    },
    async ({ query }) => ({
      items: loadRows(c.results, toFilter(query)).map((r) => ({ file: vllmFileName(r), result: vllmJsonForRow(r) })),
    }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/lab-agg",
      role: "viewer",
      tag: "analytics",
      summary:
        "successful points as the reference lab's aggregated rows (an agg_bmk.json array: per-GPU throughputs, latencies in seconds, interactivity, power)",
      query: FilterObject.strict(),
    },
    async ({ query }) =>
      loadRows(c.results, toFilter(query))
        .filter((r) => r.result.status === "ok")
        .map(labAggRowOf),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/points",
      role: "viewer",
      tag: "analytics",
      summary:
        "successful points for the results explorer: scenario and series fields, interactivity/E2E latency/TTFT, throughput per GPU, cost per M tokens, energy per token, engine metrics, job",
      query: FilterObject.strict(),
    },
    async ({ query }) => ({ points: analyzeRows(loadRows(c.results, toFilter(query)), rates()).map(explorerPointOf) }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/frontier",
      role: "viewer",
      tag: "analytics",
      summary:
        "Pareto frontier per group (model, precision, ISL/OSL, SKU, framework, spec, disagg) on any pair of axes, with the configuration behind each point",
      query: z.object({ ...Filters, x: Axis.default("interactivity"), y: Axis.default("tputPerGpu") }).strict(),
    },
    async ({ query }) => ({
      x: query.x,
      y: query.y,
      groups: frontierQuery(c.results, rates(), toFilter(query), { x: query.x, y: query.y }),
    }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/agentic-frontier",
      role: "viewer",
      tag: "analytics",
      summary:
        "agentic points (measured, and imported from the lab's agentic result files) as their own frontier per group (model, precision, SKU, framework, spec, KV offload): throughput per GPU against interactivity, with the prefix-cache hit rate and per-turn latencies of each point",
      query: z
        .object({
          sweep: csv.optional(),
          skus: csv.optional(),
          model: z.string().optional(),
          emulated: z.enum(["true", "false", "any"]).optional(),
        })
        .strict(),
    },
    async ({ query }) => ({
      x: "interactivity",
      y: "tputPerGpu",
      groups: agenticFrontierQuery(c.results, {
        ...(query.sweep?.length ? { sweeps: query.sweep } : {}),
        ...(query.skus?.length ? { skus: query.skus } : {}),
        ...(query.model ? { model: query.model } : {}),
        ...(query.emulated
          ? { emulated: query.emulated === "any" ? ("any" as const) : query.emulated === "true" }
          : {}),
      }),
    }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/at",
      role: "viewer",
      tag: "analytics",
      summary:
        "throughput per GPU and cost per million tokens at target interactivities (monotone cubic along each frontier, no extrapolation)",
      query: z.object({ ...Filters, interactivity: numList }).strict(),
    },
    async ({ query }) => ({
      interactivity: query.interactivity,
      groups: atQuery(c.results, rates(), toFilter(query), query.interactivity),
    }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/history",
      role: "viewer",
      tag: "analytics",
      summary: "frontier per sweep and image/engine version, oldest first",
      query: z.object({ ...Filters, interactivity: numList.optional() }).strict(),
    },
    async ({ query }) => ({ entries: historyQuery(c.results, rates(), toFilter(query), query.interactivity ?? []) }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/compare",
      role: "viewer",
      tag: "analytics",
      summary:
        "per-point and per-frontier deltas of sweep b against sweep a, with a regression flag beyond the tolerance",
      query: z
        .object({
          a: z.string().min(1),
          b: z.string().min(1),
          tolerance: z.coerce.number().min(0).max(0.99).default(0.05),
          ...Filters,
        })
        .strict(),
    },
    async ({ query }) => {
      const { a, b, tolerance, ...rest } = query;
      const f = toFilter({ ...rest, sweep: undefined } as FilterQuery);
      const out = compareQuery(c.results, rates(), a, b, tolerance, f);
      if (out.points.length === 0 && out.onlyInA === 0) throw notFound(`results of sweep ${a}`);
      if (out.points.length === 0 && out.onlyInB === 0) throw notFound(`results of sweep ${b}`);
      return out;
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/report",
      role: "viewer",
      tag: "analytics",
      summary: "self-contained HTML report of a sweep",
      produces: "text/html",
      query: z.object({ sweep: z.string().min(1), interactivity: numList.optional() }).strict(),
    },
    async ({ query, reply }) => {
      const input = reportInput(c.results, rates(), query.sweep, query.interactivity ?? [20, 35, 50, 100]);
      if (!input) throw notFound(`results of sweep ${query.sweep}`);
      input.missing = c.jobs
        .ofSweep(query.sweep)
        .filter((j) => (j.status === "failed" || j.status === "cancelled") && j.pointsTotal > j.pointsDone)
        .map((j) => ({
          what: `${j.configKey} (${j.jobId})`,
          status: `${j.status}${j.lastError ? `: ${j.lastError}` : ""}`,
          points: j.pointsTotal - j.pointsDone,
        }));
      reply.header("content-type", "text/html; charset=utf-8");
      return reply.send(renderReport(input));
    },
  );

  api.route(
    {
      method: "POST",
      url: "/api/v1/results/import",
      role: "operator",
      tag: "analytics",
      summary:
        "store imported result rows and agentic points (parsed by `benchfleet results import`); idempotent by row id",
      body: z
        .object({
          rows: z.array(ResultRow).max(10_000),
          /** agentic points: they have no ISL/OSL and join the agentic frontier */
          agentic: z.array(ImportedAgenticRow).max(10_000).optional(),
        })
        .strict(),
    },
    async ({ body }) => {
      for (const r of body.rows)
        if (r.provenance.kind !== "imported")
          throw new ApiError(400, "bad-request", `row ${r.id}: only rows with provenance "imported" can be imported`);
      const rows = insertImportedRows(c.results, body.rows);
      const agentic = insertImportedAgentic(c.results, body.agentic ?? []);
      return { inserted: rows.inserted + agentic.inserted, existing: rows.existing + agentic.existing };
    },
  );
}
