/**
 * The lab's eval results, as its scripts leave them when RUN_EVAL=true (benchmark_lib.sh
 * `run_eval` runs lm-eval's GSM8K task `gsm8k`; `append_lm_eval_summary` moves its
 * `results_<time>.json` and a `meta_env.json` into the script's working directory; a batched eval
 * names each `results_<time>_conc<N>.json`; the multi-node jobs leave them in an `eval_results`
 * folder of the logs dir, where the lab's runner launchers find them). Each results file becomes
 * an EvalResult marked `measuredBy: lab-script`, judged against benchfleet's GSM8K threshold for
 * the model (the lab's `validate_scores.py` check: strict and flexible exact match both at least
 * it). Read files are moved into `lab-evals/` so the next run of the script does not find them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { EvalResult } from "@benchfleet/shared";
import { parseLmEvalResults } from "../eval/lm-eval-harness.js";
import { passes } from "../eval/thresholds.js";
import { PhaseError } from "../phase-error.js";

/** the lm-eval task of the lab's `utils/evals/gsm8k.yaml` */
const LAB_GSM8K_TASK = "gsm8k";
/** where read eval files are moved, in the workspace */
const DONE_DIR = "lab-evals";

const isResults = (name: string) => /^results.*\.json$/.test(name);

/** results files in the workspace's top level and in every `eval_results` folder under it */
export function labEvalFiles(workspace: string): string[] {
  const out: string[] = [];
  const top = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isFile() && isResults(e.name)) out.push(join(dir, e.name));
  };
  top(workspace);
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || [".git", "node_modules", DONE_DIR].includes(e.name)) continue;
      const sub = join(dir, e.name);
      if (e.name === "eval_results") top(sub);
      walk(sub, depth + 1);
    }
  };
  walk(workspace, 0);
  return out.sort();
}

/** the concurrency a results file is for: its `_conc<N>` suffix, its folder's meta_env.json `conc`, else `fallback` */
function concOf(file: string, fallback: number | undefined): number | undefined {
  const m = /_conc(\d+)(?:_\d+)?\.json$/.exec(basename(file));
  if (m) return Number(m[1]);
  const meta = join(dirname(file), "meta_env.json");
  if (existsSync(meta)) {
    try {
      const conc = (JSON.parse(readFileSync(meta, "utf8")) as { conc?: unknown }).conc;
      if (typeof conc === "number" && conc > 0) return conc;
    } catch {
      // a meta_env.json that is not JSON names no concurrency
    }
  }
  return fallback;
}

export interface LabEvalInput {
  workspace: string;
  /** the concurrency when the file names none (the run's CONC, or EVAL_CONC) */
  conc?: number;
  threshold: number;
  emulated: boolean;
}

/** reads every eval results file the lab's script left, and moves it (and its meta_env.json) aside */
export function readLabEvals(i: LabEvalInput): EvalResult[] {
  const out: EvalResult[] = [];
  for (const file of labEvalFiles(i.workspace)) {
    const where = relative(i.workspace, file);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new PhaseError(`${where}: not JSON: ${(e as Error).message}`, false);
    }
    let s: ReturnType<typeof parseLmEvalResults>;
    try {
      s = parseLmEvalResults(json, LAB_GSM8K_TASK);
    } catch (e) {
      throw new PhaseError(`${where}: ${(e as Error).message}`, false);
    }
    const conc = concOf(file, i.conc);
    // lm-eval's `date` is when it started; without it, the file's time is when it finished
    const durationS = Number(json.total_evaluation_time_seconds);
    const seconds = Number.isFinite(durationS) && durationS >= 0 ? durationS : 0;
    const finished = typeof json.date === "number" ? json.date * 1000 + seconds * 1000 : statSync(file).mtimeMs;
    out.push({
      task: "gsm8k",
      harness: "lm-eval",
      n: s.n,
      strict: s.strict,
      flexible: s.flexible,
      failedRequests: 0,
      threshold: i.threshold,
      passed: passes(s.strict.exactMatch, s.flexible.exactMatch, i.threshold),
      ...(conc !== undefined ? { concurrency: conc } : {}),
      durationS: seconds,
      startedAt: new Date(finished - seconds * 1000).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      emulated: i.emulated,
      measuredBy: "lab-script",
    });
    const done = join(i.workspace, DONE_DIR, String(out.length), dirname(where));
    mkdirSync(done, { recursive: true });
    renameSync(file, join(done, basename(file)));
    const meta = join(dirname(file), "meta_env.json");
    if (existsSync(meta)) renameSync(meta, join(done, "meta_env.json"));
  }
  return out;
}
