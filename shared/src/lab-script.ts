/**
 * Script mode: a deployment whose points each run the reference lab's own benchmark script for the
 * row's key (InferenceX `benchmarks/single_node/fixed_seq_len/<key>.sh`) instead of a benchfleet
 * recipe. The script starts the engine, runs the lab's client and writes `$RESULT_FILENAME.json`;
 * that JSON becomes the point, marked `measuredBy: "lab-script"`.
 *
 * The environment is the contract the lab's workflow gives a script (`benchmark-tmpl.yml`: its
 * `env:` block and the launch step's RESULT_FILENAME and GPU_COUNT; the runner launcher's PORT),
 * for one concurrency per run, as the lab's matrix has one single-node job per point. The lab's
 * eval runs (RUN_EVAL=true) in the runs at the concurrencies eval selection chose, as the lab's
 * generator marks those entries; its results are stored as the deployment's eval results.
 */
import { createHash } from "node:crypto";
import type { Deployment, LabScriptRef, LoadPoint } from "./deployment.js";
import { LAB_AGENTIC_DIR, labAgenticEnv, labAgenticExpName, labAgenticInputs } from "./lab-agentic-script.js";
import { type PointResult, VllmBenchResult } from "./results.js";

/** where the lab keeps its single-node fixed-seq-len and multi-node scripts, from the checkout's root */
export const LAB_SINGLE_NODE_DIR = "benchmarks/single_node/fixed_seq_len";
export const LAB_MULTI_NODE_DIR = "benchmarks/multi_node";

/** the lab workflow's default `random-range-ratio` input */
const RANDOM_RANGE_RATIO = "0.8";
/** the port the lab's runner launchers give the script's server */
export const LAB_SCRIPT_PORT = 8888;
/** the lab's `HF_HUB_CACHE` inside the container */
export const LAB_HF_HUB_CACHE = "/mnt/hf_hub_cache/";

/**
 * The scripts a deployment's key may run, first match wins, as the lab's runner launchers name
 * them: single-node `<model>_<precision>_<sku>_<framework>[_mtp].sh`, then the older name with only
 * `_trt`/`_atom`, in the scenario's folder (`$SCENARIO_SUBDIR`: `fixed_seq_len/` or `agentic/`);
 * multi-node `<model>_<precision>_<sku>_<framework>[-disagg].sh`.
 */
export function labScriptCandidates(
  d: Pick<Deployment, "modelPrefix" | "precision" | "sku" | "framework" | "multinode" | "specDecoding" | "scenario">,
): string[] {
  const base = `${d.modelPrefix}_${d.precision}_${d.sku}`;
  if (d.multinode) {
    const fw = d.framework;
    const names = [`${base}_${fw}.sh`];
    if (!fw.endsWith("-disagg")) names.push(`${base}_${fw}-disagg.sh`);
    return names.map((n) => `${LAB_MULTI_NODE_DIR}/${n}`);
  }
  const mtp = d.specDecoding === "mtp" ? "_mtp" : "";
  const legacy = d.framework === "trt" || d.framework === "atom" ? `_${d.framework}` : "";
  const dir = d.scenario === "agentic-coding" ? LAB_AGENTIC_DIR : LAB_SINGLE_NODE_DIR;
  return [`${base}_${d.framework}${mtp}.sh`, `${base}${legacy}${mtp}.sh`].map((n) => `${dir}/${n}`);
}

