/** `benchfleet logs <job> [-f]`: tail a job's logs; -f follows live. */

import { storedLogLine } from "@benchfleet/controller";
import type { Command } from "commander";
import { ApiClient, printJson, qs, withConn } from "../client.js";
import { printedLiveLogLine, printedLogLine } from "../log-line.js";
import { followEvents } from "./events.js";

export function register(program: Command): void {
  withConn(
    program
      .command("logs <job>")
      .description("tail the logs of a job's latest (or chosen) attempt")
      .option("-f, --follow", "follow new lines live")
      .option("--attempt <id>", "this attempt instead of the latest")
      .option("--process <name>", "only this process")
      .option("-n, --tail <n>", "lines per process", "200")
      .option("--json", "JSON output"),
  ).action(async (job: string, o) => {
    const client = new ApiClient(o);
    const r = await client.get<{ attemptId: string | null; lines: Array<{ process: string; line: string }> }>(
      `/api/v1/jobs/${encodeURIComponent(job)}/logs${qs({ attempt: o.attempt, process: o.process, tail: o.tail })}`,
    );
    if (o.json && !o.follow) return printJson(r);
    for (const l of r.lines)
      process.stdout.write(o.json ? `${JSON.stringify(l)}\n` : `${printedLogLine(l.process, l.line)}\n`);
    if (!o.follow) return;
    const ac = new AbortController();
    process.once("SIGINT", () => ac.abort());
    await followEvents(
      client,
      [{ topic: "job-logs", id: job }],
      (f) => {
        if (f.type !== "event" || f.event.kind !== "log") return;
        const e = f.event;
        if (o.process && e.process !== o.process) return;
        // the same line as the tail above and a later `logs <job>` print (stream tag included)
        for (const raw of e.lines as string[]) {
          const line = storedLogLine(e.stream, raw);
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ process: e.process, line })}\n`
              : `${printedLiveLogLine(e.process, e.stream, raw)}\n`,
          );
        }
      },
      { signal: ac.signal },
    );
  });
}
