/** /api/v1/results: query point and eval results; export JSON or CSV. */
import { PointRow, pageOf } from "@benchfleet/shared";
import { z } from "zod";
import type { ControllerContext } from "../context.js";
import type { ResultQuery } from "../results/results-db.js";
import type { Api } from "./route.js";

const Filters = {
  sweep: z.string().optional(),
  job: z.string().optional(),
  configKey: z.string().optional(),
  sku: z.string().optional(),
  fingerprint: z.string().optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
  /** default: real results only, unless a sweep or job is named (then whatever it holds, as the analytics routes) */
  emulated: z.enum(["true", "false", "any"]).optional(),
};

function toQuery(q: {
  sweep?: string;
  job?: string;
  configKey?: string;
  sku?: string;
  fingerprint?: string;
  since?: string;
  until?: string;
  emulated?: string;
}): ResultQuery {
  const emulated = q.emulated ?? (q.sweep || q.job ? "any" : "false");
  return {
    sweepId: q.sweep,
    jobId: q.job,
    configKey: q.configKey,
    sku: q.sku,
    fingerprint: q.fingerprint,
    since: q.since ? new Date(q.since).toISOString() : undefined,
    until: q.until ? new Date(q.until).toISOString() : undefined,
    emulated: emulated === "any" ? "any" : emulated === "true",
  };
}

export const CSV_COLUMNS: Array<keyof PointRow> = [
  "sweepId",
  "jobId",
  "attemptId",
  "configKey",
  "sku",
  "model",
  "framework",
  "precision",
  "image",
  "engineVersion",
  "concurrency",
  "isl",
  "osl",
  "status",
  "gpusTotal",
  "totalTokenThroughput",
  "outputThroughput",
  "tputPerGpu",
  "medianTtftMs",
  "medianTpotMs",
  "interactivity",
  "startedAt",
  "finishedAt",
  "receivedAt",
  "emulated",
  "fingerprint",
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: PointRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const r of rows) lines.push(CSV_COLUMNS.map((k) => csvCell(r[k])).join(","));
  return `${lines.join("\n")}\n`;
}

const PagedFilters = z
  .object({
    ...Filters,
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
  })
  .strict();

export function registerResultRoutes(api: Api, c: ControllerContext): void {
  api.route(
    {
      method: "GET",
      url: "/api/v1/results",
      role: "viewer",
      tag: "results",
      summary: "point results by sweep / job / config / SKU / date",
      query: PagedFilters,
      response: pageOf(PointRow),
    },
    async ({ query }) => {
      const q = toQuery(query);
      return {
        total: c.results.countPoints(q),
        offset: query.offset,
        limit: query.limit,
        items: c.results.queryPoints({ ...q, offset: query.offset, limit: query.limit }),
      };
    },
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/evals",
      role: "viewer",
      tag: "results",
      summary: "eval results",
      query: PagedFilters,
    },
    async ({ query }) => ({
      items: c.results.queryEvals({ ...toQuery(query), offset: query.offset, limit: query.limit }),
    }),
  );

  api.route(
    {
      method: "GET",
      url: "/api/v1/results/export",
      role: "viewer",
      tag: "results",
      summary: "export point results as JSON or CSV",
      produces: "text/csv",
      query: z.object({ ...Filters, format: z.enum(["json", "csv"]).default("json") }).strict(),
    },
    async ({ query, reply }) => {
      const rows: PointRow[] = [];
      for (let offset = 0; ; offset += 5000) {
        const page = c.results.queryPoints({ ...toQuery(query), offset, limit: 5000 });
        rows.push(...page);
        if (page.length < 5000) break;
      }
      const name = `benchfleet-results${query.sweep ? `-${query.sweep}` : ""}`;
      if (query.format === "csv") {
        reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="${name}.csv"`);
        return reply.send(toCsv(rows));
      }
      reply.header("content-disposition", `attachment; filename="${name}.json"`);
      return { count: rows.length, items: rows };
    },
  );
}
