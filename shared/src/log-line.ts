/**
 * A log line as the log store holds it and as every reader (CLI, dashboard, download) shows it.
 *
 * Stored: `<ISO time> <text>`, the time the agent read the line, the text tagged with its stream
 * (`[stderr] …`, `[agent] …`; stdout untagged). A log's source is its process (`agent`,
 * `prefill-0`) or, in an attempt that spans several nodes, `<node>/<process>`: each node's
 * processes have their own files, and are shown as `[node-a agent]`, `[node-b prefill-0]`.
 * Shown: `<ISO time> [<source label>] <text>`, the agent's own `[agent]` tag not repeated. Pure.
 */

/** a log source: `process` or `node/process`, each part a safe path segment */
export const LOG_SOURCE = /^(?:(?!\.+\/)[A-Za-z0-9._-]{1,200}\/)?(?!\.+$)[A-Za-z0-9._-]{1,64}$/;

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/** a node or process name as a path segment: anything outside `[A-Za-z0-9._-]` becomes `-` */
export function logSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
  return /^\.*$/.test(s) ? `_${s}` : s;
}

/** the source of a process's lines: its node's name in front when the attempt spans several nodes */
export function logSource(process: string, node?: string): string {
  return node === undefined ? process : `${logSegment(node)}/${process}`;
}

/** `node-a agent` for `node-a/agent`, the process alone otherwise */
export function logSourceLabel(source: string): string {
  return source.replace("/", " ");
}

/** the process of a source (`agent` of `node-a/agent`) */
function sourceProcess(source: string): string {
  const i = source.indexOf("/");
  return i < 0 ? source : source.slice(i + 1);
}

/** A line's text tagged with its stream (`[stderr] …`, `[agent] …`; stdout untagged). */
export function taggedLogText(stream: string | undefined, line: string): string {
  const tag = stream === "stderr" ? "[stderr] " : stream === "agent" ? "[agent] " : "";
  return `${tag}${line}`;
}

/** The line as stored: its time, then the text tagged with its stream. */
export function storedLogLine(at: string, stream: string | undefined, line: string): string {
  return `${at} ${taggedLogText(stream, line)}`;
}

/** A stored line's time and text (no time for a line stored without one). */
export function parseStoredLogLine(stored: string): { at?: string; text: string } {
  const m = STAMP.exec(stored);
  return m ? { at: m[1], text: stored.slice(m[0].length) } : { text: stored };
}

/** A stored line's text as shown after its source label: the process's own tag not repeated. */
export function logLineText(source: string, text: string): string {
  const own = `[${sourceProcess(source)}] `;
  return text.startsWith(own) ? text.slice(own.length) : text;
}

/** `<time> [<source label>] <text>`: one line of `logs`, `events --logs` and a log download. */
export function printedLogLine(source: string, stored: string): string {
  const { at, text } = parseStoredLogLine(stored);
  return printedLogText(source, at, text);
}

/** The same from a line's time and (stream-tagged) text apart, as the logs API gives them. */
export function printedLogText(source: string, at: string | undefined, text: string): string {
  return `${at ? `${at} ` : ""}[${logSourceLabel(source)}] ${logLineText(source, text)}`;
}
