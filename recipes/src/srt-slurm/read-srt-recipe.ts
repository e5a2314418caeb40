/**
 * Reads one master-config row's srt-slurm recipe (pure: the text is already loaded): YAML →
 * srtctl's variant (base/override/zip) → SrtRecipe → refusal of what benchfleet cannot honour →
 * agreement with the row's topology. Every problem is a RecipeError whose lines read
 * `recipe-file:line:col: field: message (row KEY)`.
 */
import {
  type ConfigProblem,
  formatProblem,
  parseYamlSource,
  RecipeError,
  type SrtRecipeRef,
  type SrtRow,
  zodProblems,
} from "@benchfleet/shared";
import { duplicateKeys } from "./duplicate-keys.js";
import { placementRefusals } from "./srt-frontend-placement.js";
import { sglangFrontendRefusals } from "./srt-frontend-sglang.js";
import { vllmFrontendRefusals } from "./srt-frontend-vllm.js";
import { mooncakeStoreUnused } from "./srt-mooncake-store.js";
import { SrtRecipe } from "./srt-recipe.js";
import { spreadMismatch } from "./srt-spread-workers.js";
import { type RecipeVariant, selectVariants } from "./variants.js";

export interface ReadRecipe {
  recipe: SrtRecipe;
  /** the variant taken: `base`, `override_x`, `zip_override_y[i]` */
  variant: string;
  file: string;
  /** a problem at `path` of the variant taken (recipe-file:line:col), the row not yet named */
  at: (path: Array<string | number>, message: string) => ConfigProblem;
  /** what srtctl reads silently that the plan warns about, each `recipe-file:line:col: … (row KEY)` */
  warnings: string[];
}

type Path = Array<string | number>;

/**
 * `recipeTopology`: a recipe of one variant is read whatever its resources (srt-agg-shape.ts reads
 * the topology srtctl launches from it); by default they must agree with the row's.
 */
export function readSrtRecipe(ref: SrtRecipeRef, d: SrtRow, opts: { recipeTopology?: boolean } = {}): ReadRecipe {
  const row = `row ${d.configKey}`;
  const fail = (problems: ConfigProblem[]): never => {
    throw new RecipeError(problems.map((p) => `${formatProblem(p)} (${row})`).join("\n"));
  };
  if (ref.notFound !== undefined) throw new RecipeError(ref.notFound);
  let src: ReturnType<typeof parseYamlSource>;
  try {
    // srtctl loads recipes with PyYAML's safe_load: `<<: *anchor` keys merge, a repeated key's last value wins
    src = parseYamlSource(ref.text, ref.path, { merge: true, lastKeyWins: true });
  } catch (e) {
    throw new RecipeError(`${(e as Error).message} (${row})`);
  }
  const raw = src.doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    fail([{ file: ref.path, line: 1, col: 1, path: "", message: "a recipe is a YAML mapping" }]);
  const [, selector] = splitConfigFile(ref.configFile);
  let variants: RecipeVariant[] | { error: string };
  try {
    variants = selectVariants(raw as Record<string, unknown>, selector);
  } catch (e) {
    return fail([{ file: ref.path, line: 1, col: 1, path: "", message: (e as Error).message }]);
  }
  if ("error" in variants) return fail([{ file: ref.path, line: 1, col: 1, path: "", message: variants.error }]);

  const locate = (v: RecipeVariant, path: Path, key: boolean) => {
    for (const root of v.roots) {
      const full = [...root, ...path];
      const hit = key ? src.locateKey(full) : src.locate(full);
      if (present(src.doc.toJS() as unknown, full)) return hit;
    }
    return key ? src.locateKey([...v.roots[0]!, ...path]) : src.locate([...v.roots[0]!, ...path]);
  };
  const located = (v: RecipeVariant, path: Path, message: string): ConfigProblem => ({
    file: ref.path,
    ...locate(v, path, true),
    path: path.join("."),
    message: v.selector === "base" ? message : `${message} [variant ${v.selector}]`,
  });

  const parsed: Array<{ v: RecipeVariant; recipe: SrtRecipe }> = [];
  const problems: ConfigProblem[] = [];
  for (const v of variants) {
    const res = SrtRecipe.safeParse(withSrtctlDefaults(v.value, ref.srtctl));
    if (!res.success) {
      for (const p of zodProblems(src, res.error.issues)) {
        const path = p.path.split(/[.[\]]+/).filter(Boolean);
        problems.push(located(v, path, p.message));
      }
      continue;
    }
    parsed.push({ v, recipe: res.data });
  }
  if (!parsed.length) fail(problems);
  const matching = parsed.filter((p) => topologyMismatch(p.recipe, d) === undefined);
  if (!matching.length && opts.recipeTopology && parsed.length === 1) matching.push(parsed[0]!);
  if (!matching.length) {
    const p = parsed[0]!;
    const why = topologyMismatch(p.recipe, d)!;
    // srtctl, given several variants (no selector, or a zip group), submits each as its own job
    const each = parsed.map((x) => `${x.v.selector}: ${topologyMismatch(x.recipe, d)}`).join("; ");
    const many = `no variant matches the row: srtctl submits each of the file's ${parsed.length} variants as a job of its own (base excluded) and none has the row's topology (${each})`;
    fail([located(p.v, ["resources"], parsed.length > 1 ? many : why)]);
  }
  if (matching.length > 1 && new Set(matching.map((m) => JSON.stringify(m.recipe.backend))).size > 1) {
    fail([
      located(
        matching[0]!.v,
        [],
        `variants ${matching.map((m) => m.v.selector).join(", ")} all match the row's topology; name one after the file (CONFIG_FILE=file.yaml:<variant>)`,
      ),
    ]);
  }
  const { v } = matching[0]!;
  // the runner's `srtctl apply --setup-script` replaces the recipe's (srtctl's SRTCTL_SETUP_SCRIPT)
  const recipe = ref.setupScript ? { ...matching[0]!.recipe, setup_script: ref.setupScript } : matching[0]!.recipe;
  const refused = refusedFields(recipe, d.scenario === "agentic-coding");
  if (refused.length) fail(refused.map(([path, why]) => located(v, path, `cannot be honoured: ${why}`)));
  const unusedStore = mooncakeStoreUnused(recipe);
  if (unusedStore) fail([located(v, ["backend", "mooncake_kv_store"], unusedStore)]);
  const spread = spreadMismatch(recipe);
  if (spread) fail([located(v, ["resources", "spread_workers"], spread)]);
  const warnings = duplicateKeys(src).map(
    (k) =>
      `${formatProblem({ file: ref.path, ...k.kept, path: k.path, message: `repeated key: srtctl's YAML loader (PyYAML safe_load) reads this value and drops the one at ${k.dropped.map((p) => `${ref.path}:${p.line}:${p.col}`).join(", ")}` })} (${row})`,
  );
  return { recipe, variant: v.selector, file: ref.path, at: (path, message) => located(v, path, message), warnings };
}