/** sha256 of a script's text, as stored in `LabScriptRef.sha256` */
export function labScriptHash(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The deployment in script mode with `ref` stored: the fingerprint is derived from the planned one
 * and the script's path and hash, so a changed script makes a new deployment. Its eval selection
 * is kept: the lab's script evaluates at those concurrencies (RUN_EVAL).
 */
export function withLabScript(d: Deployment, ref: LabScriptRef): Deployment {
  const fingerprint = createHash("sha256")
    .update(`${d.fingerprint}\nlab-script ${ref.path} ${ref.sha256}`)
    .digest("hex");
  return { ...d, mode: "script", labScript: ref, fingerprint };
}

/**
 * The concurrencies at which the lab's script evaluates (RUN_EVAL=true) in a deployment that
 * evaluates: those eval selection chose, else the highest of its points (the lab's eval entries
 * are its highest eligible concurrency).
 */
export function labEvalConcs(d: Pick<Deployment, "eval" | "evalConc" | "evalConcs" | "points">): number[] {
  if (!d.eval) return [];
  if (d.evalConcs?.length) return [...d.evalConcs];
  if (d.evalConc !== undefined) return [d.evalConc];
  const concs = d.points.map((p) => p.concurrency);
  return concs.length ? [Math.max(...concs)] : [];
}

/** the lab generator's `exp-name`: `<model-prefix>_<1k1k|8k1k|<isl>_<osl>>` */
export function labExpName(d: Pick<Deployment, "modelPrefix" | "isl" | "osl">): string {
  const short: Record<string, string> = { "1024/1024": "1k1k", "8192/1024": "8k1k" };
  return `${d.modelPrefix}_${short[`${d.isl}/${d.osl}`] ?? `${d.isl}_${d.osl}`}`;
}

/** the matrix entry's `exp-name` for one concurrency: agentic names embed it */
function expNameAt(d: Deployment, conc: number): string {
  const a = labAgenticInputs(d);
  return a ? labAgenticExpName(d, a, conc) : labExpName(d);
}

/** the workflow's RESULT_FILENAME (without `.json`) for one concurrency on runner `runnerName` */
export function labResultFilename(d: Deployment, conc: number, runnerName: string): string {
  const e = labEnvFacts(d);
  return (
    `${expNameAt(d, conc)}_${d.precision}_${d.framework}_tp${e.tp}-pp${e.pp}-dcp${e.dcp}-pcp${e.pcp}-ep${e.ep}` +
    `-dpa${e.dpa}_disagg-${d.disagg}_spec-${d.specDecoding}_conc${conc}_${runnerName}`
  );
}

function labEnvFacts(d: Deployment) {
  return {
    tp: d.tp ?? 1,
    pp: d.pp ?? 1,
    dcp: d.dcpSize ?? 1,
    pcp: d.pcpSize ?? 1,
    ep: d.ep ?? 1,
    dpa: d.dpAttn ?? false,
  };
}

export interface LabScriptEnvOptions {
  /** the runner's name (the lab's `RUNNER_NAME`, e.g. `h200-cw_0`): the result file name ends with it */
  runnerName: string;
  port?: number;
  hfHubCache?: string;
  /** the run evaluates too (RUN_EVAL=true): its concurrency is one the eval runs at */
  runEval?: boolean;
}

/**
 * The environment the lab's workflow gives a single-node script for one concurrency, in the order
 * of its `env:` block (values as GitHub Actions renders them: booleans `true`/`false`). An agentic
 * deployment gets the agentic job's inputs (lab-agentic-script.ts): ISL, OSL and MAX_MODEL_LEN `0`,
 * no eval, the KV-offload and duration variables.
 */
export function labScriptEnv(d: Deployment, conc: number, o: LabScriptEnvOptions): Record<string, string> {
  const e = labEnvFacts(d);
  const agentic = labAgenticInputs(d);
  // the agentic job passes `0` for the lengths and never evaluates
  const isl = agentic ? 0 : d.isl;
  const osl = agentic ? 0 : d.osl;
  const runEval = !agentic && o.runEval === true;
  return {
    RANDOM_RANGE_RATIO,
    HF_HUB_CACHE: o.hfHubCache ?? LAB_HF_HUB_CACHE,
    EXP_NAME: expNameAt(d, conc),
    MODEL: d.model,
    MODEL_PREFIX: d.modelPrefix,
    ISL: String(isl),
    OSL: String(osl),
    MAX_MODEL_LEN: String(agentic ? 0 : (d.maxModelLen ?? d.isl + d.osl + 256)),
    IMAGE: d.image,
    FRAMEWORK: d.framework,
    PRECISION: d.precision,
    TP: String(e.tp),
    PP_SIZE: String(e.pp),
    DCP_SIZE: String(e.dcp),
    PCP_SIZE: String(e.pcp),
    EP_SIZE: String(e.ep),
    DP_ATTENTION: String(e.dpa),
    CONC: String(conc),
    SPEC_DECODING: d.specDecoding,
    DISAGG: String(d.disagg),
    RUN_EVAL: String(runEval),
    EVAL_ONLY: "false",
    ...(d.evalLimit && !agentic ? { EVAL_LIMIT: String(d.evalLimit) } : {}),
    ...(agentic
      ? labAgenticEnv(agentic)
      : { SCENARIO_TYPE: "fixed-seq-len", SCENARIO_SUBDIR: "fixed_seq_len/", IS_AGENTIC: "0" }),
    RESULT_DIR: "/workspace/results",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONPYCACHEPREFIX: "/tmp/inferencex-pycache",
    RUNNER_NAME: o.runnerName,
    RUNNER_TYPE: d.runner,
    RESULT_FILENAME: labResultFilename(d, conc, o.runnerName),
    GPU_COUNT: String(e.tp * e.pp * e.pcp),
    PORT: String(o.port ?? LAB_SCRIPT_PORT),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A `vllm bench serve`-shaped result with `failed` as the lab's client leaves it out: the prompts
 * that did not complete. Any other object is returned as it is.
 */
export function withLabFailed<T extends Record<string, unknown>>(json: T): T & { failed?: unknown } {
  if (json.failed !== undefined || typeof json.num_prompts !== "number" || typeof json.completed !== "number")
    return json;
  return { ...json, failed: Math.max(0, json.num_prompts - json.completed) };
}

/**
 * The lab client's result JSON (`utils/bench_serving/benchmark_serving.py --save-result`) as the
 * point it measured. The lab's file has no `failed`: it is the prompts that did not complete.
 * Throws an Error naming `where` when the JSON is not such a result or is for another concurrency.
 */
export function pointFromLabResult(
  json: unknown,
  where: string,
  point: LoadPoint,
  gpus: PointResult["gpus"],
  emulated: boolean,
): PointResult {
  if (!isObj(json)) throw new Error(`${where}: the lab's result JSON is not an object`);
  const parsed = VllmBenchResult.safeParse(withLabFailed(json));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${where}: not a lab benchmark result: "${i.path.join(".")}" ${i.message}`);
  }
  const bench = parsed.data;
  if (bench.max_concurrency !== point.concurrency)
    throw new Error(
      `${where}: the result is for concurrency ${bench.max_concurrency}, the point is concurrency ${point.concurrency}`,
    );
  const at = (unix: number | undefined) => (unix === undefined ? undefined : new Date(unix * 1000).toISOString());
  const finishedAt = at(bench.benchmark_end_time_unix) ?? new Date().toISOString();
  const startedAt = at(bench.benchmark_start_time_unix) ?? finishedAt;
  const ok = bench.completed > 0;
  return {
    point,
    status: ok ? "ok" : "failed",
    ...(ok ? {} : { failureReason: `the lab's client completed none of ${bench.num_prompts} requests` }),
    startedAt,
    finishedAt,
    bench,
    failures: bench.failed ? { "lab-client": bench.failed } : {},
    gpus,
    emulated,
    measuredBy: "lab-script",
  };
}
