/**
 * How the CLI prints a log line (`logs`, `events --job --logs`): `<time> [source] line`, the same
 * for a line read back from the store (tail, snapshot), one that arrives live and one in a
 * download (shared/log-line.ts). Live lines come untagged with their stream: tagged as the store
 * tags them first. Pure.
 */
import { printedLogText, taggedLogText } from "@benchfleet/shared";

/** a line of a live `log` event: tagged as the store tags it, then printed as a stored line is */
export function printedLiveLogLine(source: string, stream: string | undefined, line: string, at: string): string {
  return printedLogText(source, at, taggedLogText(stream, line));
}
