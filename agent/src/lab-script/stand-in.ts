/**
 * A lab script on the emulated fleet: the script itself runs under bash, in the attempt's copy of
 * the lab checkout, with stand-ins for what needs a GPU or the network. The engine it starts
 * (`python3 -m sglang.launch_server`, `vllm serve`, `trtllm-serve`, ...) is the emulated engine with
 * the deployment's SKU, model and parallelism; its `benchmark_lib.sh` is one we write whose
 * `run_benchmark_serving` runs benchfleet's load generator (`lab-client`), which writes the lab
 * client's result JSON where the script asks, and its `run_eval` runs benchfleet's GSM8K eval
 * (`lab-eval`), which writes lm-eval's results JSON for its `append_lm_eval_summary` to move
 * into the working directory with a `meta_env.json`, as the lab's do. Downloads, pip and GPU
 * tools do nothing. The scripts' absolute `/workspace` paths point into the copy.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ProcessSpec } from "@benchfleet/shared";
import type { SpawnSpec } from "../launchers/process.js";

/** the lab's benchmark_lib.sh functions single-node scripts call, for the emulated fleet */
const STAND_IN_LIB = `# benchfleet stand-in for the lab's benchmarks/benchmark_lib.sh (emulated fleet)
check_env_vars() {
  local missing=()
  for v in "$@"; do [ -z "\${!v:-}" ] && missing+=("$v"); done
  if [ \${#missing[@]} -gt 0 ]; then echo "Error: required env vars not set: \${missing[*]}" >&2; exit 1; fi
}
start_gpu_monitor() { :; }
stop_gpu_monitor() { :; }
setup_eval_context() { EVAL_MAX_MODEL_LEN="$MAX_MODEL_LEN"; }
compute_eval_context_length() { echo "$MAX_MODEL_LEN"; }
get_native_max_context_length() { echo "$MAX_MODEL_LEN"; }
wait_for_gpu_clean() { :; }
wait_for_amd_gpu_clean() { :; }
run_eval() {
  { local xtrace=$-; set +x; } 2>/dev/null
  local port="$PORT"
  while [ $# -gt 0 ]; do
    case "$1" in --port) port="$2"; shift 2;; *) shift 2;; esac
  done
  local conc="\${EVAL_CONCURRENT_REQUESTS:-\${EVAL_CONC:-\${CONC:-64}}}"
  EVAL_RESULT_DIR="$(mktemp -d /tmp/eval_out-XXXXXX)"
  export EVAL_RESULT_DIR
  "\${BF_LAB_EVAL[@]}" --base-url "http://$BF_ENGINE_HOST:$port" --model "\${MODEL_NAME:-$MODEL}" \
    --concurrency "$conc" --results-dir "$EVAL_RESULT_DIR" \${EVAL_LIMIT:+--limit "$EVAL_LIMIT"}
  local rc=$?
  export CONC="$conc"
  [[ $xtrace == *x* ]] && set -x
  return $rc
}
append_lm_eval_summary() {
  local out="\${EVAL_RESULT_DIR:-}"
  if [ -z "$out" ] || [ ! -d "$out" ]; then echo "WARN: EVAL_RESULT_DIR='$out' does not exist; skipping artifact collection" >&2; return 1; fi
  printf '{\n  "is_multinode": %s,\n  "framework": "%s",\n  "precision": "%s",\n  "conc": %s,\n  "model": "%s",\n  "hw": "%s"\n}\n' \
    "\${IS_MULTINODE:-false}" "$FRAMEWORK" "$PRECISION" "\${CONC:-1}" "\${MODEL_NAME:-$MODEL}" "\${RUNNER_TYPE:-unknown}" > ./meta_env.json
  find "$out" -type f -name "*.json*" -exec mv -f -t ./ {} +
  rm -rf "$out"
  echo "Moved eval artifacts to: $(pwd)"
}
move_profile_trace_for_relay() { :; }
wait_for_server_ready() {
  { local xtrace=$-; set +x; } 2>/dev/null
  local port="$PORT" pid=""
  while [ $# -gt 0 ]; do
    case "$1" in --port) port="$2"; shift 2;; --server-pid) pid="$2"; shift 2;; *) shift 2;; esac
  done
  for _ in $(seq 1 3000); do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then echo "ERROR: server process $pid died before it was ready" >&2; exit 1; fi
    if (exec 3<>"/dev/tcp/$BF_ENGINE_HOST/$port") 2>/dev/null; then
      [[ $xtrace == *x* ]] && set -x
      return 0
    fi
    sleep 0.1
  done
  echo "ERROR: server on port $port not ready" >&2; exit 1
}
wait_for_ready() { wait_for_server_ready "$@"; }
run_benchmark_serving() {
  { local xtrace=$-; set +x; } 2>/dev/null
  local model="" port="" isl="" osl="" ratio="" prompts="" conc="" file="" dir=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --model) model="$2"; shift 2;;
      --port) port="$2"; shift 2;;
      --input-len) isl="$2"; shift 2;;
      --output-len) osl="$2"; shift 2;;
      --random-range-ratio) ratio="$2"; shift 2;;
      --num-prompts) prompts="$2"; shift 2;;
      --max-concurrency) conc="$2"; shift 2;;
      --result-filename) file="$2"; shift 2;;
      --result-dir) dir="$2"; shift 2;;
      --use-chat-template|--dsv4|--trust-remote-code) shift;;
      *) shift 2;;
    esac
  done
  "\${BF_LAB_CLIENT[@]}" --base-url "http://$BF_ENGINE_HOST:$port" --model "$model" --isl "$isl" --osl "$osl" \\
    --random-range-ratio "$ratio" --num-prompts "$prompts" --max-concurrency "$conc" \\
    --result-file "$dir/$file.json"
  local rc=$?
  [[ $xtrace == *x* ]] && set -x
  return $rc
}
`;

