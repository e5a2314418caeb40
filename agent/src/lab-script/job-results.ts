/**
 * The result files a lab multi-node job leaves, found as the lab's runner launchers find them,
 * and read back as points (one JSON per concurrency of `CONC_LIST`):
 * - `$RESULT_FILENAME*.json` anywhere in the workspace (llm-d writes them into
 *   `$BENCHMARK_LOGS_DIR`, TileRT into the workspace itself; `launch_gb200-nv.sh` finds them so);
 * - every file of `$BENCHMARK_LOGS_DIR/logs/<run>/<FRAMEWORK>_isl_<ISL>_osl_<OSL>/` of the newest
 *   run (the AMD submitter's layout; `launch_mi355x-amds.sh` copies them so).
 * Files under an `eval_results` folder are the lab's eval artifacts, not throughput results.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type LoadPoint, type PointResult, pointFromLabResult } from "@benchfleet/shared";
import { PhaseError } from "../phase-error.js";

/** folders of the workspace that hold no results (the checkout's history, the agent's stand-ins) */
const SKIP_DIRS = new Set([".git", "node_modules", ".benchfleet-bin", "eval_results"]);

function walk(dir: string, visit: (file: string) => void, depth = 0): void {
  if (depth > 12) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name), visit, depth + 1);
    } else if (e.isFile()) visit(join(dir, e.name));
  }
}

/** the AMD submitter's result folder of the newest run, if any */
function amdResultDir(env: Record<string, string>): string | undefined {
  const logs = env.BENCHMARK_LOGS_DIR ? join(env.BENCHMARK_LOGS_DIR, "logs") : undefined;
  if (!logs || !existsSync(logs)) return undefined;
  const sub = `${env.FRAMEWORK}_isl_${env.ISL}_osl_${env.OSL}`;
  const dirs = readdirSync(logs)
    .map((run) => join(logs, run, sub))
    .filter((d) => existsSync(d) && statSync(d).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0];
}

/** the job's result files: path → where to name it in errors (relative to the workspace) */
export function labJobResultFiles(workspace: string, env: Record<string, string>): string[] {
  const stem = env.RESULT_FILENAME;
  if (!stem) throw new PhaseError("script mode: the lab script's environment has no RESULT_FILENAME", false);
  const files = new Set<string>();
  walk(workspace, (f) => {
    const name = f.slice(f.lastIndexOf("/") + 1);
    if (name.startsWith(stem) && name.endsWith(".json")) files.add(f);
  });
  const amd = amdResultDir(env);
  if (amd) for (const name of readdirSync(amd)) if (name.endsWith(".json")) files.add(join(amd, name));
  return [...files].sort();
}

export interface LabJobResults {
  results: PointResult[];
  /** points no result file is for */
  missing: LoadPoint[];
}

/**
 * Each point's result from the job's files, by the concurrency each file records
 * (`max_concurrency`); the newest file wins where two are for one concurrency. A file that is
 * not a lab benchmark result, or is for a concurrency that is not a point, is an error naming it.
 */
export function readLabJobResults(
  workspace: string,
  env: Record<string, string>,
  points: readonly LoadPoint[],
  gpus: PointResult["gpus"],
  emulated: boolean,
): LabJobResults {
  const byConc = new Map<number, { file: string; mtime: number; json: Record<string, unknown> }>();
  for (const file of labJobResultFiles(workspace, env)) {
    const where = relative(workspace, file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new PhaseError(`${where}: not JSON: ${(e as Error).message}`, false);
    }
    const conc = (json as { max_concurrency?: unknown } | null)?.max_concurrency;
    if (typeof conc !== "number")
      throw new PhaseError(`${where}: not a lab benchmark result (no numeric "max_concurrency")`, false);
    if (!points.some((p) => p.concurrency === conc))
      throw new PhaseError(
        `${where}: a result for concurrency ${conc}, which is not a point of the deployment (${points.map((p) => p.concurrency).join(", ")})`,
        false,
      );
    const mtime = statSync(file).mtimeMs;
    const had = byConc.get(conc);
    if (!had || mtime > had.mtime) byConc.set(conc, { file: where, mtime, json: json as Record<string, unknown> });
  }
  const results: PointResult[] = [];
  const missing: LoadPoint[] = [];
  for (const point of points) {
    const found = byConc.get(point.concurrency);
    if (!found) {
      missing.push(point);
      continue;
    }
    try {
      results.push(pointFromLabResult(found.json, found.file, point, gpus, emulated));
    } catch (e) {
      throw new PhaseError((e as Error).message, false);
    }
  }
  return { results, missing };
}
