/**
 * Where an agentic point's trace comes from: a file by path (Mooncake-style JSONL) or the seeded
 * synthetic generator. Plain data, so that it crosses into worker threads and job specs as is.
 */
import { readFileSync } from "node:fs";
import { type AgenticTrace, parseMooncakeJsonl } from "./agentic-trace.js";
import { DEFAULT_SYNTHETIC_TRACE, type SyntheticTraceParams, syntheticTrace } from "./synthetic-trace.js";

export type TraceSource =
  | { file: string }
  | { synthetic: Pick<SyntheticTraceParams, "seed" | "trajectories"> & Partial<SyntheticTraceParams> };

/** Reads or generates the trace; a bad file throws a TraceError naming file:line. */
export function loadTrace(source: TraceSource): AgenticTrace {
  if ("file" in source) {
    let text: string;
    try {
      text = readFileSync(source.file, "utf8");
    } catch (err) {
      throw new Error(`cannot read trace ${source.file}: ${(err as Error).message}`);
    }
    return parseMooncakeJsonl(text, source.file);
  }
  return syntheticTrace({ ...DEFAULT_SYNTHETIC_TRACE, ...source.synthetic });
}