/** The reader's warnings for the row; none when the recipe cannot be read for it (the launch says why). */
export function srtRecipeWarnings(ref: SrtRecipeRef, d: SrtRow): string[] {
  try {
    return readSrtRecipe(ref, d).warnings;
  } catch (e) {
    if (e instanceof RecipeError) return [];
    throw e;
  }
}

/** srtctl's version-dependent defaults (srtctl-defaults.ts) where the recipe leaves the field out */
function withSrtctlDefaults(value: Record<string, unknown>, srtctl: SrtRecipeRef["srtctl"]): Record<string, unknown> {
  return withVllmGpus(withRequestPlane(withDpLaunchMode(value, srtctl), srtctl), srtctl);
}

function withDpLaunchMode(value: Record<string, unknown>, srtctl: SrtRecipeRef["srtctl"]): Record<string, unknown> {
  const b = value.backend;
  if (!srtctl?.dpLaunchMode || !b || typeof b !== "object" || Array.isArray(b)) return value;
  const backend = b as Record<string, unknown>;
  if (backend.type !== "vllm" || "dp_launch_mode" in backend) return value;
  return { ...value, backend: { ...backend, dp_launch_mode: srtctl.dpLaunchMode } };
}

function withVllmGpus(value: Record<string, unknown>, srtctl: SrtRecipeRef["srtctl"]): Record<string, unknown> {
  const b = value.backend;
  if (!srtctl?.vllmCudaVisibleDevices || !b || typeof b !== "object" || Array.isArray(b)) return value;
  const backend = b as Record<string, unknown>;
  if (backend.type !== "vllm" || "set_cuda_visible_devices" in backend) return value;
  return { ...value, backend: { ...backend, set_cuda_visible_devices: true } };
}

function withRequestPlane(value: Record<string, unknown>, srtctl: SrtRecipeRef["srtctl"]): Record<string, unknown> {
  const d = value.dynamo ?? {};
  if (!srtctl?.requestPlane || typeof d !== "object" || d === null || Array.isArray(d)) return value;
  if ("request_plane" in d) return value;
  return { ...value, dynamo: { ...d, request_plane: srtctl.requestPlane } };
}

export function splitConfigFile(configFile: string): [string, string | undefined] {
  const i = configFile.indexOf(":");
  return i < 0 ? [configFile, undefined] : [configFile.slice(0, i), configFile.slice(i + 1)];
}

