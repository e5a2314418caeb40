/**
 * How the CLI prints a log line (`logs`, `events --job --logs`): `[process] line`, the same for a
 * line read back from the store (tail, snapshot) and one that arrives live. Live lines come
 * untagged with their stream, so they are tagged the way the store writes them first; a line that
 * already starts with its process's tag (the agent's own lines, stored as `[agent] …` in
 * `agent.log`) is not tagged twice. Pure.
 */
import { storedLogLine } from "@benchfleet/controller";

/** a line as the store returned it (tail API, job-logs snapshot) */
export function printedLogLine(process: string, stored: string): string {
  const tag = `[${process}] `;
  return stored.startsWith(tag) ? stored : `${tag}${stored}`;
}

/** a line of a live `log` event: the store's stream tag, then the process tag */
export function printedLiveLogLine(process: string, stream: string | undefined, line: string): string {
  return printedLogLine(process, storedLogLine(stream, line));
}
