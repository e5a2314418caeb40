/**
 * The plan's multi-node lab-script process for one attempt: its RUNNER_NAME (and so its
 * RESULT_FILENAME) carries a short id of the attempt, so that two attempts on one login node never
 * find each other's allocation by name (TileRT's `squeue --name=$RUNNER_NAME`) or result files.
 */
import { createHash } from "node:crypto";
import { type Deployment, labMultiNodeScriptEnv, type ProcessSpec } from "@benchfleet/shared";

export function labJobSpec(base: ProcessSpec, d: Deployment, attemptId: string): ProcessSpec {
  const tag = createHash("sha256").update(attemptId).digest("hex").slice(0, 8);
  const runnerName = `${base.env.RUNNER_NAME ?? `${d.sku}-benchfleet`}-${tag}`;
  const env = labMultiNodeScriptEnv(d, {
    runnerName,
    ...(base.env.RUN_EVAL === "true" && base.env.EVAL_CONC ? { evalConcs: [Number(base.env.EVAL_CONC)] } : {}),
  });
  return { ...base, env: { ...base.env, RUNNER_NAME: env.RUNNER_NAME!, RESULT_FILENAME: env.RESULT_FILENAME! } };
}
