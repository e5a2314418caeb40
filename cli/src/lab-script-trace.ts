/**
 * Runs an InferenceX single-node benchmark script with every command that would touch a GPU, the
 * network or the machine replaced by a stub, and records the server command it starts: its argv,
 * the environment it inherits and, for TensorRT-LLM, the options file it names. The script runs
 * under bash as the lab's workflow runs it (the same env contract: MODEL, TP, EP_SIZE, CONC, ...),
 * in a scratch copy of its folder whose `benchmark_lib.sh` is a stub: `wait_for_server_ready`
 * ends the script once the server has been recorded. So conditions on ISL/OSL/TP/EP/CONC, arrays,
 * arithmetic and heredocs are evaluated by bash itself, not re-implemented.
 *
 * Agentic scripts (benchmarks/single_node/agentic/) get the agentic env contract (KV_OFFLOADING,
 * KV_OFFLOAD_BACKEND, TOTAL_CPU_DRAM_GB, DURATION, DCP_SIZE) and stand-ins for the library's agentic
 * helpers; the side servers they start before the engine (`mooncake_master`, `lmcache server`) are
 * recorded with their argv, the store config the engine is pointed at (MOONCAKE_CONFIG_PATH) with
 * its text. The node facts scripts check are stood in for: one active RDMA port (`mlx5_0`), room
 * in /dev/shm, AMD GPUs with free memory on a MEC firmware older than the scripts' 177 cut.
 *
 * Steps that patch the container's image are recorded as trace events and never run: an in-place
 * `sed -i` on a file outside the scratch folder (its target and expression), and a file of the
 * script's own folder that the script runs with bash or python3 (`apply_k3_container_patches.sh`:
 * its name and sha256). A `sed` that reads a file the image has and this machine does not prints
 * nothing, as on an image not yet patched. `hf download REPO --local-dir DIR` stages a checkpoint
 * in DIR when DIR is inside the scratch folder (a config.json and one shard) so the scripts'
 * staged-checkpoint checks pass, and a value naming DIR is traced as REPO: the server loads that
 * repository's checkpoint wherever it was staged.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { parseServerArgv, type ServerCommand } from "@benchfleet/recipes";
import { labAgenticEnv } from "@benchfleet/shared";

/** The values the lab's workflow passes to a benchmark script for one point. */
export interface ScriptInputs {
  model: string;
  isl: number;
  osl: number;
  tp: number;
  ep: number;
  dpAttn: boolean;
  conc: number;
  maxModelLen: number;
  precision: string;
  framework: string;
  spec: "mtp" | "none";
  /** agentic rows: the offload the row asks for, its DRAM budget and duration */
  agentic?: ScriptAgenticInputs;
}

export interface ScriptAgenticInputs {
  kvOffloading: "none" | "dram";
  /** KV_OFFLOAD_BACKEND: the backend's name as the master config writes it; empty without offload */
  backend?: string;
  totalCpuDramGb: number;
  durationS: number;
  dcp: number;
}

export interface ScriptTrace {
  command: ServerCommand;
  /** commands run before the server that change its image or are unknown here (`pip install ...`) */
  setup: string[];
  /** the argv as the script ran it (wrappers such as mpirun included) */
  argv: string[];
  /** side servers the script started before the engine (`mooncake_master ...`), in start order */
  side: string[][];
  /** the text of the store config the engine's MOONCAKE_CONFIG_PATH names, when the script wrote one */
  mooncakeConfig?: string;
  /** steps that patch the container's image before the server starts, in the order they ran; none was run */
  patches: ContainerPatch[];
  /**
   * agentic scripts: the variables the lab's `build_replay_cmd` reads (AIPERF_*, AGENTIC_*,
   * DURATION, MAX_MODEL_LEN) as they are when the script calls it, or why the trace did not get there
   */
  client?: { env: Record<string, string> } | { error: string };
}

