/**
 * `GET /api/v1/jobs/:id/logs`: the stored tail of an attempt's logs, each line's time apart from its
 * text, or a byte range of one process's current log file.
 */
import { z } from "zod";

/** one stored line: its source, the time the agent read it (absent for a line stored without one), its text */
export const JobLogLine = z
  .object({
    process: z.string(),
    at: z.string().datetime().optional(),
    /** the text, tagged with its stream (`[stderr] …`, `[agent] …`; stdout untagged) */
    line: z.string(),
  })
  .strict();
export type JobLogLine = z.infer<typeof JobLogLine>;

export const JobLogsTail = z
  .object({
    jobId: z.string(),
    attemptId: z.string().nullable(),
    processes: z.array(z.string()),
    /** the last lines of each process, process by process */
    lines: z.array(JobLogLine),
    /** processes with lines stored before their tail (the download has every line) */
    older: z.array(z.string()),
  })
  .strict();
export type JobLogsTail = z.infer<typeof JobLogsTail>;

export const JobLogsRange = z
  .object({
    jobId: z.string(),
    attemptId: z.string(),
    process: z.string(),
    offset: z.number().int(),
    /** the bytes read, as stored (`<ISO time> <text>` lines) */
    text: z.string(),
    /** the size of the process's current log file */
    size: z.number().int(),
  })
  .strict();

export const JobLogs = z.union([JobLogsTail, JobLogsRange]);
