/**
 * The result files of a lab multi-node job, in the layouts the lab's submitters leave them (files
 * we write in the lab's formats), read back as points; and the job ids a script's output names.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLabJobResults } from "./job-results.js";
import { jobIdsInOutput } from "./slurm-run.js";

const labResult = (conc: number, completed = conc * 10) => ({
  date: "20261204-181500",
  backend: "vllm",
  model_id: "deepseek-ai/DeepSeek-V4-Pro",
  tokenizer_id: "deepseek-ai/DeepSeek-V4-Pro",
  num_prompts: conc * 10,
  request_rate: "inf",
  burstiness: 1.0,
  max_concurrency: conc,
  duration: 20.5,
  completed,
  total_input_tokens: 311296,
  total_output_tokens: 38912,
  request_throughput: 1.85,
  output_throughput: 100 * conc,
  total_token_throughput: 17083.2,
  mean_ttft_ms: 210.5,
  median_ttft_ms: 200.1,
  p99_ttft_ms: 410.2,
  mean_tpot_ms: 9.1,
  median_tpot_ms: 9.0,
  p99_tpot_ms: 12.3,
});

const STEM =
  "dsv4_8k1k_fp4_llmd-vllm_prefill-tp1-pp1-dcp1-pcp1-ep8-dptrue-nw1_conc256x512_gb200-benchfleet_login-1a2b3c4d";
const points = [256, 512].map((concurrency) => ({ concurrency, isl: 8192, osl: 1024 }));
const gpus = { total: 16, prefill: 8, decode: 8 };

describe("a lab job's result files as points", () => {
  let ws: string;
  let env: Record<string, string>;
  const write = (rel: string, json: unknown) => {
    mkdirSync(dirname(join(ws, rel)), { recursive: true });
    writeFileSync(join(ws, rel), typeof json === "string" ? json : JSON.stringify(json));
  };
  beforeEach(() => {
    ws = mkdtempSync(join(tmpdir(), "bf-job-results-"));
    env = {
      RESULT_FILENAME: STEM,
      BENCHMARK_LOGS_DIR: join(ws, "benchmark_logs"),
      FRAMEWORK: "atom-disagg",
      ISL: "8192",
      OSL: "1024",
    };
  });
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it("finds $RESULT_FILENAME*.json in the logs dir (llm-d) and the workspace (TileRT), by concurrency", () => {
    write(`benchmark_logs/${STEM}_conc256.json`, labResult(256));
    write(`${STEM}_c512_gpus_16_ctx_8_gen_8.json`, labResult(512, 5000));
    // the lab's eval artifacts and other runs' files are not results
    write(`benchmark_logs/eval_results/${STEM}_results.json`, { results: {} });
    write("benchmark_logs/other_conc256.json", labResult(256));
    const r = readLabJobResults(ws, env, points, gpus, true);
    expect(r.missing).toEqual([]);
    expect(r.results.map((p) => [p.point.concurrency, p.measuredBy, p.status, p.bench.completed])).toEqual([
      [256, "lab-script", "ok", 2560],
      [512, "lab-script", "ok", 5000],
    ]);
    expect(r.results[0]!.gpus).toEqual(gpus);
  });

  it("reads the AMD submitter's layout: the newest run's <framework>_isl_<isl>_osl_<osl> folder", () => {
    write("benchmark_logs/logs/old-run/atom-disagg_isl_8192_osl_1024/bench_c256.json", labResult(256, 1));
    write("benchmark_logs/logs/new-run/atom-disagg_isl_8192_osl_1024/bench_c256.json", labResult(256));
    write("benchmark_logs/logs/new-run/atom-disagg_isl_1024_osl_1024/bench_c512.json", labResult(512));
    const old = join(ws, "benchmark_logs/logs/old-run/atom-disagg_isl_8192_osl_1024");
    utimesSync(old, new Date(2026, 0, 1), new Date(2026, 0, 1));
    const r = readLabJobResults(ws, env, points, gpus, false);
    expect(r.results.map((p) => [p.point.concurrency, p.bench.completed])).toEqual([[256, 2560]]);
    expect(r.missing).toEqual([points[1]]);
  });

  it("names a file that is not a lab result, or is for a concurrency that is no point", () => {
    write(`benchmark_logs/${STEM}_conc256.json`, "{ not json");
    expect(() => readLabJobResults(ws, env, points, gpus, false)).toThrow(
      new RegExp(`^benchmark_logs/${STEM}_conc256\\.json: not JSON: `),
    );
    write(`benchmark_logs/${STEM}_conc256.json`, { results: [] });
    expect(() => readLabJobResults(ws, env, points, gpus, false)).toThrow(
      `benchmark_logs/${STEM}_conc256.json: not a lab benchmark result (no numeric "max_concurrency")`,
    );
    write(`benchmark_logs/${STEM}_conc256.json`, labResult(64));
    expect(() => readLabJobResults(ws, env, points, gpus, false)).toThrow(
      `benchmark_logs/${STEM}_conc256.json: a result for concurrency 64, which is not a point of the deployment (256, 512)`,
    );
  });
});

describe("the job ids a lab script prints", () => {
  it("takes lines that are only an id and sbatch's own line, once each", () => {
    expect(jobIdsInOutput(["+ cd /x", "Submitted batch job 4242", "4242", " 77 ", "conc 64 done", "12x34"])).toEqual([
      "4242",
      "77",
    ]);
  });
});
