/**
 * The lab's eval files (lm-eval results JSON, in the layouts its scripts and jobs leave them; files
 * we write in those formats) read back as eval results, judged against the threshold, and moved
 * aside so the next run does not read them again; bad files are named.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLabEvals } from "./lab-evals.js";

const lmEval = (strict: number, flexible: number, n = 1319) => ({
  results: {
    gsm8k: {
      alias: "gsm8k",
      "exact_match,strict-match": strict,
      "exact_match_stderr,strict-match": 0.007,
      "exact_match,flexible-extract": flexible,
      "exact_match_stderr,flexible-extract": 0.006,
    },
  },
  "n-samples": { gsm8k: { original: 1319, effective: n } },
  date: 1796418000.5,
  total_evaluation_time_seconds: "120.25",
});

describe("the lab's eval files as eval results", () => {
  let ws: string;
  const write = (rel: string, json: unknown) => {
    mkdirSync(dirname(join(ws, rel)), { recursive: true });
    writeFileSync(join(ws, rel), typeof json === "string" ? json : JSON.stringify(json));
  };
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), "bf-lab-evals-"));
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it("reads append_lm_eval_summary's files in the working dir: scores, n, times, the run's concurrency", () => {
    write("results_2026-12-04T21-00-00.json", lmEval(0.95, 0.96));
    write("meta_env.json", { conc: 64, framework: "sglang" });
    write("samples_gsm8k_2026-12-04T21-00-00.jsonl", "{}\n");
    const [r, ...rest] = readLabEvals({ workspace: ws, conc: 8, threshold: 0.9, emulated: false });
    expect(rest).toEqual([]);
    expect(r).toEqual({
      task: "gsm8k",
      harness: "lm-eval",
      n: 1319,
      strict: { exactMatch: 0.95, stderr: 0.007 },
      flexible: { exactMatch: 0.96, stderr: 0.006 },
      failedRequests: 0,
      threshold: 0.9,
      passed: true,
      concurrency: 64,
      durationS: 120.25,
      startedAt: new Date(1796418000500).toISOString(),
      finishedAt: new Date(1796418000500 + 120250).toISOString(),
      emulated: false,
      measuredBy: "lab-script",
    });
    // read once: moved aside with its meta_env.json
    expect(readdirSync(ws).filter((f) => f.endsWith(".json"))).toEqual([]);
    expect(readLabEvals({ workspace: ws, conc: 8, threshold: 0.9, emulated: false })).toEqual([]);
  });

  it("reads a batched eval's _conc<N> files and a job's eval_results folder; judges each", () => {
    write("benchmark_logs/eval_results/results_a_conc16.json", lmEval(0.95, 0.95, 20));
    write("benchmark_logs/eval_results/results_a_conc64.json", lmEval(0.5, 0.95, 20));
    const r = readLabEvals({ workspace: ws, threshold: 0.9, emulated: true });
    expect(r.map((e) => [e.concurrency, e.passed, e.n, e.emulated])).toEqual([
      [16, true, 20, true],
      [64, false, 20, true],
    ]);
    expect(existsSync(join(ws, "benchmark_logs/eval_results/results_a_conc16.json"))).toBe(false);
  });

  it("names a results file that is not JSON or has no gsm8k task", () => {
    write("results_x.json", "{ nope");
    expect(() => readLabEvals({ workspace: ws, threshold: 0.9, emulated: false })).toThrow(
      /^results_x\.json: not JSON: /,
    );
    write("results_x.json", { results: { gpqa_diamond_cot_n_shot: {} } });
    expect(() => readLabEvals({ workspace: ws, threshold: 0.9, emulated: false })).toThrow(
      "results_x.json: lm-eval results have no task gsm8k (tasks: gpqa_diamond_cot_n_shot)",
    );
  });
});
