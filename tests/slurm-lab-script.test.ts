/**
 * Multi-node script mode on a real Slurm cluster (slurmctld + three slurmd on this host): the real
 * controller plans a posted multi-node row whose framework no recipe launches with a lab checkout,
 * so the row runs the lab's own multi-node script; a Slurm-mode agent (`--launcher slurm`,
 * emulating H200 nodes, `--lab` the same checkout) runs that script on the login node with the lab
 * runner's environment. The script, in the format of the lab's llm-d wrapper and submitter (one we
 * write), sbatches a job that starts the engine (the emulated one) and runs the lab's client for
 * every concurrency (benchfleet's load generator behind the benchmark_lib.sh stand-in), leaving one
 * `$RESULT_FILENAME…json` per concurrency in `$BENCHMARK_LOGS_DIR`. Each becomes a stored point
 * measured by the lab's client; the job's log is streamed as process `lab-job`. With RUN_EVAL the
 * job's lm-eval results file is stored as the deployment's eval, and one below the threshold fails
 * the attempt. A script in the TileRT format (salloc of nodes named $RUNNER_NAME, srun into them,
 * blocking) is followed by name and its allocation released after. A job that fails fails the
 * attempt with its log; cancelling the sweep cancels the job. Each test ends on an empty queue,
 * passed or failed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { type SlurmCluster, startSlurmCluster } from "@benchfleet/cli";
import { type PointResult, parseStoredLogLine } from "@benchfleet/shared";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  cancelUnfinishedSweeps,
  startTestController,
  sweepFinished,
  type TestController,
  TOKENS,
  until,
} from "./helpers/controller.js";
import { config, SCRIPT_PATH, writeLlmdScripts } from "./helpers/lab-multinode-script.js";

// the lab's TileRT format: the wrapper execs a submitter that salloc's nodes named $RUNNER_NAME,
// runs the roles in them with srun and blocks until they are done; results land in the workspace
const TILERT_WRAPPER = `#!/usr/bin/env bash

source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars \\
    CONC_LIST \\
    ISL \\
    OSL \\
    IMAGE \\
    SPEC_DECODING \\
    MODEL_PATH \\
    PREFILL_NUM_WORKERS \\
    PREFILL_TP \\
    DECODE_NUM_WORKERS \\
    DECODE_TP \\
    RANDOM_RANGE_RATIO \\
    FRAMEWORK

exec bash "$(dirname "$0")/bf-tilert/submit.sh"
`;

const TILERT_SUBMIT = `#!/usr/bin/env bash
set -x
NODES=$(( \${PREFILL_NODES:-1} + \${DECODE_NODES:-1} ))
salloc --partition="$SLURM_PARTITION" --nodes="$NODES" --time=10 --no-shell --job-name="$RUNNER_NAME"
JOB_ID=$(squeue --name="$RUNNER_NAME" -u "$(id -un)" -h -o %A | head -n1)
srun --jobid="$JOB_ID" --nodes=1 --ntasks=1 bash "$GITHUB_WORKSPACE/benchmarks/multi_node/bf-tilert/run_node.sh"
`;

const TILERT_NODE = `#!/usr/bin/env bash
source "$GITHUB_WORKSPACE/benchmarks/benchmark_lib.sh"
echo "[node] role on $SLURMD_NODENAME in job $SLURM_JOB_ID"
SERVER_LOG="$GITHUB_WORKSPACE/server.log"
vllm serve "$MODEL_PATH" --port "$PORT" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID"
for conc in $CONC_LIST; do
  run_benchmark_serving --model "$MODEL_PATH" --port "$PORT" --backend vllm \\
    --input-len "$ISL" --output-len "$OSL" --random-range-ratio "$RANDOM_RANGE_RATIO" \\
    --num-prompts $(( conc * 10 )) --max-concurrency "$conc" \\
    --result-filename "\${RESULT_FILENAME}_c\${conc}_gpus_16_ctx_8_gen_8" --result-dir "$GITHUB_WORKSPACE" || exit 1
done
kill $SERVER_PID
`;

describe("multi-node script mode on a real Slurm cluster", () => {
  let c: TestController;
  let cluster: SlurmCluster;
  let agent: AgentHandle;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-slurm-lab-"));
    const lab = join(dir, "lab");
    writeLlmdScripts(lab);
    mkdirSync(join(lab, "benchmarks", "multi_node", "bf-tilert"), { recursive: true });
    writeFileSync(join(lab, "benchmarks", "multi_node", "llama3-8b_fp8_h200_tilert-disagg.sh"), TILERT_WRAPPER);
    writeFileSync(join(lab, "benchmarks", "multi_node", "bf-tilert", "submit.sh"), TILERT_SUBMIT);
    writeFileSync(join(lab, "benchmarks", "multi_node", "bf-tilert", "run_node.sh"), TILERT_NODE);
    [c, cluster] = await Promise.all([
      startTestController(inject("redisUrl"), { config: { labDir: lab, jobAttempts: 1 } }),
      startSlurmCluster({ nodes: 3 }),
    ]);
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "login-lab",
      dataDir: join(dir, "agent"),
      launcher: "slurm",
      emulate: { sku: "h200", gpus: 8 },
      slurm: { partition: cluster.partition, env: cluster.env },
      emulateExtraArgs: ["--time-scale", "0.02", "--quiet"],
      labDir: lab,
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 3000,
    });
    await until(async () => {
      const r = await c.api("GET", "/api/v1/nodes/login-lab");
      return r.body?.state === "idle" ? r.body : undefined;
    }, 15_000);
  });
  afterEach(async () => {
    if (c) await cancelUnfinishedSweeps(c);
    await cluster?.cancelAll();
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([c?.stop(), cluster?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const queue = () => cluster.cmd("squeue", ["-h", "-o", "%i|%j|%T"]).trim();
  const start = async (key: string, extra: string[] = [], evaluate = false, framework = "llmd-vllm") => {
    const created = await c.api(
      "POST",
      "/api/v1/sweeps",
      { name: key, plan: { configs: [{ file: "master.yaml", text: config(key, extra, evaluate, framework) }] } },
      TOKENS.operator,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    const jobs = await c.api("GET", `/api/v1/jobs?sweep=${sweepId}`, undefined, TOKENS.viewer);
    expect(jobs.body.items).toHaveLength(1);
    return { sweepId, jobId: jobs.body.items[0].jobId as string };
  };
  const logLines = async (jobId: string, process?: string) => {
    const q = process ? `process=${process}&` : "";
    const l = await c.api("GET", `/api/v1/jobs/${jobId}/logs?${q}tail=2000`, undefined, TOKENS.viewer);
    return ((l.body.lines ?? []) as Array<{ process: string; line: string }>).map((x) => ({
      process: x.process,
      line: parseStoredLogLine(x.line).text,
    }));
  };

  it("runs the lab's script on the login node; its Slurm job's result files are the stored points", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-llmd-vllm");
    const deployment = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.deployment;
    expect(deployment).toMatchObject({ mode: "script", multinode: true, labScript: { path: SCRIPT_PATH } });
    const done = await sweepFinished(c, sweepId, 120_000);
    const lines = await logLines(jobId);
    const text = lines.map((l) => `${l.process}: ${l.line}`).join("\n");
    expect(done.status, text.slice(-4000)).toBe("succeeded");

    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(2);
    const byConc = new Map(
      (results.body.items as Array<{ result: PointResult }>).map((i) => [i.result.point.concurrency, i.result]),
    );
    for (const conc of [2, 4]) {
      const r = byConc.get(conc)!;
      expect(r.measuredBy).toBe("lab-script");
      expect(r.status).toBe("ok");
      expect(r.bench.max_concurrency).toBe(conc);
      expect(r.bench.num_prompts).toBe(conc * 10);
      expect(r.bench.completed).toBe(conc * 10);
      expect(r.bench.output_throughput).toBeGreaterThan(0);
      // throughput per GPU over the row's 8 prefill + 8 decode GPUs
      expect(r.gpus).toEqual({ total: 16, prefill: 8, decode: 8 });
    }
    // the job id the script printed was followed; its log came back as process lab-job
    const slurm = lines.filter((l) => l.process === "slurm").map((l) => l.line);
    const found = slurm
      .map((l) => /^the lab script's Slurm job (\d+) \(printed by the script\)$/.exec(l))
      .find(Boolean);
    expect(found, slurm.join("\n")).toBeTruthy();
    expect(slurm).toContain(`Slurm job ${found![1]} completed`);
    const job = lines.filter((l) => l.process === "lab-job").map((l) => l.line);
    expect(job[0]).toMatch(new RegExp(`^JOB ${found![1]} running on node`));
    expect(job).toContain("benchmark at concurrency 4");
    // the script ran with the runner's environment (partition, logs dir) from the login node
    const script = lines.filter((l) => l.process.startsWith("lab-script")).map((l) => l.line);
    expect(script.at(-1)).toBe(found![1]);
    expect(queue()).toBe("");
  }, 180_000);

  it("with RUN_EVAL the job's lab eval (eval_results/) is stored as the deployment's eval, marked as the lab's", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-llmd-vllm", [], true);
    const deployment = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.deployment;
    expect(deployment).toMatchObject({ mode: "script", eval: true, evalLimit: 20 });
    const done = await sweepFinished(c, sweepId, 120_000);
    const text = (await logLines(jobId)).map((l) => `${l.process}: ${l.line}`).join("\n");
    expect(done.status, text.slice(-4000)).toBe("succeeded");
    const evals = await c.api("GET", `/api/v1/results/evals?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(evals.status, JSON.stringify(evals.body)).toBe(200);
    const items = evals.body.items as Array<{ result: Record<string, unknown> }>;
    expect(items).toHaveLength(1);
    // evaluated at the highest concurrency, 20 problems, by the lab's script (lm-eval's file, our runner behind it)
    expect(items[0]!.result).toMatchObject({
      task: "gsm8k",
      harness: "lm-eval",
      n: 20,
      concurrency: 4,
      measuredBy: "lab-script",
      passed: true,
    });
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(2);
    expect(queue()).toBe("");
  }, 180_000);

  it("an eval below the threshold fails the attempt; points and the eval are stored", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-llmd-vllm", ["BF_TEST_LOW_EVAL=1"], true);
    const done = await sweepFinished(c, sweepId, 120_000);
    expect(done.status).toBe("failed");
    const job = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body;
    expect(job.attempts.at(-1).state).toBe("failed");
    expect(job.lastError).toMatch(
      /^accuracy below threshold: gsm8k 0\.410 strict \/ 0\.430 flexible < 0\.\d+ at concurrency 4 \(the lab's eval\)$/,
    );
    const evals = await c.api("GET", `/api/v1/results/evals?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(evals.body.items.map((i: { result: Record<string, unknown> }) => i.result)).toMatchObject([
      { concurrency: 4, passed: false, measuredBy: "lab-script", n: 20 },
    ]);
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(2);
  }, 180_000);

  it("a TileRT-format script holds an allocation named $RUNNER_NAME and blocks; it is found, and released after", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-tilert", [], false, "tilert");
    const done = await sweepFinished(c, sweepId, 120_000);
    const lines = await logLines(jobId);
    const text = lines.map((l) => `${l.process}: ${l.line}`).join("\n");
    expect(done.status, text.slice(-4000)).toBe("succeeded");
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(
      (results.body.items as Array<{ result: PointResult }>).map((i) => [
        i.result.point.concurrency,
        i.result.measuredBy,
      ]),
    ).toEqual(
      expect.arrayContaining([
        [2, "lab-script"],
        [4, "lab-script"],
      ]),
    );
    const slurm = lines.filter((l) => l.process === "slurm").map((l) => l.line);
    const found = slurm.map((l) => /^the lab script's Slurm job (\d+) \(squeue --name (\S+)\)$/.exec(l)).find(Boolean);
    expect(found, slurm.join("\n")).toBeTruthy();
    expect(found![2]).toMatch(/^h200-benchfleet_.+-[0-9a-f]{8}$/);
    expect(slurm).toContain(`Slurm job ${found![1]} released: the script that held it has ended`);
    // the roles ran in the allocation, their lines the script's own
    expect(text).toMatch(new RegExp(`\\[node\\] role on node\\d in job ${found![1]}`));
    await until(() => queue() === "", 30_000, "the allocation released");
  }, 180_000);

  it("a Slurm job that dies fails the attempt with its state and its log", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-llmd-vllm", ["BF_TEST_FAIL=1"]);
    const done = await sweepFinished(c, sweepId, 120_000);
    expect(done.status).toBe("failed");
    const job = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body;
    const reason = JSON.stringify(job);
    expect(reason).toMatch(/lab script benchmarks\/multi_node\/\S+ \(.*slurm job \d+\) failed \(code 1\)/);
    expect(reason).toMatch(/CUDA error: an illegal memory access/);
    expect(reason).toMatch(/Slurm job \d+ ended FAILED/);
    const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
    expect(results.body.total).toBe(0);
    expect(queue()).toBe("");
  }, 180_000);

  it("cancelling the sweep cancels the job the script submitted", async () => {
    const { sweepId, jobId } = await start("llama3-8b-fp8-h200-llmd-vllm", ["BF_TEST_HANG=1"]);
    const id = await until(async () => {
      const l = await logLines(jobId, "lab-job");
      return l.some((x) => x.line === "engine loading weights") ? /^JOB (\d+)/.exec(l[0]?.line ?? "")?.[1] : undefined;
    }, 60_000);
    expect(queue()).toMatch(new RegExp(`^${id}\\|.*\\|RUNNING$`));
    await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, { reason: "test" }, TOKENS.operator);
    const done = await sweepFinished(c, sweepId, 60_000);
    expect(done.status).toBe("cancelled");
    await until(() => queue() === "", 30_000, "the lab's job ended");
    // ended by scancel, long before its 600 s sleep (slurmctld keeps an ended job's state for minutes)
    expect(cluster.cmd("squeue", ["-h", "-t", "all", "-j", id!, "-o", "%T"]).trim()).toBe("CANCELLED");
  }, 180_000);
});