/** One step of a script that changes the container's image (recorded, not run). */
export type ContainerPatch =
  /** `sed -i EXPRESSION FILE`: an in-place edit of a file of the image */
  | { kind: "sed"; file: string; expression: string }
  /** a file of the script's folder run by `runner` (`bash apply_k3_container_patches.sh`) */
  | { kind: "script"; runner: string; name: string; sha256: string };

/** How a patch step reads in the census and in a preset's not-reproduced note, which starts with its target. */
export function describePatch(p: ContainerPatch): { target: string; what: string } {
  if (p.kind === "sed") {
    const expr = p.expression.replace(/\s+/g, " ").trim();
    return { target: p.file, what: `sed -i '${expr.length > 60 ? `${expr.slice(0, 57)}...` : expr}'` };
  }
  return { target: p.name, what: `${p.runner} ${p.name} (sha256 ${p.sha256})` };
}

/** The stand-in for the script's scratch folder in traced values (paths into the copy of the lab tree). */
export const LAB_ROOT_TOKEN = "$LAB";

const RECORD = `#!/bin/bash
# records the server command, its environment and its options file, then exits as if served
out="$TRACE_OUT"
printf '%s\\0' "$@" > "$out/argv"
env -0 > "$out/env"
prev=""
for a in "$@"; do
  case "$prev" in --config|--extra_llm_api_options|--extra-llm-api-options) [ -f "$a" ] && cp "$a" "$out/config.yaml";; esac
  case "$a" in --config=*|--extra_llm_api_options=*) f="\${a#*=}"; [ -f "$f" ] && cp "$f" "$out/config.yaml";; esac
  prev="$a"
done
[ -n "\${MOONCAKE_CONFIG_PATH:-}" ] && [ -f "$MOONCAKE_CONFIG_PATH" ] && cp "$MOONCAKE_CONFIG_PATH" "$out/mooncake.json"
exit 0
`;

/** a side server: records its argv, then stays up (the script checks it with kill -0) until the trace ends */
const SIDE = `#!/bin/bash
f=$(mktemp "$TRACE_OUT/side.XXXXXX")
printf '%s\\0' "$(basename "$0")" "$@" > "$f"
mv "$f" "$TRACE_OUT/side-$(date +%s%N)-$$"
for _ in $(seq 1500); do
  { [ -f "$TRACE_OUT/done" ] || [ ! -d "$TRACE_OUT" ]; } && exit 0
  /bin/sleep 0.02
done
exit 0
`;

/** records a file of the traced script's folder run by $1 as a container patch step; true if it was one */
const PATCH_SCRIPT = `
record_patch_script() {
  local runner="$1" f="$2" dir
  [ -n "$f" ] && [ -f "$f" ] || return 1
  dir=$(cd "$(dirname "$f")" && pwd -P)
  [ "$dir" = "$TRACE_SCRIPT_DIR" ] && [ "$(basename "$f")" != "$TRACE_SCRIPT_NAME" ] || return 1
  local out; out=$(mktemp "$TRACE_OUT/patch.XXXXXX")
  printf '%s\\0' script "$runner" "$(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)" > "$out"
  mv "$out" "$TRACE_OUT/patch-$(date +%s%N)-$$"
}
`;

const PYTHON = `#!/bin/bash
${PATCH_SCRIPT}
while [ "\${1:-}" = "-u" ] || [ "\${1:-}" = "-B" ]; do shift; done
record_patch_script python3 "\${1:-}" && exit 0
# a program on stdin that resolves a model's cached snapshot: the model is in the cache
if [ "$1" = "-" ] && [ -n "\${2:-}" ] && grep -q snapshots; then echo "$2/snapshots/trace"; exit 0; fi
if [ "$1" = "-m" ] && { [ "$2" = "sglang.launch_server" ] || [ "$2" = "atom.entrypoints.openai_server" ]; }; then
  exec "$TRACE_BIN/.record" python3 "$@"
fi
echo "python3 $*" >> "$TRACE_OUT/setup"
exit 0
`;

