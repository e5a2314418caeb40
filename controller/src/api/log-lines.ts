/** Stored log lines as the API gives them: the time apart from the text. */
import { type JobLogLine, parseStoredLogLine } from "@benchfleet/shared";
import type { LogLine } from "../infra/log-store.js";

export function apiLogLines(lines: readonly LogLine[]): JobLogLine[] {
  return lines.map((l) => {
    const { at, text } = parseStoredLogLine(l.line);
    return at ? { process: l.process, at, line: text } : { process: l.process, line: text };
  });
}
