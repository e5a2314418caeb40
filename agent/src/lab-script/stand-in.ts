/**
 * A lab script on the emulated fleet: the script itself runs under bash, in the attempt's copy of
 * the lab checkout, with stand-ins for what needs a GPU or the network. The engine it starts
 * (`python3 -m sglang.launch_server`, `vllm serve`, `trtllm-serve`, ...) is the emulated engine with
 * the deployment's SKU, model and parallelism; its `benchmark_lib.sh` is one we write whose
 * `run_benchmark_serving` runs benchfleet's load generator (`lab-client`), which writes the lab
 * client's result JSON where the script asks, and its `run_eval` runs benchfleet's GSM8K eval
 * (`lab-eval`), which writes lm-eval's results JSON for its `append_lm_eval_summary` to move
 * into the working directory with a `meta_env.json`, as the lab's do. An agentic script's
 * `build_replay_cmd` / `run_agentic_replay_and_write_outputs` run benchfleet's trace replay
 * (`lab-replay`), which writes the lab's aggregated agentic result. Downloads, pip and GPU tools do
 * nothing. Steps that patch the engine's image (a `sed` on a file of the image, python snippets,
 * the lab's container patch scripts) cannot apply here: they are not run, and each is written to a
 * file the agent reports (takeContainerSteps). The scripts' absolute `/workspace` paths point into
 * the copy.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
# the lab's --endpoint form (http://host:port/health): ready when its port takes connections
wait_for_ready() {
  local endpoint="" pid=""
  while [ $# -gt 0 ]; do
    case "$1" in --endpoint) endpoint="$2"; shift 2;; --pid) pid="$2"; shift 2;; --port) endpoint="http://x:$2"; shift 2;; *) shift 2;; esac
  done
  local hostport="\${endpoint#*://}"
  hostport="\${hostport%%/*}"
  wait_for_server_ready --port "\${hostport##*:}" \${pid:+--server-pid "$pid"}
}
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

/**
 * the lab's agentic helpers (benchmark_lib.sh's agentic section): the offload checks keep the lab's
 * meaning, the trace is benchfleet's (the lab's hub corpus cannot be fetched here: said on stderr),
 * and the replay is benchfleet's (\`lab-replay\`), which writes the lab's aggregated result as
 * \`$RESULT_FILENAME.json\` where the lab's aggregator writes it
 */
