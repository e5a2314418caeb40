/**
 * `lab-eval`: benchfleet's GSM8K eval in the place of the lab's lm-eval run (benchmark_lib.sh
 * `run_lm_eval`), for lab scripts run on the emulated fleet (lab-script/stand-in.ts). It evaluates
 * the live server at `--concurrency` and writes the scores as lm-eval writes them
 * (`<results-dir>/<model>/results_<time>.json`: `results.gsm8k["exact_match,strict-match"]`, its
 * stderr and the flexible-extract ones, `n-samples`, `date`, `total_evaluation_time_seconds`),
 * for the lab's `append_lm_eval_summary` to collect.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { runGsm8k } from "../eval/run-gsm8k.js";
import { positiveIntOption } from "./positive-int-option.js";

interface Flags {
  baseUrl: string;
  model: string;
  concurrency: number;
  resultsDir: string;
  limit?: number;
  emulated?: boolean;
}

/** the lm-eval results file for GSM8K scores (task `gsm8k`, the lab's utils/evals/gsm8k.yaml) */
export function lmEvalResultsJson(
  r: Awaited<ReturnType<typeof runGsm8k>>,
  model: string,
  concurrency: number,
): Record<string, unknown> {
  return {
    results: {
      gsm8k: {
        alias: "gsm8k",
        "exact_match,strict-match": r.strict.exactMatch,
        "exact_match_stderr,strict-match": r.strict.stderr,
        "exact_match,flexible-extract": r.flexible.exactMatch,
        "exact_match_stderr,flexible-extract": r.flexible.stderr,
      },
    },
    "n-samples": { gsm8k: { original: r.n, effective: r.n } },
    config: { model: "local-chat-completions", model_args: `model=${model},num_concurrent=${concurrency}` },
    date: Date.parse(r.startedAt) / 1000,
    total_evaluation_time_seconds: String(r.durationS),
  };
}

export function registerLabEval(program: Command): void {
  program
    .command("lab-eval")
    .description("run benchfleet's GSM8K eval and write the scores as lm-eval's results JSON")
    .requiredOption("--base-url <url>", "the engine's base URL")
    .requiredOption("--model <model>", "model name the engine serves")
    .requiredOption("--concurrency <n>", "requests in flight", positiveIntOption("--concurrency"))
    .requiredOption("--results-dir <dir>", "lm-eval's --output_path")
    .option("--limit <n>", "the first n problems", positiveIntOption("--limit"))
    .option("--emulated", "the server is the emulated engine")
    .action(async (f: Flags) => {
      const r = await runGsm8k({
        baseUrl: f.baseUrl,
        model: f.model,
        concurrency: f.concurrency,
        ...(f.limit !== undefined ? { limit: f.limit } : {}),
        emulated: f.emulated === true,
      });
      const dir = join(f.resultsDir, f.model.replace(/[^A-Za-z0-9._-]/g, "__"));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `results_${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
      writeFileSync(file, JSON.stringify(lmEvalResultsJson(r, f.model, f.concurrency), null, 2));
      console.log(
        `lab-eval: gsm8k ${r.strict.exactMatch.toFixed(3)} strict / ${r.flexible.exactMatch.toFixed(3)} flexible over ${r.n} → ${file}`,
      );
    });
}
