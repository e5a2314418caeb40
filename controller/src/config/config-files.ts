/**
 * File I/O around the pure planner: reads master configs (files or folders), runners.yaml,
 * the SKU catalog and the changelog diff from git, and builds a Plan.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { srtRecipeSource, srtSlurmDirsFromEnv } from "@benchfleet/recipes";
import {
  appendOnlyDelta,
  appendOnlyScopeProblems,
  buildPlan,
  type ChangelogSelection,
  CliError,
  ConfigError,
  type LoadedConfigs,
  loadMasterConfigs,
  loadRunnersFile,
  loadYaml,
  masterConfigKeys,
  type Plan,
  type PlanOptions,
  parseUnifiedDiff,
  type RunnersFile,
  rawMasterEntries,
  type ScenarioType,
  SkuCatalog,
  type SkuName,
  type SrtRecipeSource,
  selectFromChangelog,
  type TextFile,
  withDeployments,
} from "@benchfleet/shared";
import { gitTree } from "./git-tree.js";
import { storeRecipeSettings } from "./recipe-settings.js";

/** Repository root (configs/ lives there); $BENCHFLEET_ROOT when set (the bundled CLI sets its own folder). */
export const REPO_ROOT = process.env.BENCHFLEET_ROOT
  ? resolve(process.env.BENCHFLEET_ROOT)
  : resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const DEFAULT_SKU_CATALOG = join(REPO_ROOT, "configs", "skus.yaml");

function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

function readText(path: string): TextFile {
  try {
    return { file: displayPath(path), text: readFileSync(path, "utf8") };
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
}

/** A folder contributes its `*master.yaml` files (recursively, `deprecated/` skipped); a file is taken as is. */
export function masterConfigFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (name !== "deprecated" && !name.startsWith(".")) walk(p);
      } else if (/master\.ya?ml$/.test(name)) out.push(p);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new CliError(`config path not found: ${p}`, 2);
    if (statSync(p).isDirectory()) walk(p);
    else out.push(p);
  }
  if (!out.length) throw new CliError(`no master config (*master.yaml) found in ${paths.join(", ")}`, 2);
  return out;
}

export function readMasterConfigs(paths: string[], only?: ReadonlySet<string>): LoadedConfigs {
  return loadMasterConfigs(
    masterConfigFiles(paths).map((p) => readText(resolve(p))),
    only ? { only } : {},
  );
}

export function readSkuCatalog(path = DEFAULT_SKU_CATALOG): SkuCatalog {
  const f = readText(path);
  return loadYaml(f.text, f.file, SkuCatalog).value as SkuCatalog;
}

export function readRunners(path?: string): RunnersFile | undefined {
  return path ? loadRunnersFile(readText(path)) : undefined;
}