const STAND_IN_AGENTIC = `
agentic_kv_offload_enabled() {
  if [ -z "\${KV_OFFLOADING:-}" ]; then echo "Error: KV_OFFLOADING must be set for agentic benchmarks" >&2; exit 1; fi
  [ "$KV_OFFLOADING" != "none" ]
}
require_agentic_kv_offload_none() {
  if agentic_kv_offload_enabled; then echo "Error: expected KV_OFFLOADING=none, got '$KV_OFFLOADING'" >&2; exit 1; fi
  if [ -n "\${KV_OFFLOAD_BACKEND:-}" ]; then echo "Error: KV_OFFLOAD_BACKEND must be empty when KV_OFFLOADING=none" >&2; exit 1; fi
}
require_agentic_kv_offload_backend() {
  if ! agentic_kv_offload_enabled; then
    if [ -n "\${KV_OFFLOAD_BACKEND:-}" ]; then echo "Error: KV_OFFLOAD_BACKEND must be empty when KV_OFFLOADING=none" >&2; exit 1; fi
    return 1
  fi
  if [ "\${KV_OFFLOAD_BACKEND:-}" != "$1" ]; then echo "Error: expected KV_OFFLOAD_BACKEND=$1 when KV_OFFLOADING=dram, got '\${KV_OFFLOAD_BACKEND:-}'" >&2; exit 1; fi
  if [[ ! "\${TOTAL_CPU_DRAM_GB:-}" =~ ^[1-9][0-9]*$ ]]; then echo "Error: DRAM KV offloading requires a positive TOTAL_CPU_DRAM_GB capacity" >&2; exit 1; fi
  return 0
}
resolve_trace_source() {
  TRACE_SOURCE_FLAG=""
  export TRACE_SOURCE_FLAG
  echo "benchfleet stand-in: the lab's trace corpus (\${WEKA_LOADER_OVERRIDE:-its default loader}) cannot be fetched here; replaying benchfleet's trace" >&2
}
install_agentic_deps() { :; }
agentic_pip_install() { :; }
stop_background_process_tree() {
  local pid="\${1:-}"
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] && kill -TERM "$pid" 2>/dev/null
  return 0
}
write_command() { local f="$1"; shift; printf '%q ' "$@" | tee "$f"; printf '\\n' | tee -a "$f"; }
append_command() { local f="$1"; shift; printf '%q ' "$@" >> "$f"; printf '\\n' >> "$f"; }
bf_lab_replay() { "\${BF_LAB_REPLAY[@]}" "$@"; }
# a string, as the lab's: scripts append AIPerf options to it (REPLAY_CMD+=" --apply-chat-template")
build_replay_cmd() {
  local result_dir="$1"
  REPLAY_CMD="bf_lab_replay --base-url \${AIPERF_SERVER_URL:-http://$BF_ENGINE_HOST:$PORT} --model \${SERVED_MODEL_NAME:-$MODEL}"
  REPLAY_CMD+=" --concurrency $CONC --duration $DURATION --result-file \${AGENTIC_OUTPUT_DIR:-$PWD}/$RESULT_FILENAME.json"
  mkdir -p "$result_dir"
}
run_agentic_replay_and_write_outputs() {
  local result_dir="$1"
  mkdir -p "$result_dir"
  echo "$REPLAY_CMD" > "$result_dir/benchmark_command.txt"
  $REPLAY_CMD 2>&1 | tee "$result_dir/benchmark.log"
  return "\${PIPESTATUS[0]}"
}
`;

/** the port the script gives its server (\`--port\`, ATOM's \`--server-port\`): the emulated engine listens there */
const ENGINE_PORT = `port=""; prev=""
for a in "$@"; do
  case "$prev" in --port|--server-port) port="$a";; esac
  case "$a" in --port=*|--server-port=*) port="\${a#*=}";; esac
  prev="$a"
done
`;

/**
 * \`vllm-router\` / \`python3 -m sglang_router.launch_router\` with \`--worker-urls URL... --port P\`:
 * the emulated router in front of the script's engine
 */
const VLLM_ROUTER = `#!/bin/bash
workers=(); port=""; collect=""
for a in "$@"; do
  case "$a" in
    --worker-urls) collect=1; continue;;
    --port) collect=""; port="next"; continue;;
    --*) collect="";;
  esac
  if [ "$port" = "next" ]; then port="$a"; continue; fi
  [ -n "$collect" ] && workers+=(--worker "$a")
done
exec "$BF_ENGINE" --role router "\${workers[@]}" \${port:+--port "$port"}
`;

const ENGINE_PYTHON = `#!/bin/bash
# python3 -m <engine server> starts the emulated engine; anything else (pip, helpers, snippets that
# read or patch the image) does not run here and is reported
case " $* " in
  *" -m sglang_router.launch_router "*) exec "$BF_ENGINE_BIN/vllm-router" "$@" ;;
  *" -m sglang.launch_server "*|*" -m vllm.entrypoints."*|*" -m atom.entrypoints."*|*" -m tensorrt_llm"*)
${ENGINE_PORT}    exec "$BF_ENGINE" \${port:+--port "$port"} ;;
esac
[ -n "\${BF_CONTAINER_STEPS:-}" ] && echo "python3 $(printf '%.120s' "$*"): not run (a step inside the engine's image)" >> "$BF_CONTAINER_STEPS"
exit 0
`;

/**
 * \`sed\` on a file of the engine's image (an absolute path outside the workspace that this machine
 * lacks, as /sgl-workspace/...): not applied, reported; \`sed -n\` prints nothing. Any other sed runs.
 */
