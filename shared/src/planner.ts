/**
 * The sweep planner: master-config entries → deployments (everything but concurrency), each
 * with its ordered load points; identical deployments from several rows or entries merge with
 * their points unioned. Pure: inputs are already-loaded configs, the SKU catalog and runners.
 */
import { createHash } from "node:crypto";
import { agenticConcurrencies, agenticSpec, dramOffloadGb } from "./agentic-plan.js";
import { ConfigError, type ConfigProblem, formatPath, formatProblem } from "./config-error.js";
import {
  type Deployment,
  type LoadPoint,
  MAX_DEPLOYMENT_GPUS,
  type PhaseTimeouts,
  type Plan,
  type PlanTotals,
  type PoolSpec,
} from "./deployment.js";
import { allEvalsChoice, selectAgenticEvals, selectEvals } from "./eval-selection.js";
import { labSubmitsOwnRecipe } from "./lab-multinode-script.js";
import { labRunnerSetupScript } from "./lab-runner-srtctl.js";
import { labScriptCandidates } from "./lab-script.js";
import type { MultiNodeSearchEntry, RunnersFile, SingleNodeSearchEntry, WorkerPool } from "./master-config.js";
import type { LoadedConfigs, LoadedEntry } from "./master-config-load.js";
import { estimateDeployment } from "./plan-estimate.js";
import { type SkuCatalog, type SkuName, skuFromLabel } from "./skus.js";
import { srtDepPool } from "./srt-dep-pool.js";
import { rowConfigFile, rowSrtRecipe, type SrtBenchmark, type SrtRecipeSource } from "./srt-recipe-source.js";
import { expandPatterns } from "./wildcard.js";

export const DEFAULT_PRIORITY = 100;
export const DEFAULT_PROMPTS_PER_CONC = 10;
/** measured prompts of a point of an AMD disaggregated deployment at least (the lab's bench.sh floor) */
export const AMD_DISAGG_MIN_PROMPTS = 16;
export const DEFAULT_TIMEOUTS_S: PhaseTimeouts = {
  prepare: 1800,
  launch: 600,
  ready: 1800,
  warmup: 600,
  load: 3600,
  eval: 3600,
  teardown: 120,
};

export type ScenarioType = "fixed-seq-len" | "agentic-coding";
export const SCENARIO_TYPES: readonly ScenarioType[] = ["fixed-seq-len", "agentic-coding"];

export interface Selection {
  /** config-key patterns (`*` wildcards); all keys when absent */
  keys?: string[];
  /** keys (exact) whose deployments run the eval only, no load points (changelog `evals-only`) */
  evalsOnlyKeys?: Set<string>;
  /** keys (exact) whose deployments evaluate at every 8k/1k concurrency (changelog `all-evals`) */
  allEvalsKeys?: Set<string>;
  /** restrict to these scenario types (changelog `scenario-type`) */
  scenarioTypes?: Set<ScenarioType>;
}

export interface PlanOptions {
  catalog: SkuCatalog;
  runners?: RunnersFile;
  /** file name of runners.yaml, for error messages */
  runnersFile?: string;
  selection?: Selection;
  skus?: SkuName[];
  /**
   * Finds the srt-slurm recipe a multi-node row names (CONFIG_FILE=, see srt-recipe-source.ts);
   * absent: CONFIG_FILE is not read.
   */
  srtRecipes?: SrtRecipeSource;
  /**
   * Whether a lab (InferenceX) checkout has a benchmark script, by its path from the checkout's root:
   * a single-node agentic row the checkout has no script for is planned unlaunchable
   * (`labScriptMissing`). Absent: scripts are not looked for.
   */
  labScripts?: (path: string) => boolean;
}

/** Concurrency values of a search-space entry: doubling from conc-start to conc-end inclusive, or conc-list. */
export function expandConcurrency(e: { "conc-start"?: number; "conc-end"?: number; "conc-list"?: number[] }): number[] {
  if (e["conc-list"]) return [...new Set(e["conc-list"])].sort((a, b) => a - b);
  const out: number[] = [];
  const start = e["conc-start"]!;
  const end = e["conc-end"]!;
  // the reference generator's rule (step 2): double, and a doubling past conc-end is clamped to
  // conc-end, so conc-end is always a point
  for (let c = start; c <= end; c = c === end ? end + 1 : Math.min(c * 2, end)) out.push(c);
  return out;
}

