/** The executor's load and eval runners, backed by the load generator and (when present) the eval module. */
import { availableParallelism } from "node:os";
import type { EvalRunner, PointRunner } from "./executor.js";
import { runLoadPoint } from "./loadgen/run-load-point.js";

/** one worker thread per 256 streams, as far as the node has cores to spare (one event loop stays enough below that) */
export function workersFor(concurrency: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, Math.floor(concurrency / 256), concurrency));
}

export const loadgenPointRunner: PointRunner = (o) =>
  runLoadPoint({
    baseUrl: o.baseUrl,
    model: o.model,
    endpoint: o.api === "chat" ? "/v1/chat/completions" : "/v1/completions",
    isl: o.point.isl,
    osl: o.point.osl,
    concurrency: o.point.concurrency,
    workers: workersFor(o.point.concurrency),
    numPrompts: o.numPrompts,
    gpus: o.gpus,
    emulated: o.emulated,
    timing: o.timing,
    signal: o.signal,
  });

/** the GSM8K runner, loaded lazily so the agent starts where the eval module is absent */
export async function loadEvalRunner(): Promise<EvalRunner | undefined> {
  try {
    const spec = "./eval/index.js";
    const mod = (await import(/* @vite-ignore */ spec)) as {
      runGsm8k?: (o: Record<string, unknown>) => ReturnType<EvalRunner>;
    };
    const run = mod.runGsm8k;
    if (!run) return undefined;
    return (o) =>
      run({
        baseUrl: o.baseUrl,
        model: o.model,
        modelPrefix: o.modelPrefix,
        api: o.api,
        limit: o.limit,
        emulated: o.emulated,
        signal: o.signal,
      });
  } catch {
    return undefined;
  }
}