/** bash: a file of the traced script's folder is a container patch step; anything else runs */
const BASH = `#!/bin/bash
${PATCH_SCRIPT}
f=""
for a in "$@"; do case "$a" in -c) break;; -*) ;; *) f="$a"; break;; esac; done
record_patch_script bash "$f" && exit 0
exec /bin/bash "$@"
`;

/**
 * sed: an in-place edit of a file outside the scratch folder is a container patch step, recorded
 * and not run; reading a file that is not on this machine (a path of the image) prints nothing;
 * anything else is the real sed.
 */
const SED = `#!/bin/bash
orig=("$@")
inplace=0; expr=""; have=0; files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; files+=("$@"); break;;
    -i*|--in-place*) inplace=1; shift;;
    -e|--expression) expr+="\${expr:+$'\\n'}$2"; have=1; shift 2;;
    --expression=*) expr+="\${expr:+$'\\n'}\${1#*=}"; have=1; shift;;
    -f|--file) expr+="\${expr:+$'\\n'}$(cat "$2")"; have=1; shift 2;;
    -l|--line-length) shift 2;;
    --*) shift;;
    -*) o="\${1#-}"; shift
        case "$o" in *i*) inplace=1;; esac
        case "$o" in *e) expr+="\${expr:+$'\\n'}$1"; have=1; shift;; esac;;
    *) if [ "$have" = 0 ]; then expr="$1"; have=1; else files+=("$1"); fi; shift;;
  esac
done
real=/bin/sed; [ -x /usr/bin/sed ] && real=/usr/bin/sed
if [ "$inplace" = 1 ]; then
  outside=0
  for f in "\${files[@]}"; do case "$(realpath -m "$f")" in "$TRACE_ROOT"/*) ;; *) outside=1;; esac; done
  if [ "$outside" = 1 ]; then
    for f in "\${files[@]}"; do
      out=$(mktemp "$TRACE_OUT/patch.XXXXXX")
      printf '%s\\0' sed "$f" "$expr" > "$out"
      mv "$out" "$TRACE_OUT/patch-$(date +%s%N)-$$"
    done
    exit 0
  fi
fi
for f in "\${files[@]}"; do [ -e "$f" ] || exit 0; done
exec "$real" "\${orig[@]}"
`;

/**
 * `hf download REPO [--local-dir DIR]`: records where REPO went and, when DIR is inside the scratch
 * folder (never elsewhere on this machine), stages it as a complete checkpoint
 */
const HF = `#!/bin/bash
[ "\${1:-}" = "download" ] || exit 0
shift; repo=""; dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local-dir) dir="$2"; shift 2;;
    --local-dir=*) dir="\${1#*=}"; shift;;
    --*) shift;;
    *) [ -z "$repo" ] && repo="$1"; shift;;
  esac
done
[ -n "$dir" ] && [ -n "$repo" ] || exit 0
abs=$(realpath -m "$dir")
case "$abs" in
  "$TRACE_ROOT"/*)
    mkdir -p "$dir"
    [ -f "$dir/config.json" ] || echo '{}' > "$dir/config.json"
    ls "$dir"/*.safetensors >/dev/null 2>&1 || : > "$dir/model.safetensors";;
esac
out=$(mktemp "$TRACE_OUT/staged.XXXXXX")
printf '%s\\0' "$dir" "$abs" "$repo" > "$out"
exit 0
`;

const MPIRUN = `#!/bin/bash
# drops mpirun's own options and runs the command it wraps
while [ $# -gt 0 ]; do
  case "$1" in
    -n|-np|-N|-x|--bind-to|--map-by|--mca|-H|--host|--hostfile) shift 2;;
    -*) shift;;
    *) break;;
  esac
done
exec "$@"
`;

