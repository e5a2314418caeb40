/**
 * How the CLI prints a log line (`logs`, `events --job --logs`): `<time> [source] line`, the same
 * for a line read back from the store (tail, snapshot), one that arrives live and one in a
 * download (shared/log-line.ts). Live lines come untagged with their stream and time, so they are
 * stored-formatted first. Pure.
 */
import { printedLogLine, storedLogLine } from "@benchfleet/shared";

/** a line of a live `log` event: formatted as the store writes it, then as a stored line is printed */
export function printedLiveLogLine(source: string, stream: string | undefined, line: string, at: string): string {
  return printedLogLine(source, storedLogLine(at, stream, line));
}
