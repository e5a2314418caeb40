/**
 * The srt-slurm recipe of a multi-node row: the `CONFIG_FILE=` of its pools' additional-settings,
 * found by a SrtRecipeSource (the I/O lives with the caller: --srt-slurm directories). Pure.
 */
import { type ConfigProblem, formatPath, formatProblem } from "./config-error.js";
import type { Deployment, LoadPoint, PoolSpec, SrtRecipeRef } from "./deployment.js";
import type { MultiNodeSearchEntry } from "./master-config.js";
import type { LoadedEntry } from "./master-config-load.js";

/**
 * Finds `configFile` (without its `:variant` selector); an error names the paths searched.
 * `infraNodes`, when given, says how many nodes beyond the row's workers the recipe needs for the
 * row (its etcd/NATS node); 0 when the recipe cannot be read for it.
 */
export type SrtRecipeSource = ((
  configFile: string,
) => { path: string; text: string; srtctl?: SrtRecipeRef["srtctl"] } | { error: string }) & {
  infraNodes?: (ref: SrtRecipeRef, row: SrtRow) => number;
  /** the nodes each pool takes where the recipe places them otherwise than packed (spread_workers) */
  poolNodes?: (ref: SrtRecipeRef, row: SrtRow) => { prefill: number; decode: number } | undefined;
  /** the files of srt-slurm's configs/ the recipe uses for the row (see SrtRecipeRef.configs) */
  configs?: (ref: SrtRecipeRef, row: SrtRow) => NonNullable<SrtRecipeRef["configs"]> | { error: string };
  /** seconds srtctl waits for the frontend's health (`health_check`): the row's ready phase at least */
  readySeconds?: (ref: SrtRecipeRef, row: SrtRow) => number | undefined;
  /**
   * the recipe's pools where srtctl launches a topology other than the row's (an aggregated recipe
   * whose workers differ), with the warning naming both places; undefined where they agree
   */
  shape?: (ref: SrtRecipeRef, row: SrtRow, at?: string) => SrtShape | undefined;
  /** what the recipe's reader warns about for the row (each `recipe-file:line:col: … (row KEY)`) */
  warnings?: (ref: SrtRecipeRef, row: SrtRow) => string[];
  /**
   * The load settings of the recipe's `benchmark:` section for the row, or the problems (at
   * recipe-file:line:col) where it disagrees with the row or cannot be honoured; none when the
   * recipe cannot be read for the row (the launch plan says why).
   */
  benchmark?: (
    ref: SrtRecipeRef,
    row: SrtRow,
    load: SrtRowLoad,
  ) => SrtBenchmark | { problems: ConfigProblem[] } | undefined;
};

/** The pools a row is launched with when its recipe's topology is not the row's (SrtRecipeSource.shape). */
export interface SrtShape {
  prefill: PoolSpec;
  decode: PoolSpec;
  /** the GPUs per-GPU results divide by, where the lab's result files count other than those launched */
  resultGpus?: number;
  /** one line at the recipe's `resources` (file:line:col) naming the row */
  warning: string;
}

/** A master-config row's load as planned: what its recipe's `benchmark:` section must agree with. */
export interface SrtRowLoad {
  isl: number;
  osl: number;
  concurrencies: number[];
  /** where the row is (`file:line`), for messages */
  at?: string;
}

/** What a recipe's `benchmark:` section (srtctl's sa-bench) gives the row's load points. */
export interface SrtBenchmark {
  point: Pick<
    LoadPoint,
    | "requestRate"
    | "useChatTemplate"
    | "rangeRatio"
    | "warmupsPerConc"
    | "warmupRequestRate"
    | "freshConnections"
    | "agenticClient"
  >;
  /** measured prompts per unit of concurrency (sa-bench's num_prompts_mult) */
  promptsPerConc?: number;
  /** the recipe's concurrencies where they differ from the row's: srtctl runs these */
  concurrencies?: number[];
  /**
   * one line at the recipe's benchmark field (file:line:col) naming the row (file:line): its
   * concurrencies run instead of the row's, or (agentic-coding rows) its benchmark replaced
   */
  warning?: string;
}

/**
 * What of a deployment reading a recipe for it needs; an agentic-coding row's load is benchfleet's
 * trace replay, so the recipe's benchmark section is not run for it.
 */
export type SrtRow = Pick<Deployment, "configKey" | "gpusPerNode" | "prefill" | "decode"> &
  Partial<Pick<Deployment, "scenario">>;

export function rowConfigFile(
  m: Pick<MultiNodeSearchEntry, "prefill" | "decode">,
): { value: string; pool: "prefill" | "decode"; index: number }[] {
  const out: { value: string; pool: "prefill" | "decode"; index: number }[] = [];
  for (const pool of ["prefill", "decode"] as const) {
    for (const [index, s] of (m[pool]["additional-settings"] ?? []).entries()) {
      if (s.startsWith("CONFIG_FILE=")) out.push({ value: s.slice("CONFIG_FILE=".length), pool, index });
    }
  }
  return out;
}

export function rowSrtRecipe(
  m: MultiNodeSearchEntry,
  source: SrtRecipeSource,
  le: LoadedEntry,
  rowPath: Array<string | number>,
  row?: SrtRow,
  /** the runner's `srtctl apply --setup-script` (lab-runner-srtctl.ts) */
  setupScript?: string,
): { recipe: SrtRecipeRef } | { problem: ConfigProblem } | undefined {
  const named = rowConfigFile(m);
  if (!named.length) return undefined;
  const at = (n: (typeof named)[number]) => {
    const path = [...rowPath, n.pool, "additional-settings", n.index];
    return { file: le.file, ...le.src.locate(path), path: formatPath(path) };
  };
  const values = new Set(named.map((n) => n.value));
  if (values.size > 1) {
    return { problem: { ...at(named[1]!), message: `the pools name different recipes: ${[...values].join(", ")}` } };
  }
  const configFile = named[0]!.value;
  const file = configFile.split(":")[0]!;
  const found = source(file);
  // planned, and unlaunchable with the reason: one missing recipe does not stop a plan of all configs
  if ("error" in found)
    return {
      recipe: { configFile, path: "", text: "", notFound: formatProblem({ ...at(named[0]!), message: found.error }) },
    };
  const recipe: SrtRecipeRef = {
    configFile,
    path: found.path,
    text: found.text,
    ...(found.srtctl ? { srtctl: found.srtctl } : {}),
    ...(setupScript ? { setupScript } : {}),
  };
  const configs = row && source.configs ? source.configs(recipe, row) : [];
  if ("error" in configs) return { problem: { ...at(named[0]!), message: configs.error } };
  return { recipe: configs.length ? { ...recipe, configs } : recipe };
}
