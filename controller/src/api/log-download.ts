/**
 * `GET /api/v1/jobs/:id/logs/download`: an attempt's stored log, whole, as one text file streamed
 * from the log files (every rotated file kept, every source merged by line time), each line as the
 * CLI prints it (`<time> [<source>] <text>`). Narrowed only when asked: `process` (repeatable or
 * comma-separated) and `match` (case-insensitive text).
 */
import { Readable } from "node:stream";
import { LOG_SOURCE, printedLogLine } from "@benchfleet/shared";
import { z } from "zod";
import type { ControllerContext } from "../context.js";
import { csv, IdParam } from "./common.js";
import { type Api, ApiError } from "./route.js";

export function registerLogDownloadRoute(api: Api, c: ControllerContext): void {
  api.route(
    {
      method: "GET",
      url: "/api/v1/jobs/:id/logs/download",
      role: "viewer",
      tag: "logs",
      summary: "an attempt's whole stored log as text (optionally only some processes or matching lines)",
      produces: "text/plain",
      params: IdParam,
      query: z
        .object({
          attempt: z.string().optional(),
          process: csv.pipe(z.array(z.string().regex(LOG_SOURCE, "a process, or node/process"))).optional(),
          match: z.string().max(1000).optional(),
        })
        .strict(),
    },
    async ({ params, query, reply }) => {
      const j = c.jobs.get(params.id);
      if (!j) throw new ApiError(404, "not-found", `job ${params.id} not found`);
      const attempts = c.attempts.ofJob(j.jobId);
      const attemptId = query.attempt ?? j.currentAttemptId ?? attempts.at(-1)?.attemptId;
      if (!attemptId) throw new ApiError(404, "not-found", `job ${j.jobId} has no attempt, so no log`);
      if (!attempts.some((a) => a.attemptId === attemptId))
        throw new ApiError(404, "not-found", `attempt ${attemptId} of job ${j.jobId} not found`);
      const known = c.logs.processes(j.jobId, attemptId);
      const unknown = (query.process ?? []).filter((p) => !known.includes(p));
      if (unknown.length > 0)
        throw new ApiError(
          404,
          "not-found",
          `attempt ${attemptId} has no log of ${unknown.join(", ")} (it has: ${known.join(", ") || "none"})`,
        );
      const needle = query.match?.toLowerCase();
      const lines = c.logs.whole(j.jobId, attemptId, query.process);
      async function* text(): AsyncGenerator<string> {
        for await (const l of lines) {
          const printed = printedLogLine(l.process, l.line);
          if (!needle || printed.toLowerCase().includes(needle)) yield `${printed}\n`;
        }
      }
      reply
        .header("content-type", "text/plain; charset=utf-8")
        .header("content-disposition", `attachment; filename="${attemptId}.log"`);
      return reply.send(Readable.from(text()));
    },
  );
}
