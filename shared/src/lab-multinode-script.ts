/**
 * Script mode for multi-node rows: the lab's multi-node script (InferenceX
 * `benchmarks/multi_node/<key>-disagg.sh`) runs on a Slurm login node, submits its own Slurm job
 * (the llm-d and AMD submitters print its id; TileRT's `salloc`s one named `$RUNNER_NAME` and
 * blocks), and that job leaves one result JSON per concurrency of `CONC_LIST`, named
 * `$RESULT_FILENAME...json`.
 *
 * The environment has two parts, as in the lab. The workflow's (`benchmark-multinode-tmpl.yml`:
 * its `env:` block, the launch step's RESULT_FILENAME, and the rows' prefill and decode
 * `additional-settings` exported as they are) is here. The runner's (`runners/launch_<runner>.sh`:
 * GITHUB_WORKSPACE, BENCHMARK_LOGS_DIR, SLURM_PARTITION, SLURM_ACCOUNT, GPUS_PER_NODE, MODEL_PATH,
 * MODEL_NAME) depends on the cluster and is `labMultiNodeSiteEnv`, added by the agent that runs it.
 */
import type { Deployment, PoolSpec } from "./deployment.js";
import { labExpName } from "./lab-script.js";

/** a deployment the lab runs with a multi-node script (a Slurm job of its own), not a single-node one */
export function isMultiNodeLab(d: Pick<Deployment, "multinode" | "prefill" | "decode">): boolean {
  return d.multinode || d.prefill !== undefined || d.decode !== undefined;
}

/**
 * Frameworks whose multi-node rows name, in CONFIG_FILE, a recipe of the lab's own submitter rather
 * than an srt-slurm recipe: llm-d's (`benchmarks/multi_node/llm-d-recipes/`, read by llm-d's
 * job.slurm; `launch_gb200-nv.sh` runs the llm-d script for llmd-vllm before its srtctl path).
 */
const OWN_RECIPE_FRAMEWORKS = new Set(["llmd-vllm"]);

export function labSubmitsOwnRecipe(framework: string): boolean {
  return OWN_RECIPE_FRAMEWORKS.has(framework);
}

/** the lab workflow's default `random-range-ratio` input */
const RANDOM_RANGE_RATIO = "0.8";

const poolTag = (p: PoolSpec) =>
  `tp${p.tp}-pp${p.pp}-dcp${p.dcpSize}-pcp${p.pcpSize}-ep${p.ep}-dp${p.dpAttn}-nw${p.numWorker}`;

function pools(d: Deployment): { prefill: PoolSpec; decode: PoolSpec } {
  if (!d.prefill || !d.decode)
    throw new Error(`${d.configKey}: a multi-node lab script needs the row's prefill and decode pools`);
  return { prefill: d.prefill, decode: d.decode };
}

/** the concurrencies of the deployment's points, ascending and once each (the lab's `conc-list`) */
export function labConcList(d: Pick<Deployment, "points">): number[] {
  return [...new Set(d.points.map((p) => p.concurrency))].sort((a, b) => a - b);
}

/** the multi-node workflow's RESULT_FILENAME: the result files of the job are `<it>_*.json` */
export function labMultiNodeResultFilename(d: Deployment, runnerName: string): string {
  const { prefill, decode } = pools(d);
  return (
    `${labExpName(d)}_${d.precision}_${d.framework}_prefill-${poolTag(prefill)}_decode-${poolTag(decode)}` +
    `_disagg-${d.disagg}_spec-${d.specDecoding}_conc${labConcList(d).join("x")}_${runnerName}`
  );
}

/** `KEY=VALUE` entries of the pools' additional-settings, as the workflow's `export` takes them */
function additionalSettings(d: Deployment, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  const { prefill, decode } = pools(d);
  for (const [pool, p] of [
    ["prefill", prefill],
    ["decode", decode],
  ] as const) {
    for (const s of p.additionalSettings) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(s);
      if (!m) throw new Error(`${where}: ${pool}.additional-settings entry "${s}" is not KEY=VALUE`);
      env[m[1]!] = m[2]!;
    }
  }
  return env;
}

