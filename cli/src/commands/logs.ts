/**
 * `benchfleet logs <job> [-f]`: tail a job's logs; -f follows live; `--output FILE` downloads the
 * attempt's whole stored log (or only `--process`/`--match` lines) into FILE.
 */

import { CliError, type JobLogsTail, printedLogText, taggedLogText } from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, printJson, qs, withConn } from "../client.js";
import { printedLiveLogLine } from "../log-line.js";
import { followEvents } from "./events.js";

export function register(program: Command): void {
  withConn(
    program
      .command("logs <job>")
      .description("tail the logs of a job's latest (or chosen) attempt, or download them whole")
      .option("-f, --follow", "follow new lines live")
      .option("--attempt <id>", "this attempt instead of the latest")
      .option("--process <name>", "only this process (node/process in a multi-node attempt)")
      .option("-n, --tail <n>", "lines per process", "200")
      .option("-o, --output <file>", "write the whole stored log into this file (every line, all processes)")
      .option("--match <text>", "with --output: only lines containing this text (case-insensitive)")
      .option("--json", "JSON output"),
  ).action(async (job: string, o) => {
    const client = new ApiClient(o);
    if (o.match !== undefined && !o.output) throw new CliError("--match needs --output", 2);
    if (o.output) {
      if (o.follow || o.json) throw new CliError("--output cannot be combined with --follow or --json", 2);
      const bytes = await client.download(
        `/api/v1/jobs/${encodeURIComponent(job)}/logs/download${qs({ attempt: o.attempt, process: o.process, match: o.match })}`,
        o.output,
      );
      process.stderr.write(`wrote ${o.output} (${bytes.toLocaleString("en-US")} bytes)\n`);
      return;
    }
    const r = await client.get<JobLogsTail>(
      `/api/v1/jobs/${encodeURIComponent(job)}/logs${qs({ attempt: o.attempt, process: o.process, tail: o.tail })}`,
    );
    if (o.json && !o.follow) return printJson(r);
    for (const l of r.lines)
      process.stdout.write(o.json ? `${JSON.stringify(l)}\n` : `${printedLogText(l.process, l.at, l.line)}\n`);
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
        // the same line as the tail above and a later `logs <job>` print (stream tag and time included)
        (e.lines as string[]).forEach((raw, i) => {
          const at = (e.times as string[] | undefined)?.[i] ?? new Date().toISOString();
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ process: e.process, at, line: taggedLogText(e.stream, raw) })}\n`
              : `${printedLiveLogLine(e.process, e.stream, raw, at)}\n`,
          );
        });
      },
      { signal: ac.signal },
    );
  });
}