const SED = `#!/bin/bash
last="\${@: -1}"
if [[ "$last" == /* && ! -e "$last" && "$last" != "$BF_WORKSPACE"/* ]]; then
  echo "sed on $last: not applied (a file of the engine's image)" >> "\${BF_CONTAINER_STEPS:-/dev/stderr}"
  exit 0
fi
exec "\${BF_REAL_SED:-/bin/sed}" "$@"
`;

/** \`bash <patch script>\` of the lab's (\`apply_*container_patches*.sh\`): patches the engine's image, reported with its sha256 */
const BASH = `#!/bin/bash
case "$(basename -- "\${1:-}")" in
  apply_*container_patches*.sh)
    echo "bash $(basename -- "$1") (sha256 $(sha256sum "$1" | cut -c1-12)): not run (patches the engine's image)" >> "\${BF_CONTAINER_STEPS:-/dev/stderr}"
    exit 0;;
esac
exec "\${BF_REAL_BASH:-/bin/bash}" "$@"
`;

/** commands that start an engine, and commands that do nothing here */
const ENGINE_COMMANDS = ["vllm", "trtllm-serve", "sglang"];
const NO_OPS = ["pip", "pip3", "nvidia-smi", "amd-smi", "apt-get", "uv"];

/**
 * `rocm-smi`: an AMD node whose GPUs are free, its MEC firmware version unknown (0), as scripts read
 * it (`rocm-smi --showfw | grep MEC`) under `set -o pipefail`
 */
const ROCM_SMI = `#!/bin/bash
echo "GPU[0]          : GPU Memory Allocated (VRAM%): 0"
echo "GPU[0]          : MEC firmware version: 0"
`;

/**
 * `hf download REPO --local-dir DIR` stages a checkpoint where the script then looks for it: the
 * emulated engine loads no weights, so DIR gets a stand-in (config.json, an empty
 * model.safetensors), reported as a step not applied. Any other download does nothing.
 */
const HF = `#!/bin/bash
[ "\${1:-}" = "download" ] || exit 0
repo="\${2:-}"; dir=""
while [ $# -gt 0 ]; do case "$1" in --local-dir) dir="$2"; shift 2;; --local-dir=*) dir="\${1#*=}"; shift;; *) shift;; esac; done
[ -n "$dir" ] || exit 0
mkdir -p "$dir"
[ -f "$dir/config.json" ] || echo '{}' > "$dir/config.json"
ls "$dir"/*.safetensors >/dev/null 2>&1 || : > "$dir/model.safetensors"
echo "hf download $repo --local-dir $dir: not downloaded (a stand-in checkpoint: the emulated engine loads no weights)" >> "\${BF_CONTAINER_STEPS:-/dev/stderr}"
`;

/**
 * side servers agentic scripts start before the engine (\`mooncake_master\`, \`lmcache server\`): the
 * emulated engine's host-DRAM tier stands in for their store, so they stay up serving nothing,
 * reported
 */
const SIDE_SERVER = `#!/bin/bash
echo "$(basename "$0") $*: a stand-in that serves nothing (the emulated engine's host-DRAM tier is the store)" >> "\${BF_CONTAINER_STEPS:-/dev/stderr}"
exec /bin/sleep infinity
`;

/** \`sleep N\`: at most 1 s here (scripts wait minutes for a GPU node to settle); the longer waits are reported */
const SLEEP = `#!/bin/bash
s="\${1:-0}"; s="\${s%s}"
if [[ "$s" =~ ^[0-9]+$ ]] && [ "$s" -gt 5 ]; then
  echo "sleep $1: shortened to 1 s" >> "\${BF_CONTAINER_STEPS:-/dev/stderr}"
  exec /bin/sleep 1
fi
exec /bin/sleep "$@"
`;

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

/** in the workspace: the container-only steps the script asked for and the stand-ins did not apply, a line each */
const CONTAINER_STEPS_FILE = ".benchfleet-container-steps";