export interface LabMultiNodeEnvOptions {
  /** the runner's name (the lab's `RUNNER_NAME`): TileRT names its allocation so; the result files end with it */
  runnerName: string;
  /** the concurrencies the lab's eval runs at (RUN_EVAL=true, EVAL_CONC the highest); absent: no eval */
  evalConcs?: readonly number[];
}

/**
 * The workflow's environment for a multi-node script, in the order of its `env:` block, then the
 * launch step's RESULT_FILENAME and IS_MULTINODE, then the rows' additional-settings (values as
 * GitHub Actions renders them: booleans `true`/`false`).
 */
export function labMultiNodeScriptEnv(d: Deployment, o: LabMultiNodeEnvOptions): Record<string, string> {
  const { prefill, decode } = pools(d);
  const evalConc = o.evalConcs?.length ? String(Math.max(...o.evalConcs)) : "";
  const pool = (name: "PREFILL" | "DECODE", p: PoolSpec) => ({
    [`${name}_NUM_WORKERS`]: String(p.numWorker),
    [`${name}_TP`]: String(p.tp),
    [`${name}_PP_SIZE`]: String(p.pp),
    [`${name}_DCP_SIZE`]: String(p.dcpSize),
    [`${name}_PCP_SIZE`]: String(p.pcpSize),
    [`${name}_EP`]: String(p.ep),
    [`${name}_DP_ATTN`]: String(p.dpAttn),
  });
  return {
    RANDOM_RANGE_RATIO,
    EXP_NAME: labExpName(d),
    IMAGE: d.image,
    MODEL_PREFIX: d.modelPrefix,
    MODEL: d.model,
    FRAMEWORK: d.framework,
    PRECISION: d.precision,
    ISL: String(d.isl),
    OSL: String(d.osl),
    ...(d.maxModelLen ? { MAX_MODEL_LEN: String(d.maxModelLen) } : {}),
    CONC_LIST: labConcList(d).join(" "),
    SPEC_DECODING: d.specDecoding,
    DISAGG: String(d.disagg),
    PREFILL_HARDWARE: prefill.hardware ?? d.sku,
    DECODE_HARDWARE: decode.hardware ?? d.sku,
    RUN_EVAL: String(evalConc !== ""),
    EVAL_ONLY: "false",
    EVAL_CONC: evalConc,
    ...(d.evalLimit ? { EVAL_LIMIT: String(d.evalLimit) } : {}),
    SCENARIO_TYPE: "fixed-seq-len",
    SCENARIO_SUBDIR: "fixed_seq_len/",
    IS_AGENTIC: "0",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONPYCACHEPREFIX: "/tmp/inferencex-pycache",
    ...pool("PREFILL", prefill),
    ...pool("DECODE", decode),
    RUNNER_NAME: o.runnerName,
    RUNNER_TYPE: d.runner,
    RESULT_FILENAME: labMultiNodeResultFilename(d, o.runnerName),
    IS_MULTINODE: "true",
    ...additionalSettings(d, `${d.configKey}`),
  };
}

export interface LabSiteOptions {
  /** the attempt's copy of the lab checkout on the login node (a file system the compute nodes share) */
  workspace: string;
  partition: string;
  /** the Slurm account; absent: `user` (as the AMD runner launcher sets it) */
  account?: string;
  /** the login node's user */
  user: string;
  gpusPerNode: number;
  vendor: "nvidia" | "amd";
}

/**
 * What the lab's runner launcher exports before it runs a multi-node script: the workspace, the
 * log directory the submitters write `slurm_job-<id>.out` and the results into, the partition and
 * account (the llm-d and AMD submitters refuse an empty one), GPUs per node, and the model (its
 * id: the launchers' fallback when a cluster has no local copy; AMD's name is the id's last part).
 * Values the workflow env already holds (a row's additional-settings) win.
 */
export function labMultiNodeSiteEnv(d: Deployment, o: LabSiteOptions): Record<string, string> {
  return {
    GITHUB_WORKSPACE: o.workspace,
    BENCHMARK_LOGS_DIR: `${o.workspace}/benchmark_logs`,
    SLURM_PARTITION: o.partition,
    SLURM_ACCOUNT: o.account ?? o.user,
    GPUS_PER_NODE: String(o.gpusPerNode),
    MODEL_PATH: d.model,
    MODEL_NAME: o.vendor === "amd" ? (d.model.split("/").pop() ?? d.model) : d.model,
  };
}