export function resolveRunner(
  label: string,
  opts: Pick<PlanOptions, "catalog" | "runners">,
): { sku: SkuName; gpusPerNode: number; warning?: string } | { error: string } {
  const hw = opts.runners?.hardware?.[label];
  // the reference generator runs a label runners.yaml does not list on the label itself
  const unlisted = !!opts.runners?.labels && !(label in opts.runners.labels);
  const skuName = (hw?.sku as SkuName | undefined) ?? skuFromLabel(label);
  if (!skuName || !(skuName in opts.catalog)) {
    return {
      error: `unknown runner label "${label}": cannot tell its SKU (expected a label naming one of ${Object.keys(opts.catalog).join(", ")}, or a runners.yaml that maps it)`,
    };
  }
  const gpusPerNode = hw?.["gpus-per-node"] ?? opts.catalog[skuName].gpusPerNode;
  if (unlisted) {
    return {
      sku: skuName,
      gpusPerNode,
      warning: `runner label "${label}" is not in runners.yaml: SKU ${skuName} read from the label`,
    };
  }
  return { sku: skuName, gpusPerNode };
}

function pool(p: WorkerPool, gpusPerNode: number): PoolSpec {
  const tp = p.tp;
  const pp = p.pp ?? 1;
  const pcpSize = p["pcp-size"] ?? 1;
  const gpusPerWorker = tp * pp * pcpSize;
  const gpus = p["num-worker"] * gpusPerWorker;
  return {
    numWorker: p["num-worker"],
    tp,
    ep: p.ep ?? 1,
    pp,
    dpAttn: p["dp-attn"] ?? false,
    dcpSize: p["dcp-size"] ?? 1,
    pcpSize,
    ...(p.hardware ? { hardware: p.hardware } : {}),
    additionalSettings: p["additional-settings"] ?? [],
    gpusPerWorker,
    gpus,
    nodes: Math.ceil(gpus / gpusPerNode),
  };
}

/** The part of a deployment that identifies the server configuration. */
type Spec = Omit<
  Deployment,
  | "fingerprint"
  | "configKey"
  | "configKeys"
  | "sourceFiles"
  | "points"
  | "eval"
  | "evalLimit"
  | "evalConc"
  | "evalConcs"
  | "evalsOnly"
  | "priority"
  | "timeouts"
  | "estimate"
  | "promptsPerConc"
  | "repeats"
> & { launchPoint?: number };

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function fingerprintOf(spec: Spec): string {
  // where a recipe or script was found, or searched for, is not part of what runs
  const keyed = {
    ...spec,
    labScriptMissing: undefined,
    ...(spec.srtRecipe ? { srtRecipe: { ...spec.srtRecipe, path: undefined, notFound: undefined } } : {}),
  };
  return createHash("sha256").update(canonicalJson(keyed)).digest("hex");
}

interface Draft {
  spec: Spec;
  fingerprint: string;
  configKeys: string[];
  sourceFiles: string[];
  points: Map<number, LoadPoint>;
  eval: boolean;
  evalAuto: boolean;
  /** `all-evals`: the automatic selection takes every 8k/1k concurrency */
  evalAll: boolean;
  evalConcs?: number[];
  evalLimit?: number;
  evalsOnly: boolean;
  priority: number;
  timeouts: PhaseTimeouts;
  promptsPerConc: number;
  repeats: number;
}

