/**
 * One point of a script-mode attempt: the plan's lab-script process with that point's CONC and
 * RESULT_FILENAME, and the result JSON the script leaves in the workspace read back as the point.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Deployment,
  type LoadPoint,
  labScriptEnv,
  type PointResult,
  type ProcessSpec,
  pointFromLabAgenticResult,
  pointFromLabResult,
} from "@benchfleet/shared";
import { PhaseError } from "../phase-error.js";

/**
 * The plan's script process for one point: its own name, the point's CONC and RESULT_FILENAME, and
 * RUN_EVAL=true when the run evaluates too (`runEval`).
 */
export function labScriptPointSpec(base: ProcessSpec, d: Deployment, point: LoadPoint, runEval = false): ProcessSpec {
  const env = labScriptEnv(d, point.concurrency, {
    runEval,
    runnerName: base.env.RUNNER_NAME ?? "benchfleet",
    port: Number(base.env.PORT),
    ...(base.env.HF_HUB_CACHE ? { hfHubCache: base.env.HF_HUB_CACHE } : {}),
  });
  return { ...base, name: `${base.name}-c${point.concurrency}`, env: { ...base.env, ...env } };
}

/**
 * the result JSON the script wrote (`$RESULT_FILENAME.json` in the workspace, where the lab's
 * workflow looks): the lab client's, or for an agentic run (IS_AGENTIC=1) the lab's aggregated
 * agentic result, per-turn latencies and the engine's cache hit rates as it carries them
 */
export function readLabResult(
  workspace: string,
  spec: ProcessSpec,
  point: LoadPoint,
  gpus: PointResult["gpus"],
  emulated: boolean,
  startedAt = new Date().toISOString(),
): PointResult {
  const name = `${spec.env.RESULT_FILENAME}.json`;
  const file = join(workspace, name);
  if (!existsSync(file))
    throw new PhaseError(`lab script ${spec.argv[1]} wrote no ${name} at concurrency ${point.concurrency}`, true);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PhaseError(`${name}: not JSON: ${(e as Error).message}`, false);
  }
  try {
    if (spec.env.IS_AGENTIC === "1") return pointFromLabAgenticResult(json, name, point, gpus, emulated, startedAt);
    return pointFromLabResult(json, name, point, gpus, emulated);
  } catch (e) {
    throw new PhaseError((e as Error).message, false);
  }
}
