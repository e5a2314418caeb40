/**
 * A lab checkout in the lab's multi-node script format, for tests of script mode on a Slurm cluster:
 * a master-config row whose framework (llm-d) no recipe launches, its wrapper that submits a job
 * and prints the job's id, the submitter and the job (the emulated engine, then the lab's client at
 * each concurrency). Written by us in the lab's formats.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** a multi-node row of the lab's format; `extra` lands in the prefill pool's additional-settings */
export const config = (key: string, extra: string[] = [], evaluate = false, framework = "llmd-vllm") => `${key}:
  image: example/llm-d:1.0${evaluate ? "\n  benchfleet: { eval: true, eval-limit: 20 }" : ""}
  model: meta-llama/Llama-3.1-8B-Instruct
  model-prefix: llama3-8b
  runner: h200
  precision: fp8
  framework: ${framework}
  multinode: true
  disagg: true
  scenarios:
    fixed-seq-len:
      - isl: 128
        osl: 32
        search-space:
          - spec-decoding: "none"
            conc-list: [2, 4]
            prefill:
              num-worker: 1
              tp: 8
              ep: 1
              dp-attn: false
              additional-settings: [${["PREFILL_NODES=1", ...extra].map((s) => JSON.stringify(s)).join(", ")}]
            decode:
              num-worker: 1
              tp: 8
              ep: 1
              dp-attn: false
              additional-settings: ["DECODE_NODES=1"]
`;

// the lab's multi-node wrapper format (benchmarks/multi_node/<key>-disagg.sh): submit, print the job id
export const WRAPPER = `#!/usr/bin/env bash
set -euo pipefail

source "$(dirname "$0")/../benchmark_lib.sh"

check_env_vars \\
    CONC_LIST \\
    ISL \\
    OSL \\
    IMAGE \\
    MODEL_PATH \\
    PREFILL_NODES \\
    DECODE_NODES \\
    RANDOM_RANGE_RATIO

cd "$GITHUB_WORKSPACE/benchmarks/multi_node/bf-test" || exit 1

JOB_ID=$(bash ./submit.sh \\
    "$PREFILL_NODES" \\
    "$DECODE_NODES" \\
    "$ISL" "$OSL" "\${CONC_LIST// /x}" inf \\
    "$RANDOM_RANGE_RATIO")

if [[ -z "$JOB_ID" ]]; then
    echo "Failed to submit job" >&2
    exit 1
fi

echo "$JOB_ID"
`;

export const SUBMIT = `#!/usr/bin/env bash
set -euo pipefail
NODES=$(( $1 + $2 ))
sbatch --parsable --partition="$SLURM_PARTITION" --nodes="$NODES" --job-name="$RUNNER_NAME" \\
    --time=10 \\
    --output "$BENCHMARK_LOGS_DIR/slurm_job-%j.out" \\
    --error "$BENCHMARK_LOGS_DIR/slurm_job-%j.err" \\
    job.slurm "$3" "$4" "$5" "$6" "$7"
`;

// the job: one engine, then the lab's client at each concurrency, results into the logs dir
export const JOB = `#!/usr/bin/env bash
source "$GITHUB_WORKSPACE/benchmarks/benchmark_lib.sh"
ISL=$1; OSL=$2; CONCS=\${3//x/ }; RATIO=$5
echo "JOB $SLURM_JOB_ID running on $SLURM_JOB_NODELIST"
if [[ "\${BF_TEST_FAIL:-}" == 1 ]]; then echo "engine: CUDA error: an illegal memory access" >&2; exit 3; fi
if [[ "\${BF_TEST_HANG:-}" == 1 ]]; then echo "engine loading weights"; sleep 600; fi
SERVER_LOG="$BENCHMARK_LOGS_DIR/server-$SLURM_JOB_ID.log"
vllm serve "$MODEL_PATH" --port "$PORT" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID"
for conc in $CONCS; do
  echo "benchmark at concurrency $conc"
  run_benchmark_serving --model "$MODEL_PATH" --port "$PORT" --backend vllm \\
    --input-len "$ISL" --output-len "$OSL" --random-range-ratio "$RATIO" \\
    --num-prompts $(( conc * 10 )) --max-concurrency "$conc" \\
    --result-filename "\${RESULT_FILENAME}_conc\${conc}" --result-dir "$BENCHMARK_LOGS_DIR" || exit 1
done
if [[ "\${BF_TEST_LOW_EVAL:-}" == 1 ]]; then
  # an eval whose scores are below any threshold, in lm-eval's format
  mkdir -p "$BENCHMARK_LOGS_DIR/eval_results"
  echo '{"results": {"gsm8k": {"exact_match,strict-match": 0.41, "exact_match_stderr,strict-match": 0.01, "exact_match,flexible-extract": 0.43, "exact_match_stderr,flexible-extract": 0.01}}, "n-samples": {"gsm8k": {"effective": 20}}}' \
    > "$BENCHMARK_LOGS_DIR/eval_results/results_low_conc\${EVAL_CONC}.json"
elif [[ "$RUN_EVAL" == "true" ]]; then
  export EVAL_CONCURRENT_REQUESTS="$EVAL_CONC"
  run_eval --framework lm-eval --port "$PORT"
  mkdir -p "$BENCHMARK_LOGS_DIR/eval_results" && cd "$BENCHMARK_LOGS_DIR/eval_results" && append_lm_eval_summary
fi
kill $SERVER_PID
`;

export const SCRIPT_PATH = "benchmarks/multi_node/llama3-8b_fp8_h200_llmd-vllm-disagg.sh";

/** writes the llm-d wrapper, submitter and job into a lab checkout at `lab` */
export function writeLlmdScripts(lab: string): void {
  mkdirSync(join(lab, "benchmarks", "multi_node", "bf-test"), { recursive: true });
  writeFileSync(join(lab, SCRIPT_PATH), WRAPPER);
  writeFileSync(join(lab, "benchmarks", "multi_node", "bf-test", "submit.sh"), SUBMIT);
  writeFileSync(join(lab, "benchmarks", "multi_node", "bf-test", "job.slurm"), JOB);
  // the lab's library needs GPUs and the lab's client: on the emulated fleet a stand-in replaces it
  writeFileSync(join(lab, "benchmarks", "benchmark_lib.sh"), 'echo "the lab library needs a GPU" >&2; exit 1\n');
}