const LIB = `# stand-in for benchmarks/benchmark_lib.sh: no GPU monitor, no download, no benchmark
export PORT="\${PORT:-8888}"
check_env_vars() { :; }
start_gpu_monitor() { :; }
stop_gpu_monitor() { :; }
setup_eval_context() { EVAL_MAX_MODEL_LEN="$MAX_MODEL_LEN"; }
compute_eval_context_length() { echo "$MAX_MODEL_LEN"; }
get_native_max_context_length() { echo "$MAX_MODEL_LEN"; }
wait_for_gpu_clean() { :; }
wait_for_amd_gpu_clean() { :; }
# the engine is up: an agentic script goes on to its client (build_replay_cmd records what it
# reads), any other ends here
server_up() {
  touch "$TRACE_OUT/done"; wait
  if [ "\${IS_AGENTIC:-0}" = "1" ] && [ -f "$TRACE_OUT/argv" ]; then touch "$TRACE_OUT/up"; return 0; fi
  exit 0
}
wait_for_server_ready() { server_up; }
# the engine's wait is server_up; a side server's (its --pid one the side stub recorded) returns
wait_for_ready() {
  local pid=""
  while [ $# -gt 0 ]; do case "$1" in --pid) pid="$2"; shift 2;; *) shift;; esac; done
  for _ in $(seq 500); do
    if [ -n "$pid" ] && ls "$TRACE_OUT"/side-*-"$pid" >/dev/null 2>&1; then return 0; fi
    if [ -f "$TRACE_OUT/argv" ]; then break; fi
    /bin/sleep 0.01
  done
  server_up
}
run_benchmark_serving() { wait; exit 0; }
run_eval() { :; }
append_lm_eval_summary() { :; }
command_not_found_handle() { echo "(not a command here) $*" >> "$TRACE_OUT/setup"; return 0; }
# agentic helpers: the offload checks keep their meaning (scripts branch on them); the rest do nothing
if [ "\${IS_AGENTIC:-0}" = "1" ]; then unset MAX_MODEL_LEN; fi
agentic_kv_offload_enabled() { [ "\${KV_OFFLOADING:-none}" != "none" ]; }
require_agentic_kv_offload_none() {
  if agentic_kv_offload_enabled || [ -n "\${KV_OFFLOAD_BACKEND:-}" ]; then echo "trace: offload asked of a none-only branch" >&2; exit 1; fi
}
require_agentic_kv_offload_backend() {
  if ! agentic_kv_offload_enabled; then return 1; fi
  if [ "\${KV_OFFLOAD_BACKEND:-}" != "$1" ]; then echo "trace: backend \${KV_OFFLOAD_BACKEND:-} where the script wants $1" >&2; exit 1; fi
  return 0
}
resolve_trace_source() { :; }
install_agentic_deps() { :; }
agentic_pip_install() { echo "pip install $*" >> "$TRACE_OUT/setup"; }
stop_background_process_tree() { :; }
write_command() { :; }
append_command() { :; }
# the lab's client settings as benchmark_lib.sh sets them when sourced (plain variables, not exported)
AIPERF_FAILED_REQUEST_THRESHOLD="\${AIPERF_FAILED_REQUEST_THRESHOLD:-0.10}"
AIPERF_LIVE_FAILED_REQUEST_THRESHOLD="\${AIPERF_LIVE_FAILED_REQUEST_THRESHOLD:-$AIPERF_FAILED_REQUEST_THRESHOLD}"
AIPERF_TRACE_IDLE_GAP_CAP_SECONDS="\${AIPERF_TRACE_IDLE_GAP_CAP_SECONDS:-300}"
# records the variables build_replay_cmd reads (set or exported) when the script calls it
build_replay_cmd() {
  local v
  for v in $(compgen -v); do
    case "$v" in AIPERF_*|AGENTIC_*|DURATION|MAX_MODEL_LEN) printf '%s=%s\\0' "$v" "\${!v}";; esac
  done > "$TRACE_OUT/client-env"
}
run_agentic_replay_and_write_outputs() { touch "$TRACE_OUT/done"; wait; exit 0; }
`;

