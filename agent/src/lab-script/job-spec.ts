/**
 * The plan's multi-node lab-script process for one attempt: its RUNNER_NAME (and so its
 * RESULT_FILENAME) carries a short id of the attempt, so that two attempts on one login node never
 * find each other's allocation by name (TileRT's `squeue --name=$RUNNER_NAME`) or result files;
 * RUN_EVAL and EVAL_CONC as the attempt evaluates or not.
 */
import { createHash } from "node:crypto";
import { type Deployment, labEvalConcs, labMultiNodeScriptEnv, type ProcessSpec } from "@benchfleet/shared";

/** `runEval`: this attempt evaluates (the assignment's), at the deployment's eval concurrencies */
export function labJobSpec(base: ProcessSpec, d: Deployment, attemptId: string, runEval: boolean): ProcessSpec {
  const tag = createHash("sha256").update(attemptId).digest("hex").slice(0, 8);
  const runnerName = `${base.env.RUNNER_NAME ?? `${d.sku}-benchfleet`}-${tag}`;
  const env = labMultiNodeScriptEnv(d, { runnerName, evalConcs: runEval ? labEvalConcs(d) : [] });
  const { RUNNER_NAME, RESULT_FILENAME, RUN_EVAL, EVAL_CONC } = env;
  return { ...base, env: { ...base.env, RUNNER_NAME, RESULT_FILENAME, RUN_EVAL, EVAL_CONC } as Record<string, string> };
}