const ENGINE_PYTHON = `#!/bin/bash
# python3 -m <engine server> starts the emulated engine; anything else (pip, helpers) does nothing
case " $* " in
  *" -m sglang.launch_server "*|*" -m vllm.entrypoints."*|*" -m atom.entrypoints."*|*" -m tensorrt_llm"*) exec "$BF_ENGINE" ;;
esac
exit 0
`;

/** commands that start an engine, and commands that do nothing here */
const ENGINE_COMMANDS = ["vllm", "trtllm-serve", "sglang"];
const NO_OPS = ["pip", "pip3", "hf", "huggingface-cli", "nvidia-smi", "rocm-smi", "amd-smi", "apt-get", "uv"];

/** mpirun's own options dropped, the command it wraps run */
const MPIRUN = `#!/bin/bash
while [ $# -gt 0 ]; do
  case "$1" in
    -n|-np|-N|-x|--bind-to|--map-by|--mca|-H|--host|--hostfile) shift 2;;
    -*) shift;;
    *) break;;
  esac
done
exec "$@"
`;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface StandInInput {
  /** the agent's `lab-eval` command line (the eval in the place of lm-eval) */
  evalCommand: string[];
  spec: ProcessSpec;
  /** the attempt's copy of the lab checkout */
  workspace: string;
  /** the emulated engine's command line (port, SKU, model, parallelism included) */
  engine: string[];
  /** the agent's `lab-client` command line */
  client: string[];
  /** the address the engine listens on (0.0.0.0: every address) */
  host: string;
}

/** prepares the workspace for a stand-in run and returns the process to spawn */
export function standInCommand(i: StandInInput): SpawnSpec {
  const ws = i.workspace;
  const bin = join(ws, ".benchfleet-bin");
  mkdirSync(bin, { recursive: true });
  const exe = (name: string, text: string) => {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  };
  exe("engine", `#!/bin/bash\nexec ${i.engine.map(quote).join(" ")}\n`);
  for (const c of ["python", "python3"]) exe(c, ENGINE_PYTHON);
  for (const c of ENGINE_COMMANDS) exe(c, `#!/bin/bash\nexec "$BF_ENGINE"\n`);
  for (const c of NO_OPS) exe(c, "#!/bin/bash\nexit 0\n");
  exe("mpirun", MPIRUN);
  writeFileSync(
    join(ws, "benchmarks", "benchmark_lib.sh"),
    `${STAND_IN_LIB}BF_LAB_CLIENT=(${i.client.map(quote).join(" ")})\nBF_LAB_EVAL=(${i.evalCommand.map(quote).join(" ")})\n`,
  );
  const script = i.spec.argv[1]!;
  const text = readFileSync(join(ws, script), "utf8").replaceAll("/workspace", ws);
  // beside the original, so the script's `$(dirname "$0")/../../benchmark_lib.sh` is the stand-in
  const copy = join(ws, dirname(script), `.benchfleet-${basename(script)}`);
  writeFileSync(copy, text);
  return {
    name: i.spec.name,
    file: "bash",
    args: [copy],
    env: {
      ...i.spec.env,
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      BF_ENGINE: join(bin, "engine"),
      BF_ENGINE_HOST: i.host === "0.0.0.0" ? "127.0.0.1" : i.host,
      HF_HUB_CACHE: join(ws, ".hf-hub-cache"),
      BENCHFLEET_EMULATED: "1",
    },
    cwd: ws,
  };
}
