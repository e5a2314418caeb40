/**
 * Where an agentic point's trace comes from: a file or directory by path, or the seeded synthetic
 * generator. Plain data, so that it crosses into worker threads and job specs as is.
 *
 * A path is read in the lab's format (Weka traces, as its AIPerf fork loads them: a directory of
 * per-conversation `.json` files, one `.json` trace, or JSONL with one trace object per line) or
 * as Mooncake-style JSONL (one request per line); a JSONL file's first line tells which.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type AgenticTrace, parseMooncakeJsonl, TraceError } from "./agentic-trace.js";
import { DEFAULT_SYNTHETIC_TRACE, type SyntheticTraceParams, syntheticTrace } from "./synthetic-trace.js";
import { looksLikeWekaTrace, parseWekaTraces, type WekaDoc } from "./weka-trace.js";

export type TraceSource =
  | { file: string }
  | { synthetic: Pick<SyntheticTraceParams, "seed" | "trajectories"> & Partial<SyntheticTraceParams> };

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read trace ${file}: ${(err as Error).message}`);
  }
}

/** the non-empty lines of JSONL text with their line numbers */
function jsonLines(text: string): WekaDoc[] {
  return text
    .split("\n")
    .map((t, i) => ({ text: t, line: i + 1 }))
    .filter((l) => l.text.trim() !== "");
}

function firstValue(text: string): unknown {
  const first = jsonLines(text)[0]?.text;
  try {
    return first === undefined ? undefined : JSON.parse(first);
  } catch {
    return undefined;
  }
}

/** Reads or generates the trace; a bad file throws a TraceError naming file:line. */
export function loadTrace(source: TraceSource): AgenticTrace {
  if (!("file" in source)) return syntheticTrace({ ...DEFAULT_SYNTHETIC_TRACE, ...source.synthetic });
  const path = source.file;
  let dir = false;
  try {
    dir = statSync(path).isDirectory();
  } catch (err) {
    throw new Error(`cannot read trace ${path}: ${(err as Error).message}`);
  }
  if (dir) {
    const files = readdirSync(path)
      .filter((f) => f.endsWith(".json"))
      .sort();
    if (!files.length) throw new TraceError(path, 1, "empty trace: no .json trace files in the directory");
    return parseWekaTraces(
      files.map((f) => ({ file: join(path, f), text: read(join(path, f)), line: 1 })),
      path,
    );
  }
  const text = read(path);
  if (path.endsWith(".json")) return parseWekaTraces([{ file: path, text, line: 1 }], path);
  if (looksLikeWekaTrace(firstValue(text)))
    return parseWekaTraces(
      jsonLines(text).map((l) => ({ file: path, ...l })),
      path,
    );
  return parseMooncakeJsonl(text, path);
}