function present(obj: unknown, path: Path): boolean {
  let cur = obj;
  for (const seg of path) {
    if (!cur || typeof cur !== "object") return false;
    if (!(String(seg) in (cur as object))) return false;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return true;
}

/**
 * Fields srtctl honours that benchfleet cannot reproduce: [path, why]. An agentic-coding row's
 * benchmark is benchfleet's trace replay whatever the recipe's says (srt-benchmark.ts warns).
 */
export function refusedFields(r: SrtRecipe, agentic = false): Array<[Path, string]> {
  const out: Array<[Path, string]> = [];
  if (r.profiling.type !== "none") out.push([["profiling", "type"], "benchfleet does not profile (nsys/torch)"]);
  if (r.dynamo.install && r.frontend.type === "dynamo") {
    if (r.dynamo.top_of_tree)
      out.push([["dynamo", "top_of_tree"], "a source build of dynamo at HEAD is not reproducible"]);
    if (r.dynamo.cargo_patches?.length)
      out.push([["dynamo", "cargo_patches"], "patched source builds of dynamo are not supported"]);
    if (!r.dynamo.version && !r.dynamo.hash && !r.dynamo.top_of_tree && !r.dynamo.wheel)
      out.push([["dynamo", "version"], "no version: srtctl builds dynamo from source at HEAD, not reproducible"]);
  }
  if (r.frontend.type === "vllm") out.push(...vllmFrontendRefusals(r));
  if (r.frontend.type === "sglang") out.push(...sglangFrontendRefusals(r));
  out.push(...placementRefusals(r));
  if (r.frontend.dedicated_node) out.push([["frontend", "dedicated_node"], "a frontend node beyond the row's"]);
  if (r.benchmark.command && !agentic)
    out.push([["benchmark", "command"], "a custom benchmark command; benchfleet runs its own load generator"]);
  if (!agentic && !["sa-bench", "manual"].includes(r.benchmark.type))
    out.push([
      ["benchmark", "type"],
      `benchmark ${r.benchmark.type}: only sa-bench settings map onto benchfleet's load generator`,
    ]);
  const b = r.backend;
  if (b.type === "vllm") {
    if (b.allow_prefill_decode_colocation && b.allow_prefill_decode_colocation_across_nodes)
      out.push([
        ["backend", "allow_prefill_decode_colocation_across_nodes"],
        "prefill and decode packed onto shared nodes is not supported",
      ]);
  }
  if (b.type === "trtllm" && b.sequential_node_start > 0)
    out.push([["backend", "sequential_node_start"], "batched worker start-up per node is not supported"]);
  if (b.type === "sglang") {
    if (b.mooncake_kv_store)
      out.push([["backend", "mooncake_kv_store"], "mooncake_master on the infra node is not supported"]);
  }
  return out;
}

/** Why the recipe's resources differ from the row's pools; undefined when they agree. */
export function topologyMismatch(r: SrtRecipe, d: SrtRow): string | undefined {
  const res = r.resources;
  if (!d.prefill || !d.decode) return "the row is not a disaggregated multi-node row";
  // fewer than the runner's: srtctl asks Slurm for that many GPUs of each node (sbatch
  // --gpus-per-node, not --exclusive), which the row's pools use when they take as many nodes
  if (res.gpus_per_node > d.gpusPerNode)
    return `gpus_per_node ${res.gpus_per_node} but the row's runner has ${d.gpusPerNode} GPUs a node`;
  const agg = (res.agg_workers ?? 0) > 0;
  const pools: Array<[string, number, number, number, number | undefined | null]> = agg
    ? [["agg", res.agg_workers ?? 0, res.agg_nodes ?? 0, d.prefill.numWorker, res.gpus_per_agg]]
    : [
        ["prefill", res.prefill_workers ?? 0, res.prefill_nodes ?? 0, d.prefill.numWorker, res.gpus_per_prefill],
        ["decode", res.decode_workers ?? 0, res.decode_nodes ?? 0, d.decode.numWorker, res.gpus_per_decode],
      ];
  if (agg && d.decode.numWorker !== 0)
    return `an aggregated recipe (agg_workers) but the row has ${d.decode.numWorker} decode workers`;
  for (const [name, workers, nodes, rowWorkers, gpusPer] of pools) {
    if (workers !== rowWorkers) return `${name}_workers ${workers} but the row has ${rowWorkers}`;
    const rowPool = name === "decode" ? d.decode : d.prefill;
    const per = gpusPer ?? (workers ? (nodes * res.gpus_per_node) / workers : 0);
    if (workers && per !== rowPool.gpusPerWorker)
      return `${name}: ${per} GPUs a worker but the row's ${name} worker has ${rowPool.gpusPerWorker} (tp ${rowPool.tp})`;
    if (workers && res.gpus_per_node < d.gpusPerNode && nodes !== rowPool.nodes)
      return `${name}: ${nodes} nodes of ${res.gpus_per_node} GPUs (gpus_per_node) but the row's ${name} workers take ${rowPool.nodes} of the runner's ${d.gpusPerNode}`;
  }
  return undefined;
}