function runGit(gitArgs: string[], cwd: string): string {
  try {
    return execFileSync("git", gitArgs, {
      cwd,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new CliError(`git ${gitArgs.join(" ")} failed: ${(err.stderr ?? err.message).trim().split("\n")[0]}`, 2);
  }
}

/**
 * The master config files `paths` as they were at `rev` of the git repository holding each; a file
 * that did not exist then is left out.
 */
function masterConfigsAt(rev: string, paths: string[]): TextFile[] {
  const out: TextFile[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const top = runGit(["rev-parse", "--show-toplevel"], dirname(abs)).trim();
    const rel = relative(top, abs);
    if (!runGit(["ls-tree", "--name-only", rev, "--", rel], top).trim()) continue;
    out.push({ file: `${rev}:${rel}`, text: runGit(["show", `${rev}:${rel}`], top) });
  }
  return out;
}

/** `git diff base head -- changelog` → the added entries, validated and expanded. */
export function readChangelogSelection(args: {
  changelog: string;
  base: string;
  head?: string;
  configKeys: Iterable<string>;
}): ChangelogSelection {
  const file = resolve(args.changelog);
  if (!args.head && !statSync(file, { throwIfNoEntry: false })?.isFile())
    throw new CliError(`changelog not found: ${args.changelog}`, 2);
  const cwd = dirname(file);
  const git = (gitArgs: string[], at = cwd) => runGit(gitArgs, at);
  const top = git(["rev-parse", "--show-toplevel"]).trim();
  const relPath = relative(top, file);
  // git diff ignores an untracked file: all its entries would silently count as none
  if (!args.head && !git(["ls-files", "--", relPath]).trim())
    throw new CliError(
      `changelog ${args.changelog} is not tracked by git (git add it to compare it with ${args.base})`,
      2,
    );
  const range = args.head ? [args.base, args.head] : [args.base];
  // from the top: a pathspec is relative to git's working directory, and relPath to the top (from
  // the changelog's own folder, configs/perf-changelog.yaml named configs/configs/…: an empty diff)
  const diff = git(["diff", "--no-color", "--unified=0", ...range, "--", relPath], top);
  const headText = args.head ? git(["show", `${args.head}:${relPath}`]) : readFileSync(file, "utf8");
  return selectFromChangelog({
    file: displayPath(file),
    baseLabel: `${args.base}:${relPath}`,
    headText,
    diff: parseUnifiedDiff(diff),
    configKeys: args.configKeys,
  });
}

export interface PlanRequest {
  config: string[];
  runners?: string;
  keys?: string[];
  skus?: string[];
  changelog?: string;
  base?: string;
  head?: string;
  skuCatalog?: string;
  /** srt-slurm directories for the rows' CONFIG_FILE (later overlay earlier); default BENCHFLEET_SRT_SLURM */
  srtSlurm?: string[];
  /** plan only these scenario types (intersected with a changelog's scenario-type) */
  scenarios?: ScenarioType[];
  /** recipe presets stored with the deployments (default configs/recipes) */
  recipes?: string;
  /** a lab (InferenceX) checkout: the benchmark scripts of script-mode deployments */
  lab?: string;
}

export function planFromFiles(req: PlanRequest): Plan {
  const catalog = readSkuCatalog(req.skuCatalog);
  // with a changelog only the entries it names are validated (see LoadOptions.only)
  let configs = req.changelog ? undefined : readMasterConfigs(req.config);
  const runners = readRunners(req.runners);
  const skus = req.skus?.map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const s of skus ?? []) {
    if (!(s in catalog))
      throw new CliError(`unknown SKU "${s}" in --sku (known: ${Object.keys(catalog).join(", ")})`, 2);
  }
  let keys = req.keys;
  let changelog: ChangelogSelection | undefined;
  let evalsOnlyKeys: Set<string> | undefined;
  let allEvalsKeys: Set<string> | undefined;
  let scenarioTypes: Set<"fixed-seq-len" | "agentic-coding"> | undefined;
  if (req.changelog) {
    if (!req.base) throw new CliError("--changelog needs --base REV (and optionally --head REV)", 2);
    const sel = readChangelogSelection({
      changelog: req.changelog,
      base: req.base,
      head: req.head,
      configKeys: masterConfigKeys(masterConfigFiles(req.config).map((p) => readText(resolve(p)))),
    });
    if (keys) {
      throw new CliError("give either --keys or --changelog, not both", 2);
    }
    changelog = sel;
    keys = sel.keys;
    evalsOnlyKeys = new Set(sel.evalsOnlyKeys);
    if (sel.allEvalsKeys.length) allEvalsKeys = new Set(sel.allEvalsKeys);
    if (sel.scenarioTypes) scenarioTypes = new Set(sel.scenarioTypes);
    configs = readMasterConfigs(req.config, new Set(keys));
    if (!keys.length) {
      return {
        deployments: [],
        totals: {
          deployments: 0,
          singleNodeDeployments: 0,
          multiNodeDeployments: 0,
          points: 0,
          evals: 0,
          gpuHours: 0,
          wallSeconds: 0,
        },
        bySku: {},
      };
    }
  }
  const srtRecipes = srtRecipesFor(req.srtSlurm);
  if (req.scenarios) {
    const only = new Set(req.scenarios);
    scenarioTypes = new Set([...(scenarioTypes ?? only)].filter((t) => only.has(t)));
  }
  const lab = req.lab;
  const opts: PlanOptions = {
    catalog,
    runners,
    ...(srtRecipes ? { srtRecipes } : {}),
    ...(lab !== undefined ? { labScripts: (rel: string) => existsSync(join(lab, rel)) } : {}),
    skus: skus as SkuName[] | undefined,
    selection: {
      ...(keys ? { keys } : {}),
      ...(evalsOnlyKeys ? { evalsOnlyKeys } : {}),
      ...(allEvalsKeys ? { allEvalsKeys } : {}),
      ...(scenarioTypes ? { scenarioTypes } : {}),
    },
  };
  let plan = buildPlan(configs ?? readMasterConfigs(req.config), opts);
  if (changelog?.appendOnly) plan = appendOnlyPlan(plan, changelog, req, opts);
  return storeRecipeSettings(plan, req.recipes, req.lab);
}

/**
 * An append-only changelog's plan: `head` (the plan of the selection at head) reduced to the points
 * the base revision's configs lack (append-only.ts); what breaks the rules is a config error at the
 * changelog's entries.
 */
function appendOnlyPlan(head: Plan, sel: ChangelogSelection, req: PlanRequest, opts: PlanOptions): Plan {
  const files = masterConfigFiles(req.config);
  const baseFiles = masterConfigsAt(req.base!, files);
  const selected = new Map<string, Set<ScenarioType>>();
  for (const { entry, keys } of sel.entries)
    for (const k of keys)
      for (const t of entry["scenario-type"] ?? ["fixed-seq-len", "agentic-coding"])
        selected.set(k, (selected.get(k) ?? new Set()).add(t));
  let problems = appendOnlyScopeProblems(
    rawMasterEntries(baseFiles),
    rawMasterEntries(files.map((p) => readText(resolve(p)))),
    selected,
  );
  if (!problems.length) {
    const base = buildPlan(loadMasterConfigs(baseFiles, { only: new Set(selected.keys()) }), opts);
    const delta = appendOnlyDelta(base.deployments, head.deployments);
    if ("deployments" in delta) return withDeployments(head, delta.deployments);
    problems = delta.problems;
  }
  const file = displayPath(resolve(req.changelog!));
  throw new ConfigError(problems.map((message) => ({ file, line: sel.entries[0]!.line, col: 1, path: "", message })));
}

/** The recipe source over `dirs` (or BENCHFLEET_SRT_SLURM); none when neither names a directory. */
export function srtRecipesFor(dirs: string[] | undefined): SrtRecipeSource | undefined {
  const list = dirs?.length ? dirs : srtSlurmDirsFromEnv();
  if (!list.length) return undefined;
  try {
    return srtRecipeSource(list, gitTree);
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}