export function buildPlan(configs: LoadedConfigs, opts: PlanOptions): Plan {
  const problems: ConfigProblem[] = [];
  const sel = opts.selection ?? {};
  let keys = [...configs.keys()];
  if (sel.keys) {
    const { matched, unmatched } = expandPatterns(sel.keys, keys);
    if (unmatched.length) {
      throw new ConfigError(
        unmatched.map((p) => ({ file: "--keys", line: 1, col: 1, path: p, message: "matches no config key" })),
      );
    }
    keys = matched;
  }
  const drafts = new Map<string, Draft>();
  const warnings = new Set<string>();
  for (const key of keys) {
    const le = configs.get(key)!;
    // an entry with none of the selected scenario types plans nothing, so its runner is not looked up
    const types = Object.keys(le.entry.scenarios).filter((t) => le.entry.scenarios[t as ScenarioType]?.length);
    if (sel.scenarioTypes && !types.some((t) => sel.scenarioTypes!.has(t as ScenarioType))) continue;
    const runner = resolveRunner(le.entry.runner, opts);
    if ("error" in runner) {
      const pos = le.src.locate([key, "runner"]);
      problems.push({ file: le.file, ...pos, path: `${key}.runner`, message: runner.error });
      continue;
    }
    if (runner.warning) warnings.add(runner.warning);
    if (opts.skus && !opts.skus.includes(runner.sku)) continue;
    for (const d of [
      ...expandEntry(
        le,
        { ...runner, vendor: opts.catalog[runner.sku].vendor },
        sel,
        problems,
        warnings,
        opts.srtRecipes,
      ),
      ...expandAgentic(le, runner, sel, opts, problems, warnings),
    ]) {
      const prev = drafts.get(d.fingerprint);
      if (!prev) {
        drafts.set(d.fingerprint, d);
        continue;
      }
      for (const [c, p] of d.points) prev.points.set(c, p);
      for (const k of d.configKeys) if (!prev.configKeys.includes(k)) prev.configKeys.push(k);
      for (const f of d.sourceFiles) if (!prev.sourceFiles.includes(f)) prev.sourceFiles.push(f);
      prev.eval ||= d.eval;
      prev.evalAuto &&= d.evalAuto;
      prev.evalAll ||= d.evalAll;
      prev.evalsOnly &&= d.evalsOnly;
      prev.priority = Math.min(prev.priority, d.priority);
      prev.repeats = Math.max(prev.repeats, d.repeats);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const deployments: Deployment[] = [];
  const all = [...drafts.values()];
  const choices = selectEvals(
    all.map((d) => ({ ...d.spec, points: [...d.points.values()].sort((a, b) => a.concurrency - b.concurrency) })),
  );
  const agentic = all.filter((d) => d.spec.scenario === "agentic-coding" && d.evalAuto);
  const agenticChoices = new Map(
    selectAgenticEvals(
      agentic.map((d) => ({
        ...d.spec,
        topology: fingerprintOf({ ...d.spec, launchPoint: undefined }),
        conc: Math.max(...d.points.keys()),
        all: d.evalAll,
      })),
    ).map((c, i) => [agentic[i]!, c]),
  );
  for (const [i, d] of all.entries()) {
    if (d.evalAuto) {
      const choice =
        agenticChoices.get(d) ??
        (d.evalAll ? allEvalsChoice({ ...d.spec, points: [...d.points.values()] }) : choices[i]!);
      Object.assign(d, { eval: choice.eval, evalConcs: choice.evalConcs });
    }
    // an evals-only deployment the selection does not evaluate has nothing to run (the lab drops it)
    if (d.evalsOnly && !d.eval) continue;
    const points = d.evalsOnly ? [] : [...d.points.values()].sort((a, b) => a.concurrency - b.concurrency);
    const { launchPoint: _lp, ...spec } = d.spec;
    const estimate = estimateDeployment({
      nodes: spec.nodes,
      gpus: spec.gpus,
      points,
      // each repeat sends the point's prompts again
      promptsPerConc: d.promptsPerConc * d.repeats,
      eval: d.eval,
      ...(d.evalConcs ? { evalRuns: d.evalConcs.length } : {}),
    });
    const timeouts = { ...d.timeouts };
    // the load phase must at least cover its estimate with margin
    timeouts.load = Math.max(timeouts.load, Math.ceil(estimate.loadSeconds * 3));
    // and the ready phase srtctl's wait for a recipe's frontend (its health_check)
    const srtRow = { ...spec, configKey: d.configKeys[0]! };
    const srtReady = spec.srtRecipe ? opts.srtRecipes?.readySeconds?.(spec.srtRecipe, srtRow) : undefined;
    if (srtReady) timeouts.ready = Math.max(timeouts.ready, srtReady);
    deployments.push({
      fingerprint: d.fingerprint,
      configKey: d.configKeys[0]!,
      configKeys: d.configKeys,
      sourceFiles: d.sourceFiles,
      ...spec,
      points,
      eval: d.eval,
      ...(d.eval && d.evalConcs?.length ? { evalConc: Math.max(...d.evalConcs), evalConcs: d.evalConcs } : {}),
      ...(d.evalLimit ? { evalLimit: d.evalLimit } : {}),
      evalsOnly: d.evalsOnly,
      promptsPerConc: d.promptsPerConc,
      ...(d.repeats > 1 ? { repeats: d.repeats } : {}),
      priority: d.priority,
      timeouts,
      estimate,
    });
  }
  deployments.sort(
    (a, b) =>
      a.priority - b.priority ||
      cmp(a.configKey, b.configKey) ||
      a.isl - b.isl ||
      a.osl - b.osl ||
      cmp(a.fingerprint, b.fingerprint),
  );
  return {
    deployments,
    totals: totalsOf(deployments),
    bySku: groupTotals(deployments),
    ...(warnings.size ? { warnings: [...warnings] } : {}),
    byScenario: groupTotals(deployments, (d) => d.scenario),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The parts of a draft every scenario of an entry shares: server identity and scheduling settings. */
function entryBasics(le: LoadedEntry, runner: { sku: SkuName; gpusPerNode: number }, sel: Selection) {
  const e = le.entry;
  const bf = e.benchfleet ?? {};
  const evalsOnly = sel.evalsOnlyKeys?.has(le.key) ?? false;
  const common = {
    runner: e.runner,
    sku: runner.sku,
    gpusPerNode: runner.gpusPerNode,
    image: e.image,
    model: e.model,
    modelPrefix: e["model-prefix"],
    precision: e.precision,
    framework: e.framework,
    multinode: e.multinode,
    disagg: e.disagg ?? false,
    launchPerPoint: bf["launch-per-point"] ?? false,
    recipeOverrides: bf.recipe ?? {},
    ...(bf.server ? { customServer: bf.server } : {}),
    ...(bf.script !== undefined ? { mode: bf.script ? ("script" as const) : ("recipe" as const) } : {}),
  };
  const t = bf.timeouts ?? {};
  const timeouts: PhaseTimeouts = {
    prepare: t.pull ?? DEFAULT_TIMEOUTS_S.prepare,
    launch: t.launch ?? DEFAULT_TIMEOUTS_S.launch,
    ready: t.ready ?? DEFAULT_TIMEOUTS_S.ready,
    warmup: t.warmup ?? DEFAULT_TIMEOUTS_S.warmup,
    load: t.load ?? DEFAULT_TIMEOUTS_S.load,
    eval: t.eval ?? DEFAULT_TIMEOUTS_S.eval,
    teardown: t.teardown ?? DEFAULT_TIMEOUTS_S.teardown,
  };
  const sched = {
    configKeys: [le.key],
    sourceFiles: [le.file],
    eval: bf.eval ?? true,
    /** no `benchfleet.eval`: the reference generator's selection decides (eval-selection.ts) */
    evalAuto: bf.eval === undefined,
    evalAll: sel.allEvalsKeys?.has(le.key) ?? false,
    ...(bf["eval-limit"] ? { evalLimit: bf["eval-limit"] } : {}),
    evalsOnly,
    priority: bf.priority ?? DEFAULT_PRIORITY,
    timeouts,
    promptsPerConc: bf["prompts-per-conc"] ?? DEFAULT_PROMPTS_PER_CONC,
    repeats: bf.repeats ?? 1,
  };
  return { common, sched, bf, evalsOnly };
}

function* expandEntry(
  le: LoadedEntry,
  runner: { sku: SkuName; gpusPerNode: number; vendor: "nvidia" | "amd" },
  sel: Selection,
  problems: ConfigProblem[],
  warnings: Set<string>,
  srtRecipes?: SrtRecipeSource,
): Generator<Draft> {
  const e = le.entry;
  const { common, sched, bf } = entryBasics(le, runner, sel);
  const want = (s: "fixed-seq-len" | "agentic-coding") => !sel.scenarioTypes || sel.scenarioTypes.has(s);
  const scenarios: Array<{ scenario: "fixed-seq-len"; index: number; isl: number; osl: number; space: unknown[] }> = [];
  if (want("fixed-seq-len")) {
    for (const [index, s] of (e.scenarios["fixed-seq-len"] ?? []).entries())
      scenarios.push({ scenario: "fixed-seq-len", index, isl: s.isl, osl: s.osl, space: s["search-space"] });
  }

  for (const sc of scenarios) {
    for (const [row, raw] of sc.space.entries()) {
      let spec: Spec;
      let concs: number[];
      // the load settings of the row's srt-slurm recipe (its `benchmark:` section)
      let bench: SrtBenchmark | undefined;
      if (!e.multinode) {
        const s = raw as SingleNodeSearchEntry;
        const tp = s.tp;
        const pp = s.pp ?? 1;
        const pcpSize = s["pcp-size"] ?? 1;
        const gpus = tp * pp * pcpSize;
        spec = {
          ...common,
          scenario: sc.scenario,
          isl: sc.isl,
          osl: sc.osl,
          maxModelLen: sc.isl + sc.osl + 256,
          specDecoding: s["spec-decoding"] ?? "none",
          tp,
          ep: s.ep ?? 1,
          pp,
          dpAttn: s["dp-attn"] ?? false,
          dcpSize: s["dcp-size"] ?? 1,
          pcpSize,
          ...((s.router ?? e.router) ? { router: s.router ?? e.router } : {}),
          nodes: Math.ceil(gpus / runner.gpusPerNode),
          gpus,
        };
        concs = expandConcurrency(s);
      } else {
        const m = raw as MultiNodeSearchEntry;
        // llm-d rows' CONFIG_FILE names the lab's llm-d recipe (its own submitter), not an srt-slurm one
        const srtSource = labSubmitsOwnRecipe(e.framework) ? undefined : srtRecipes;
        // a row launched from its srt-slurm recipe: a DEP pool's worker is srtctl's data-parallel group
        const widen = (p: PoolSpec) => (srtSource && rowConfigFile(m).length ? srtDepPool(p, runner.gpusPerNode) : p);
        let prefill = widen(pool(m.prefill, runner.gpusPerNode));
        let decode = widen(pool(m.decode, runner.gpusPerNode));
        const router = m.router ?? e.router;
        const kv = m["kv-p2p-transfer"] ?? (e.multinode ? e["kv-p2p-transfer"] : undefined);
        const rowPath = [le.key, "scenarios", sc.scenario, sc.index, "search-space", row];
        const srtRow = { configKey: le.key, gpusPerNode: runner.gpusPerNode, prefill, decode };
        const srt = srtSource
          ? rowSrtRecipe(m, srtSource, le, rowPath, srtRow, labRunnerSetupScript(runner.sku, e.framework))
          : undefined;
        if (!srtRecipes && !labSubmitsOwnRecipe(e.framework) && rowConfigFile(m).length) {
          const at = le.src.locateKey([le.key]);
          warnings.add(
            `${le.file}:${at.line}:${at.col}: ${le.key}: its rows name srt-slurm recipes (CONFIG_FILE=) but no recipes were given (--srt-slurm DIR or BENCHFLEET_SRT_SLURM): planned from benchfleet's ${e.framework} recipe, not the lab's`,
          );
        }
        if (srt && "problem" in srt) {
          problems.push(srt.problem);
          continue;
        }
        // srtctl launches the recipe's topology where an aggregated recipe's differs from the row's
        const shaped = srt
          ? srtRecipes?.shape?.(srt.recipe, srtRow, `${le.file}:${le.src.locate(rowPath).line}`)
          : undefined;
        if (shaped) {
          warnings.add(shaped.warning);
          srtRow.prefill = prefill = shaped.prefill;
          srtRow.decode = decode = shaped.decode;
        }
        if (srt) for (const w of srtRecipes?.warnings?.(srt.recipe, srtRow) ?? []) warnings.add(w);
        const infraNodes = srt && srtRecipes?.infraNodes ? srtRecipes.infraNodes(srt.recipe, srtRow) : 0;
        // a recipe that spreads its workers reserves a node for each (srt-spread-workers.ts)
        const spread = srt && srtRecipes?.poolNodes ? srtRecipes.poolNodes(srt.recipe, srtRow) : undefined;
        spec = {
          ...(srt ? { srtRecipe: srt.recipe } : {}),
          ...(infraNodes ? { infraNodes } : {}),
          ...(shaped?.resultGpus ? { resultGpus: shaped.resultGpus } : {}),
          ...common,
          ...(router ? { router } : {}),
          ...(kv ? { kvP2pTransfer: kv } : {}),
          scenario: sc.scenario,
          isl: sc.isl,
          osl: sc.osl,
          maxModelLen: sc.isl + sc.osl + 256,
          specDecoding: m["spec-decoding"] ?? "none",
          prefill: spread ? { ...prefill, nodes: spread.prefill } : prefill,
          decode: spread ? { ...decode, nodes: spread.decode } : decode,
          nodes: (spread ? spread.prefill + spread.decode : prefill.nodes + decode.nodes) + infraNodes,
          gpus: prefill.gpus + decode.gpus,
        };
        concs = expandConcurrency(m);
        if (srt && srtRecipes?.benchmark) {
          const at = `${le.file}:${le.src.locate(rowPath).line}`;
          const b = srtRecipes.benchmark(srt.recipe, srtRow, { isl: sc.isl, osl: sc.osl, concurrencies: concs, at });
          if (b && "problems" in b) {
            problems.push(...b.problems);
            continue;
          }
          const own = bf["prompts-per-conc"];
          if (b?.promptsPerConc !== undefined && own !== undefined && own !== b.promptsPerConc) {
            const path = [le.key, "benchfleet", "prompts-per-conc"];
            problems.push({
              file: le.file,
              ...le.src.locate(path),
              path: formatPath(path),
              message: `${own} but the row's srt-slurm recipe ${srt.recipe.path} runs ${b.promptsPerConc} prompts per unit of concurrency (benchmark.num_prompts_mult); leave it out or make them agree`,
            });
            continue;
          }
          bench = b;
          // srtctl runs the recipe's concurrencies; the lab stores each point at the one it ran
          if (b?.concurrencies) concs = b.concurrencies;
          if (b?.warning) warnings.add(b.warning);
        }
      }
      if (spec.gpus > MAX_DEPLOYMENT_GPUS) {
        const path = [le.key, "scenarios", sc.scenario, sc.index, "search-space", row];
        problems.push({
          file: le.file,
          ...le.src.locate(path),
          path: formatPath(path),
          message: `needs ${spec.gpus} GPUs (${spec.nodes} nodes of ${runner.gpusPerNode}); a deployment may use at most ${MAX_DEPLOYMENT_GPUS}`,
        });
        continue;
      }
      const groups = common.launchPerPoint ? concs.map((c) => [c]) : [concs];
      // the lab's AMD disaggregated client (multi_node/amd_utils/bench.sh) sends at least 16 prompts
      const floor = e.multinode && spec.disagg && runner.vendor === "amd" ? { minPrompts: AMD_DISAGG_MIN_PROMPTS } : {};
      const prompts = bf.prompts ? { prompts: bf.prompts } : {};
      for (const g of groups) {
        const s = common.launchPerPoint ? { ...spec, launchPoint: g[0] } : spec;
        const points = new Map<number, LoadPoint>(
          g.map((c) => [c, { concurrency: c, isl: sc.isl, osl: sc.osl, ...floor, ...prompts, ...bench?.point }]),
        );
        yield {
          spec: s,
          fingerprint: fingerprintOf(s),
          points,
          ...sched,
          ...(bench?.promptsPerConc !== undefined ? { promptsPerConc: bench.promptsPerConc } : {}),
          configKeys: [...sched.configKeys],
          sourceFiles: [...sched.sourceFiles],
        };
      }
    }
  }
}

/**
 * Agentic-coding scenarios: one deployment per concurrency by default (the reference gives each
 * point a fresh server so no point starts on another's warm prefix cache), each point a fixed
 * measured duration of trace replay; KV offload to DRAM sized by {@link dramOffloadGb}.
 */
function* expandAgentic(
  le: LoadedEntry,
  runner: { sku: SkuName; gpusPerNode: number },
  sel: Selection,
  opts: PlanOptions,
  problems: ConfigProblem[],
  warnings: Set<string>,
): Generator<Draft> {
  if (sel.scenarioTypes && !sel.scenarioTypes.has("agentic-coding")) return;
  const e = le.entry;
  const { common, sched, bf, evalsOnly } = entryBasics(le, runner, sel);
  const launchPerPoint = bf["launch-per-point"] ?? true;
  // the reference's agentic evals are opt-in: a changelog's evals-only or all-evals entry selects
  // them (selectAgenticEvals), a row's benchfleet.eval sets them
  const evalOn = bf.eval === true;
  const evalAuto = bf.eval === undefined && evalsOnly;
  for (const [index, sc] of (e.scenarios["agentic-coding"] ?? []).entries()) {
    for (const [row, r] of sc["search-space"].entries()) {
      const path = [le.key, "scenarios", "agentic-coding", index, "search-space", row];
      const problem = (message: string, at: (string | number)[] = path) =>
        problems.push({ file: le.file, ...le.src.locate(at), path: formatPath(at), message });
      const kvOffloading = r["kv-offloading"] ?? "none";
      let spec: Spec;
      /** multi-node rows from an srt-slurm recipe: the lab client's settings its benchmark env gives */
      let agenticClient: Pick<LoadPoint, "agenticClient"> = {};
      if (!e.multinode) {
        if (r.tp === undefined) {
          problem("a multinode: false entry's agentic rows must give tp (prefill/decode need multinode: true)");
          continue;
        }
        const pp = r.pp ?? 1;
        const pcpSize = r["pcp-size"] ?? 1;
        const gpus = r.tp * pp * pcpSize;
        const dram = dramOffloadGb({
          kvOffloading,
          utilization: sc["dram-utilization"],
          runner: e.runner,
          runners: opts.runners,
          gpus,
        });
        if (typeof dram === "string") {
          problem(dram);
          continue;
        }
        spec = {
          ...common,
          launchPerPoint,
          scenario: "agentic-coding",
          isl: 0,
          osl: 0,
          specDecoding: r["spec-decoding"] ?? "none",
          tp: r.tp,
          ep: r.ep ?? 1,
          pp,
          dpAttn: r["dp-attn"] ?? false,
          dcpSize: r["dcp-size"] ?? 1,
          pcpSize,
          ...((r.router ?? e.router) ? { router: r.router ?? e.router } : {}),
          kvOffloading,
          agentic: agenticSpec({
            durationS: bf["agentic-duration"],
            kvOffloading,
            kvOffloadBackend: r["kv-offload-backend"],
            dramOffloadGb: dram,
          }),
          nodes: Math.ceil(gpus / runner.gpusPerNode),
          gpus,
        };
        // the lab's launcher runs the row's script from the checkout: without one its run fails
        const searched = opts.labScripts ? labScriptCandidates(spec) : [];
        if (opts.labScripts && !searched.some(opts.labScripts)) {
          const message = `the lab checkout has no agentic script for this row (searched ${searched.join(", ")}): the lab's own run of it would fail, so it is planned unlaunchable`;
          spec.labScriptMissing = formatProblem({
            file: le.file,
            ...le.src.locate(path),
            path: formatPath(path),
            message,
          });
        }
      } else {
        if (!r.prefill || !r.decode) {
          problem("a multinode: true entry's agentic rows must give prefill and decode, not tp");
          continue;
        }
        const single = (["pp", "dcp-size", "pcp-size"] as const).filter((k) => r[k] !== undefined);
        if (single.length) {
          problem(`multi-node agentic rows cannot give ${single.join(", ")} (set them per pool)`);
          continue;
        }
        const dram = dramOffloadGb({
          kvOffloading,
          utilization: sc["dram-utilization"],
          runner: e.runner,
          runners: opts.runners,
          prefill: r.prefill,
        });
        if (typeof dram === "string") {
          problem(dram);
          continue;
        }
        const named =
          !labSubmitsOwnRecipe(e.framework) && rowConfigFile({ prefill: r.prefill, decode: r.decode }).length > 0;
        const srtSource = named ? opts.srtRecipes : undefined;
        if (named && !srtSource) warnings.add(agenticSrtWarning(le, e.framework));
        // a row launched from its srt-slurm recipe: a DEP pool's worker is srtctl's data-parallel group
        const widen = (p: PoolSpec) => (srtSource ? srtDepPool(p, runner.gpusPerNode) : p);
        let prefill = widen(pool(r.prefill, runner.gpusPerNode));
        let decode = widen(pool(r.decode, runner.gpusPerNode));
        const router = r.router ?? e.router;
        const kv = r["kv-p2p-transfer"] ?? e["kv-p2p-transfer"];
        const srtRow = {
          configKey: le.key,
          gpusPerNode: runner.gpusPerNode,
          prefill,
          decode,
          scenario: "agentic-coding" as const,
        };
        const srt = srtSource
          ? rowSrtRecipe(
              { prefill: r.prefill, decode: r.decode },
              srtSource,
              le,
              path,
              srtRow,
              labRunnerSetupScript(runner.sku, e.framework),
            )
          : undefined;
        if (srt && "problem" in srt) {
          problems.push(srt.problem);
          continue;
        }
        // srtctl launches the recipe's topology where an aggregated recipe's differs from the row's
        const shaped = srt
          ? srtSource?.shape?.(srt.recipe, srtRow, `${le.file}:${le.src.locate(path).line}`)
          : undefined;
        if (shaped) {
          warnings.add(shaped.warning);
          srtRow.prefill = prefill = shaped.prefill;
          srtRow.decode = decode = shaped.decode;
        }
        if (srt && srtSource?.benchmark) {
          // the recipe's benchmark is not run: a warning says so, at the recipe's benchmark.type
          const at = `${le.file}:${le.src.locate(path).line}`;
          const concurrencies = agenticConcurrencies(r);
          const b = srtSource.benchmark(srt.recipe, srtRow, { isl: 0, osl: 0, concurrencies, at });
          if (b && "problems" in b) {
            problems.push(...b.problems);
            continue;
          }
          if (b?.warning) warnings.add(b.warning);
          // the lab client's settings the recipe's benchmark env gives
          if (b?.point.agenticClient) agenticClient = { agenticClient: b.point.agenticClient };
        }
        if (srt) for (const w of srtSource?.warnings?.(srt.recipe, srtRow) ?? []) warnings.add(w);
        const infraNodes = srt && srtSource?.infraNodes ? srtSource.infraNodes(srt.recipe, srtRow) : 0;
        // a recipe that spreads its workers reserves a node for each (srt-spread-workers.ts)
        const spread = srt && srtSource?.poolNodes ? srtSource.poolNodes(srt.recipe, srtRow) : undefined;
        spec = {
          ...(srt ? { srtRecipe: srt.recipe } : {}),
          ...(infraNodes ? { infraNodes } : {}),
          ...(shaped?.resultGpus ? { resultGpus: shaped.resultGpus } : {}),
          ...common,
          launchPerPoint,
          ...(router ? { router } : {}),
          ...(kv ? { kvP2pTransfer: kv } : {}),
          scenario: "agentic-coding",
          isl: 0,
          osl: 0,
          specDecoding: r["spec-decoding"] ?? "none",
          prefill: spread ? { ...prefill, nodes: spread.prefill } : prefill,
          decode: spread ? { ...decode, nodes: spread.decode } : decode,
          kvOffloading,
          agentic: agenticSpec({
            durationS: bf["agentic-duration"],
            kvOffloading,
            kvOffloadBackend: r["kv-offload-backend"],
            dramOffloadGb: dram,
          }),
          nodes: (spread ? spread.prefill + spread.decode : prefill.nodes + decode.nodes) + infraNodes,
          gpus: prefill.gpus + decode.gpus,
        };
      }
      if (spec.gpus > MAX_DEPLOYMENT_GPUS) {
        problem(
          `needs ${spec.gpus} GPUs (${spec.nodes} nodes of ${runner.gpusPerNode}); a deployment may use at most ${MAX_DEPLOYMENT_GPUS}`,
        );
        continue;
      }
      const concs = agenticConcurrencies(r);
      const durationS = spec.agentic!.durationS;
      for (const g of launchPerPoint ? concs.map((c) => [c]) : [concs]) {
        const s = launchPerPoint ? { ...spec, launchPoint: g[0] } : spec;
        yield {
          spec: s,
          fingerprint: fingerprintOf(s),
          points: new Map(g.map((c) => [c, { concurrency: c, isl: 0, osl: 0, durationS, ...agenticClient }])),
          ...sched,
          eval: evalOn,
          evalAuto,
          evalAll: sched.evalAll,
          configKeys: [...sched.configKeys],
          sourceFiles: [...sched.sourceFiles],
        };
      }
    }
  }
}

/** One warning per entry: its agentic rows name srt-slurm recipes but none were given. */
function agenticSrtWarning(le: LoadedEntry, framework: string): string {
  const at = le.src.locateKey([le.key]);
  return `${le.file}:${at.line}:${at.col}: ${le.key}: its agentic-coding rows name srt-slurm recipes (CONFIG_FILE=) but no recipes were given (--srt-slurm DIR or BENCHFLEET_SRT_SLURM): planned from benchfleet's ${framework} recipe, not the lab's`;
}

export function totalsOf(ds: Deployment[]): PlanTotals {
  const configurations = (list: Deployment[]) => new Set(list.map((d) => d.launchPart?.of ?? d.fingerprint)).size;
  return {
    deployments: configurations(ds),
    launches: ds.length,
    singleNodeDeployments: configurations(ds.filter((d) => !d.multinode)),
    multiNodeDeployments: configurations(ds.filter((d) => d.multinode)),
    points: ds.reduce((s, d) => s + d.points.length, 0),
    evals: ds.filter((d) => d.eval).length,
    gpuHours: Math.round(ds.reduce((s, d) => s + d.estimate.gpuHours, 0) * 100) / 100,
    wallSeconds: Math.round(ds.reduce((s, d) => s + d.estimate.wallSeconds, 0)),
  };
}

/** `plan` with its deployments replaced by `deployments` and its totals counted again. */
export function withDeployments(plan: Plan, deployments: Deployment[]): Plan {
  return {
    ...plan,
    deployments,
    totals: totalsOf(deployments),
    bySku: groupTotals(deployments),
    ...(plan.byScenario ? { byScenario: groupTotals(deployments, (d) => d.scenario) } : {}),
  };
}

function groupTotals(ds: Deployment[], keyOf: (d: Deployment) => string = (d) => d.sku): Record<string, PlanTotals> {
  const by = new Map<string, Deployment[]>();
  for (const d of ds) by.set(keyOf(d), [...(by.get(keyOf(d)) ?? []), d]);
  return Object.fromEntries([...by.entries()].sort(([a], [b]) => cmp(a, b)).map(([k, v]) => [k, totalsOf(v)]));
}