/** stubs that do nothing: downloads, GPU tools, waits */
const STUB_COMMANDS = ["nvidia-smi", "amd-smi", "curl", "wget", "sleep"];
/**
 * `rocm-smi`: GPUs whose memory is free, and a MEC firmware version the scripts read as unknown-old
 * (0: they set their RCCL reclaim workaround, as they do when rocm-smi prints nothing)
 */
const ROCM_SMI = `#!/bin/bash\necho "GPU[0]          : GPU Memory Allocated (VRAM%): 0"\necho "GPU[0]          : MEC firmware version: 0"\n`;
/** `df`: the node's filesystems have room (scripts check /dev/shm before sizing a host cache in it) */
const DF = `#!/bin/bash\necho "Avail"\necho "8192G"\n`;
/** stubs for commands that change the image before the server starts: recorded as setup */
const SETUP_COMMANDS = ["pip", "pip3", "apt-get", "git"];
const SERVER_COMMANDS = ["vllm", "sglang", "trtllm-serve"];
/** servers an agentic script starts beside the engine */
const SIDE_COMMANDS = ["mooncake_master", "lmcache"];

/**
 * Traces `script` (a file in a lab checkout's `benchmarks/single_node/<subdir>/`) for one point.
 * Throws when the script exits non-zero or starts no known server, with its stderr's tail.
 */