/** the container-only steps a run left unapplied (each once, in order), read and cleared for the next run */
export function takeContainerSteps(workspace: string): string[] {
  const file = join(workspace, CONTAINER_STEPS_FILE);
  if (!existsSync(file)) return [];
  const lines = [...new Set(readFileSync(file, "utf8").split("\n").filter(Boolean))];
  rmSync(file, { force: true });
  return lines;
}

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
  /** the agent's `lab-replay` command line (agentic scripts' replay) */
  replay: string[];
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
  exe("engine", `#!/bin/bash\nexec ${i.engine.map(quote).join(" ")} "$@"\n`);
  for (const c of ["python", "python3"]) exe(c, ENGINE_PYTHON);
  for (const c of ENGINE_COMMANDS) exe(c, `#!/bin/bash\n${ENGINE_PORT}exec "$BF_ENGINE" \${port:+--port "$port"}\n`);
  for (const c of NO_OPS) exe(c, "#!/bin/bash\nexit 0\n");
  for (const c of ["hf", "huggingface-cli"]) exe(c, HF);
  exe("rocm-smi", ROCM_SMI);
  exe("mpirun", MPIRUN);
  exe("vllm-router", VLLM_ROUTER);
  for (const c of ["mooncake_master", "lmcache"]) exe(c, SIDE_SERVER);
  exe("sleep", SLEEP);
  // one RDMA device whose port is up, where scripts look for them before sizing Mooncake
  const sysIb = join(ws, ".benchfleet-sys-infiniband");
  mkdirSync(join(sysIb, "mlx5_0", "ports", "1"), { recursive: true });
  writeFileSync(join(sysIb, "mlx5_0", "ports", "1", "state"), "4: ACTIVE\n");
  exe("sed", SED);
  exe("bash", BASH);
  const array = (name: string, argv: string[]) => `${name}=(${argv.map(quote).join(" ")})\n`;
  writeFileSync(
    join(ws, "benchmarks", "benchmark_lib.sh"),
    STAND_IN_LIB +
      STAND_IN_AGENTIC +
      array("BF_LAB_CLIENT", i.client) +
      array("BF_LAB_EVAL", i.evalCommand) +
      array("BF_LAB_REPLAY", i.replay),
  );
  const script = i.spec.argv[1]!;
  const text = readFileSync(join(ws, script), "utf8")
    .replaceAll("/workspace", ws)
    .replaceAll("/sys/class/infiniband", join(ws, ".benchfleet-sys-infiniband"));
  // beside the original, so the script's `$(dirname "$0")/../../benchmark_lib.sh` is the stand-in
  const copy = join(ws, dirname(script), `.benchfleet-${basename(script)}`);
  writeFileSync(copy, text);
  return {
    name: i.spec.name,
    file: "bash",
    args: [copy],
    env: {
      // the workflow's /workspace paths (RESULT_DIR) point into the copy, as the script's do
      ...Object.fromEntries(
        Object.entries(i.spec.env).map(([k, v]) => [
          k,
          v === "/workspace" || v.startsWith("/workspace/") ? ws + v.slice(10) : v,
        ]),
      ),
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      BF_ENGINE: join(bin, "engine"),
      BF_ENGINE_BIN: bin,
      BF_ENGINE_HOST: i.host === "0.0.0.0" ? "127.0.0.1" : i.host,
      HF_HUB_CACHE: join(ws, ".hf-hub-cache"),
      BENCHFLEET_EMULATED: "1",
      BF_WORKSPACE: ws,
      BF_CONTAINER_STEPS: join(ws, CONTAINER_STEPS_FILE),
      BF_REAL_SED: existsSync("/bin/sed") ? "/bin/sed" : "/usr/bin/sed",
      BF_REAL_BASH: existsSync("/bin/bash") ? "/bin/bash" : "/usr/bin/bash",
    },
    cwd: ws,
  };
}
