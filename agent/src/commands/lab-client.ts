/**
 * `lab-client`: benchfleet's load generator in the place of the lab's benchmark client
 * (`utils/bench_serving/benchmark_serving.py`), for lab scripts run on the emulated fleet
 * (lab-script/stand-in.ts). It measures one point and writes the client's `--save-result` JSON to
 * `--result-file`; like the lab's client it exits 1 when more than 5 % of the requests failed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "@benchfleet/shared";
import type { Command } from "commander";
import { runLoadPoint } from "../loadgen/run-load-point.js";
import { workersFor } from "../workloads.js";
import { positiveIntOption } from "./positive-int-option.js";

interface Flags {
  baseUrl: string;
  model: string;
  isl: number;
  osl: number;
  randomRangeRatio: string;
  numPrompts: number;
  maxConcurrency: number;
  resultFile: string;
  engineTiming?: boolean;
}

export function registerLabClient(program: Command): void {
  program
    .command("lab-client")
    .description("measure one point with benchfleet's load generator and write the lab client's result JSON")
    .requiredOption("--base-url <url>", "the engine's base URL")
    .requiredOption("--model <model>", "model name the engine serves")
    .requiredOption("--isl <n>", "input tokens", positiveIntOption("--isl"))
    .requiredOption("--osl <n>", "output tokens", positiveIntOption("--osl"))
    .option("--random-range-ratio <r>", "lengths drawn from [r*len, len] (the lab's)", "0.8")
    .requiredOption("--num-prompts <n>", "measured requests", positiveIntOption("--num-prompts"))
    .requiredOption("--max-concurrency <n>", "requests in flight", positiveIntOption("--max-concurrency"))
    .requiredOption("--result-file <file>", "where the result JSON is written")
    .option("--engine-timing", "latencies on the emulated engine's clock (emulated fleet)")
    .action(async (f: Flags) => {
      const ratio = Number(f.randomRangeRatio);
      if (!(ratio >= 0 && ratio <= 1))
        throw new CliError(`--random-range-ratio must be in [0, 1], got "${f.randomRangeRatio}"`, 2);
      const r = await runLoadPoint({
        baseUrl: f.baseUrl,
        model: f.model,
        endpoint: "/v1/completions",
        isl: f.isl,
        osl: f.osl,
        rangeRatio: ratio,
        concurrency: f.maxConcurrency,
        numPrompts: f.numPrompts,
        workers: workersFor(f.maxConcurrency),
        emulated: f.engineTiming === true,
        ...(f.engineTiming ? { timing: "engine" as const } : {}),
      });
      mkdirSync(dirname(f.resultFile), { recursive: true });
      writeFileSync(f.resultFile, JSON.stringify({ ...r.bench, best_of: 1 }));
      console.log(
        `lab-client: ${r.bench.completed} of ${r.bench.num_prompts} completed, ${r.bench.output_throughput.toFixed(1)} output tok/s → ${f.resultFile}`,
      );
      if (r.bench.failed > 0.05 * r.bench.num_prompts)
        throw new CliError(`request failure rate ${r.bench.failed}/${r.bench.num_prompts} exceeds 5%`, 1);
    });
}