export function traceLabScript(script: string, inputs: ScriptInputs): ScriptTrace {
  const root = mkdtempSync(join(tmpdir(), "benchfleet-trace-"));
  try {
    const bin = join(root, "bin");
    const out = join(root, "out");
    const sub = basename(dirname(script));
    const scriptDir = join(root, "benchmarks", "single_node", sub);
    const work = join(root, "workspace");
    for (const d of [bin, out, scriptDir, work]) mkdirSync(d, { recursive: true });
    const exe = (name: string, text: string) => {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    };
    exe(".record", RECORD);
    for (const c of SERVER_COMMANDS) exe(c, `#!/bin/bash\nexec "$TRACE_BIN/.record" ${c} "$@"\n`);
    for (const c of ["python", "python3"]) exe(c, PYTHON);
    exe("mpirun", MPIRUN);
    exe("bash", BASH);
    exe("sed", SED);
    for (const c of ["hf", "huggingface-cli"]) exe(c, HF);
    for (const c of STUB_COMMANDS) exe(c, "#!/bin/bash\nexit 0\n");
    for (const c of SETUP_COMMANDS) exe(c, `#!/bin/bash\necho "${c} $*" >> "$TRACE_OUT/setup"\nexit 0\n`);
    for (const c of SIDE_COMMANDS) exe(c, SIDE);
    exe("df", DF);
    exe("rocm-smi", ROCM_SMI);
    writeFileSync(join(root, "benchmarks", "benchmark_lib.sh"), LIB);
    // one RDMA device whose port is up, where the scripts look for them
    const sysIb = join(root, "sys-infiniband");
    mkdirSync(join(sysIb, "mlx5_0", "ports", "1"), { recursive: true });
    writeFileSync(join(sysIb, "mlx5_0", "ports", "1", "state"), "4: ACTIVE\n");
    // the scripts write logs under /workspace: the scratch copy writes them in the scratch folder
    const text = readFileSync(script, "utf8").replaceAll("/workspace", work).replaceAll("/sys/class/infiniband", sysIb);
    const copy = join(scriptDir, basename(script));
    writeFileSync(copy, text);
    // the files of its folder the script names (patch scripts and programs) are there, unchanged
    for (const m of text.matchAll(/\$\(dirname "\$0"\)\/(\w[\w.-]*)(?![\w./-])/g)) {
      const sibling = join(dirname(script), m[1]!);
      if (m[1] !== basename(script) && existsSync(sibling)) copyFileSync(sibling, join(scriptDir, m[1]!));
    }
    const envIn = scriptEnv(inputs, {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: root,
      TRACE_OUT: out,
      TRACE_BIN: bin,
      TRACE_ROOT: realpathSync(root),
      TRACE_SCRIPT_DIR: realpathSync(scriptDir),
      TRACE_SCRIPT_NAME: basename(script),
    });
    const run = spawnSync("bash", [copy], { cwd: work, env: envIn, encoding: "utf8", timeout: 30_000 });
    const argvFile = join(out, "argv");
    const last = (t: string | undefined, n: number) => (t ?? "").trim().split("\n").slice(-n).join("\n");
    const tail = [last(run.stdout, 4), last(`${run.stderr ?? ""}${run.error ? String(run.error) : ""}`, 6)]
      .filter(Boolean)
      .join("\n");
    // an agentic script that failed after its server was up failed on its way to the client
    const up = existsSync(join(out, "up"));
    if ((run.status !== 0 && !up) || !existsSync(argvFile)) {
      throw new Error(
        `${script}: ${run.status !== 0 ? `exited ${run.status ?? run.signal}` : "started no server"} for ${describe(inputs)}${tail ? `:\n${tail}` : ""}`,
      );
    }
    const staged = readdirSync(out)
      .filter((n) => n.startsWith("staged."))
      .map((n) => readFileSync(join(out, n), "utf8").split("\0").slice(0, 3) as [string, string, string]);
    const unroot = (s: string) =>
      unstage(s.replaceAll(join(root, "benchmarks"), `${LAB_ROOT_TOKEN}/benchmarks`), staged);
    const argv = readFileSync(argvFile, "utf8").split("\0").slice(0, -1).map(unroot);
    const envOut = Object.fromEntries(
      readFileSync(join(out, "env"), "utf8")
        .split("\0")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), unroot(l.slice(l.indexOf("=") + 1))] as const),
    );
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(envOut))
      if (!HARNESS_ENV.has(k) && !k.startsWith("BASH_FUNC_") && envIn[k] !== v) env[k] = v;
    const configFile = join(out, "config.yaml");
    const config = existsSync(configFile) ? readFileSync(configFile, "utf8") : undefined;
    const command = parseServerArgv(argv, env, config);
    if (!command) throw new Error(`${script}: the recorded command is not a known server: ${argv.join(" ")}`);
    const setupFile = join(out, "setup");
    const setup = existsSync(setupFile) ? readFileSync(setupFile, "utf8").split("\n").filter(Boolean).map(unroot) : [];
    const side = readdirSync(out)
      .filter((n) => n.startsWith("side-"))
      .sort()
      .map((n) => readFileSync(join(out, n), "utf8").split("\0").slice(0, -1).map(unroot));
    const mooncakeFile = join(out, "mooncake.json");
    const mooncakeConfig = existsSync(mooncakeFile) ? readFileSync(mooncakeFile, "utf8") : undefined;
    const patches = readdirSync(out)
      .filter((n) => n.startsWith("patch-"))
      .sort()
      .map((n) => readPatch(readFileSync(join(out, n), "utf8").split("\0").slice(0, -1)));
    const client = up ? clientOf(join(out, "client-env"), run.status, tail) : undefined;
    return {
      command,
      argv,
      setup,
      side,
      patches,
      ...(mooncakeConfig !== undefined ? { mooncakeConfig } : {}),
      ...(client ? { client } : {}),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** What the script's client was given, from the file build_replay_cmd's stand-in wrote. */
function clientOf(file: string, status: number | null, tail: string): ScriptTrace["client"] {
  if (!existsSync(file))
    return {
      error:
        status !== 0
          ? `exited ${status} after its server was up${tail ? `: ${tail.split("\n").at(-1)}` : ""}`
          : "never called build_replay_cmd",
    };
  const env: Record<string, string> = {};
  for (const l of readFileSync(file, "utf8").split("\0"))
    if (l.includes("=")) env[l.slice(0, l.indexOf("="))] = l.slice(l.indexOf("=") + 1);
  return { env };
}

/** Env the harness or the shell sets, never the script's choice. */
const HARNESS_ENV = new Set([
  "PWD",
  "OLDPWD",
  "SHLVL",
  "_",
  "TRACE_OUT",
  "TRACE_BIN",
  "TRACE_ROOT",
  "TRACE_SCRIPT_DIR",
  "TRACE_SCRIPT_NAME",
  "PATH",
  "HOME",
  "PORT",
]);

function readPatch(fields: string[]): ContainerPatch {
  const [kind, a = "", b = "", c = ""] = fields;
  return kind === "sed" ? { kind, file: a, expression: b } : { kind: "script", runner: a, name: b, sha256: c };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A value naming a directory `hf download REPO --local-dir DIR` staged names REPO instead (as given or absolute). */
function unstage(s: string, staged: readonly [string, string, string][]): string {
  let out = s;
  for (const [dir, abs, repo] of staged) {
    for (const d of new Set([abs, dir.replace(/\/+$/, "")])) {
      out = out.replace(new RegExp(`(^|["'=\\s,:])${escapeRe(d)}/?(?=$|["'\\s,])`, "g"), `$1${repo}`);
    }
  }
  return out;
}

function describe(i: ScriptInputs): string {
  const a = i.agentic;
  const offload = a ? ` KV_OFFLOADING=${a.kvOffloading}${a.backend ? ` KV_OFFLOAD_BACKEND=${a.backend}` : ""}` : "";
  return `ISL=${i.isl} OSL=${i.osl} TP=${i.tp} EP_SIZE=${i.ep} DP_ATTENTION=${i.dpAttn} CONC=${i.conc}${offload}`;
}

/** The lab workflow's env contract (.github/workflows/benchmark-tmpl.yml) for one point. */
function scriptEnv(i: ScriptInputs, extra: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    MODEL: i.model,
    ISL: String(i.isl),
    OSL: String(i.osl),
    MAX_MODEL_LEN: String(i.maxModelLen),
    TP: String(i.tp),
    EP_SIZE: String(i.ep),
    DP_ATTENTION: String(i.dpAttn),
    CONC: String(i.conc),
    PRECISION: i.precision,
    FRAMEWORK: i.framework,
    SPEC_DECODING: i.spec,
    PP_SIZE: "1",
    DCP_SIZE: "1",
    PCP_SIZE: "1",
    DISAGG: "false",
    RUN_EVAL: "false",
    EVAL_ONLY: "false",
    RANDOM_RANGE_RATIO: "0.8",
    RESULT_FILENAME: "result",
    RESULT_DIR: "results",
    SCENARIO_SUBDIR: "fixed_seq_len/",
    IS_AGENTIC: "0",
    ...(i.agentic ? agenticEnv(i.agentic) : {}),
  };
}

/** The agentic part of the contract (benchmark-tmpl.yml's agentic-coding env; lab-agentic-script.ts in shared). */
function agenticEnv(a: ScriptAgenticInputs): Record<string, string> {
  return {
    ...labAgenticEnv({
      kvOffloading: a.kvOffloading,
      ...(a.backend ? { backend: { name: a.backend } } : {}),
      totalCpuDramGb: a.totalCpuDramGb,
      durationS: a.durationS,
    }),
    DCP_SIZE: String(a.dcp),
  };
}

/**
 * The script a single-node row runs, as the lab's runner launchers pick it: first
 * `<model>_<precision>_<sku>_<framework>[_mtp].sh`, then the older name with `_trt`/`_atom` only.
 */
export function labScriptFor(
  scriptDir: string,
  key: { model: string; precision: string; sku: string; framework: string; spec: string },
): string | undefined {
  const base = `${key.model}_${key.precision}_${key.sku}`;
  const mtp = key.spec === "mtp" ? "_mtp" : "";
  const legacy = key.framework === "trt" || key.framework === "atom" ? `_${key.framework}` : "";
  for (const name of [`${base}_${key.framework}${mtp}.sh`, `${base}${legacy}${mtp}.sh`]) {
    const p = join(scriptDir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
