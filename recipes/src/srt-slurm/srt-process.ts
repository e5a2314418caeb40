/**
 * What every backend's workers share when launched from an srt-slurm recipe (pure): the process
 * record, the recipe's mounts, and the worker context srtctl's worker stage builds once per job
 * (cli/mixins/worker_stage.py): infra addresses, the dynamo install preamble, the worker node order
 * that `{node_id}` counts in, and the served model name.
 */
import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
import type { RecipeContext } from "../context.js";
import type { SrtRecipe } from "./srt-recipe.js";

export type Mode = "prefill" | "decode" | "agg";

export interface SrtWorkerContext {
  ctx: RecipeContext;
  head: string;
  /** ETCD_ENDPOINTS, NATS_SERVER and the dynamo planes every worker gets */
  etcd: string;
  nats: string;
  /** wraps a command in the dynamo install preamble when the recipe installs dynamo */
  wrap: (argv: string[]) => string[];
  mounts: ProcessSpec["mounts"];
  served: string;
  /** node ranks holding workers, in order: `{node_id}` is an index into it */
  workerNodes: number[];
  agg: boolean;
  /** srtctl's runtime environment: the dynamo wheel variables, then the recipe's `environment` */
  runtimeEnv: Record<string, string>;
}

export function proc(
  name: string,
  role: ProcessSpec["role"],
  image: string,
  argv: string[],
  env: Record<string, string>,
  mounts: ProcessSpec["mounts"],
  gpus: number[],
  ports: Record<string, number>,
  stage: number,
): ProcessSpec {
  const sorted = Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { name, role, image, argv, env: sorted, mounts, files: [], gpus, ports, health: [], stage, ownSession: false };
}

export function recipeMounts(r: SrtRecipe): ProcessSpec["mounts"] {
  const out: ProcessSpec["mounts"] = [];
  for (const [host, container] of Object.entries(r.container_mounts ?? {})) out.push({ host, container });
  for (const m of r.extra_mount ?? []) {
    const [host, container, mode] = m.split(":");
    if (!host || !container) throw new RecipeError(`extra_mount ${m}: expected HOST:CONTAINER[:ro]`);
    out.push({ host, container, ...(mode === "ro" ? { readOnly: true } : {}) });
  }
  return out;
}

/** srtctl's default model name: the last component of the model path (runtime.model_path.name) */
export function modelPathName(model: string): string {
  return model.replace(/\/+$/, "").split("/").pop() || model;
}
