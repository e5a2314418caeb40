/**
 * `lab-replay`: benchfleet's agentic trace replay in the place of the lab's AIPerf replay
 * (`build_replay_cmd` + `run_agentic_replay_and_write_outputs` of benchmark_lib.sh), for lab
 * agentic scripts run on the emulated fleet (lab-script/stand-in.ts). It replays the trace at
 * CONC trajectories for DURATION seconds on the chat endpoint, scrapes the engine's /metrics
 * meanwhile (the URLs of AIPERF_SERVER_METRICS_URLS where the script sets them), and writes the lab's aggregated agentic result JSON (lab-agentic-output.ts) to
 * `--result-file`, the run's identity taken from the script's environment as the lab's aggregator
 * takes it. Like the lab's validation it exits 1 when the failed turns are over the threshold
 * (AIPERF_FAILED_REQUEST_THRESHOLD, 0.10), after writing the file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "@benchfleet/shared";
import type { Command } from "commander";
import { EngineMetricsScraper } from "../engine-metrics/scraper.js";
import { labAgenticResultJson } from "../lab-script/lab-agentic-output.js";
import { runLoadPoint } from "../loadgen/run-load-point.js";
import { DEFAULT_AGENTIC_TRACE, workersFor } from "../workloads.js";
import { positiveIntOption } from "./positive-int-option.js";

interface Flags {
  baseUrl: string;
  model: string;
  concurrency: number;
  duration: number;
  resultFile: string;
  trace?: string;
  engineTiming?: boolean;
}

export function registerLabReplay(program: Command): void {
  program
    .command("lab-replay")
    .description("replay an agentic trace with benchfleet's load generator and write the lab's agentic result JSON")
    .requiredOption("--base-url <url>", "the engine's base URL")
    .requiredOption("--model <model>", "model name the engine serves")
    .requiredOption("--concurrency <n>", "trajectories in flight", positiveIntOption("--concurrency"))
    .requiredOption("--duration <s>", "measured seconds", positiveIntOption("--duration"))
    .requiredOption("--result-file <file>", "where the aggregated result JSON is written")
    .option("--trace <path>", "a trace file or directory (default: the seeded synthetic trace)")
    .option("--engine-timing", "latencies on the emulated engine's clock (emulated fleet)")
    // scripts append options of the lab's AIPerf to its command (`--apply-chat-template`): named, not applied
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (f: Flags, cmd: Command) => {
      if (cmd.args.length)
        console.log(`lab-replay: options of the lab's AIPerf not applied here: ${cmd.args.join(" ")}`);
      const threshold = Number(process.env.AIPERF_FAILED_REQUEST_THRESHOLD ?? "0.10");
      if (!(threshold >= 0 && threshold <= 1))
        throw new CliError(
          `AIPERF_FAILED_REQUEST_THRESHOLD must be in [0, 1], got "${process.env.AIPERF_FAILED_REQUEST_THRESHOLD}"`,
          2,
        );
      const base = f.baseUrl.replace(/\/+$/, "");
      // the engines' metrics: where the script names them for the lab's AIPerf (AIPERF_SERVER_METRICS_URLS, as
      // behind a router), else the endpoint's own
      const urls = (process.env.AIPERF_SERVER_METRICS_URLS ?? "").split(",").filter(Boolean);
      const scraper = new EngineMetricsScraper(
        (urls.length ? urls : [`${base}/metrics`]).map((url, i) => ({
          role: "worker",
          process: `lab-script-${i}`,
          url,
        })),
      );
      scraper.start();
      let r: Awaited<ReturnType<typeof runLoadPoint>>;
      try {
        r = await runLoadPoint({
          baseUrl: base,
          model: f.model,
          endpoint: "/v1/chat/completions",
          isl: 0,
          osl: 0,
          concurrency: f.concurrency,
          workers: workersFor(f.concurrency),
          maxFailureFraction: threshold,
          emulated: f.engineTiming === true,
          ...(f.engineTiming ? { timing: "engine" as const } : {}),
          agentic: { trace: f.trace ? { file: f.trace } : DEFAULT_AGENTIC_TRACE, durationS: f.duration },
        });
      } catch (e) {
        scraper.cancel();
        throw e;
      }
      const engineMetrics = await scraper.stop();
      const json = labAgenticResultJson({ ...r, engineMetrics }, process.env);
      mkdirSync(dirname(f.resultFile), { recursive: true });
      writeFileSync(f.resultFile, JSON.stringify(json, null, 2));
      const a = r.agentic!;
      console.log(
        `lab-replay: ${a.requests.completed} turns completed, ${a.requests.failed} failed, ${a.throughput.totalTokensPerS.toFixed(1)} tok/s → ${f.resultFile}`,
      );
      if (a.errorRatio > threshold)
        throw new CliError(`failed-request ratio ${a.errorRatio.toFixed(3)} exceeds ${threshold}`, 1);
    });
}
