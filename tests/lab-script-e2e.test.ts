/**
 * Script mode end to end: the real controller plans a posted config with a lab checkout
 * (BENCHFLEET_LAB_DIR's setting) and stores the row's lab script with its deployment; a real agent
 * process (emulated H100, `--lab` the same checkout) runs the script itself under bash once per
 * point — its `vllm serve` is the emulated engine, its `run_benchmark_serving` benchfleet's load
 * generator writing the lab client's result JSON — and each JSON is stored as the point, marked
 * as measured by the lab's client. The row evaluates: the run at its highest concurrency has
 * RUN_EVAL=true, its `run_eval` (benchfleet's GSM8K behind the stand-in) leaves lm-eval's results
 * file, stored as the deployment's eval, marked as the lab's. The checkout is one we write in the
 * lab's layout and format.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PointResult } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { randomLoopback } from "./helpers/loopback.js";

const CONFIG = `llama3-8b-fp8-h100-vllm:
  image: vllm/vllm-openai:v0.26.0
  model: meta-llama/Llama-3.1-8B-Instruct
  model-prefix: llama3-8b
  runner: h100
  precision: fp8
  framework: vllm
  multinode: false
  benchfleet: { script: true, eval: true, eval-limit: 20 }
  scenarios:
    fixed-seq-len:
      - isl: 128
        osl: 32
        search-space:
          - { tp: 1, conc-list: [2, 4] }
`;

// the lab's single-node script format (benchmarks/single_node/fixed_seq_len/<key>.sh)
const SCRIPT = `#!/usr/bin/env bash

source "$(dirname "$0")/../../benchmark_lib.sh"

check_env_vars \\
    MODEL \\
    TP \\
    CONC \\
    ISL \\
    OSL \\
    MAX_MODEL_LEN \\
    RANDOM_RANGE_RATIO \\
    RESULT_FILENAME

if [[ "$MODEL" != /* ]]; then hf download "$MODEL"; fi
SERVER_LOG=/workspace/server.log

start_gpu_monitor

set -x
vllm serve $MODEL --host 0.0.0.0 --port $PORT \\
  --tensor-parallel-size=$TP --max-model-len $MAX_MODEL_LEN --max-num-seqs $CONC > $SERVER_LOG 2>&1 &

SERVER_PID=$!

wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID"

run_benchmark_serving \\
    --model "$MODEL" \\
    --port "$PORT" \\
    --backend vllm \\
    --input-len "$ISL" \\
    --output-len "$OSL" \\
    --random-range-ratio "$RANDOM_RANGE_RATIO" \\
    --num-prompts $(( $CONC * 10 )) \\
    --max-concurrency "$CONC" \\
    --result-filename "$RESULT_FILENAME" \\
    --result-dir /workspace/

# After throughput, run evaluation only if RUN_EVAL is true
if [ "\${RUN_EVAL}" = "true" ]; then
    run_eval --framework lm-eval --port "$PORT"
    append_lm_eval_summary
fi

stop_gpu_monitor
set +x
`;

describe("script mode end to end", () => {
  let c: TestController;
  let dir: string;
  let lab: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-lab-e2e-"));
    lab = join(dir, "lab");
    mkdirSync(join(lab, "benchmarks", "single_node", "fixed_seq_len"), { recursive: true });
    writeFileSync(join(lab, "benchmarks", "single_node", "fixed_seq_len", "llama3-8b_fp8_h100_vllm.sh"), SCRIPT);
    // the lab's library needs GPUs and the lab's client: on the emulated fleet a stand-in replaces it
    writeFileSync(join(lab, "benchmarks", "benchmark_lib.sh"), 'echo "the lab library needs a GPU" >&2; exit 1\n');
    c = await startTestController(inject("redisUrl"), { config: { labDir: lab, jobAttempts: 1 } });
  });
  afterAll(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each point runs the lab's script with a real agent process; its result JSON is the stored point", async () => {
    const created = await c.api(
      "POST",
      "/api/v1/sweeps",
      { name: "lab-script", plan: { configs: [{ file: "master.yaml", text: CONFIG }] } },
      TOKENS.operator,
    );
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    const jobs = await c.api("GET", `/api/v1/jobs?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const jobId = jobs.body.items[0].jobId as string;
    const deployment = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.deployment;
    expect(deployment.mode).toBe("script");
    expect(deployment.labScript.path).toBe("benchmarks/single_node/fixed_seq_len/llama3-8b_fp8_h100_vllm.sh");

    const agentDir = join(dir, "agent");
    const child = spawnCli(
      [
        "agent",
        "start",
        "--controller",
        c.url.replace(/^http/, "ws"),
        "--token",
        TOKENS.enrol,
        "--agent-id",
        "lab-script-h100",
        "--emulate-sku",
        "h100",
        "--emulate-ip",
        randomLoopback(),
        "--time-scale",
        "0.02",
        "--lab",
        lab,
        "--data-dir",
        agentDir,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (b) => (output += b.toString()));
    child.stderr!.on("data", (b) => (output += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const job = await sweepFinished(c, sweepId, 60_000).catch(async (e: Error) => {
        const l = await c.api("GET", `/api/v1/jobs/${jobId}/logs?tail=200`, undefined, TOKENS.viewer);
        const text = ((l.body.lines ?? []) as Array<{ process: string; line: string }>)
          .map((x) => `${x.process}: ${x.line}`)
          .join("\n");
        throw new Error(`${e.message}; agent output: ${output.slice(-2000)}\njob logs:\n${text.slice(-6000)}`);
      });
      expect(job.status, `agent output: ${output.slice(-3000)}`).toBe("succeeded");
      const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
      expect(results.body.total).toBe(2);
      const byConc = new Map(
        (results.body.items as Array<{ result: PointResult }>).map((i) => [i.result.point.concurrency, i.result]),
      );
      for (const conc of [2, 4]) {
        const r = byConc.get(conc)!;
        expect(r.measuredBy).toBe("lab-script");
        expect(r.status).toBe("ok");
        // the lab client's numbers as its JSON carries them: 10 × CONC prompts, all completed
        expect(r.bench.max_concurrency).toBe(conc);
        expect(r.bench.num_prompts).toBe(conc * 10);
        expect(r.bench.completed).toBe(conc * 10);
        expect(r.bench.output_throughput).toBeGreaterThan(0);
      }
      // the run at the highest concurrency evaluated too (RUN_EVAL=true): the lab's eval files are the stored eval
      const evals = await c.api(
        "GET",
        `/api/v1/results/evals?sweep=${sweepId}&emulated=true`,
        undefined,
        TOKENS.viewer,
      );
      expect(evals.body.items).toHaveLength(1);
      expect(evals.body.items[0].result).toMatchObject({
        task: "gsm8k",
        harness: "lm-eval",
        n: 20,
        concurrency: 4,
        measuredBy: "lab-script",
        passed: true,
      });
      // the script ran in the attempt's copy: the agent's checkout is as it was
      expect(existsSync(join(lab, "server.log"))).toBe(false);
      expect(readdirSync(lab).sort()).toEqual(["benchmarks"]);
      const logs = await c.api("GET", `/api/v1/jobs/${jobId}/logs?process=agent&tail=1000`, undefined, TOKENS.viewer);
      const lines = (logs.body.lines as Array<{ line: string }>).map((l) => l.line);
      expect(lines.some((l) => l.includes("point c=4: ok, measured by the lab's client"))).toBe(true);
      await until(() => readdirSync(join(agentDir, "spool")).length === 0, 10_000, "spool drained");
    } finally {
      await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {}, TOKENS.operator);
      child.kill("SIGTERM");
      await exited;
    }
  }, 200_000);
});
