/**
 * Where srt-slurm recipes are: `--srt-slurm DIR` (repeatable) or BENCHFLEET_SRT_SLURM
 * (entries joined by `:`); an entry `DIR@REF` is the tree of a git ref of the checkout DIR
 * (srt-tree.ts). Later entries overlay earlier ones, as the lab's runners copy InferenceX's
 * benchmarks/multi_node/srt-slurm-recipes/ over the srt-slurm clone's recipes/: a row's
 * `CONFIG_FILE=recipes/a/b.yaml` is looked up, last entry first, as recipes/a/b.yaml and a/b.yaml
 * of each (an entry is either an srt-slurm checkout or an overlay of its recipes/).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SrtRecipeSource } from "@benchfleet/shared";
import { srtInfraNodes } from "./infra-nodes.js";
import { srtRecipeWarnings } from "./read-srt-recipe.js";
import { srtRecipeConfigs } from "./recipe-configs.js";
import { srtAggShape } from "./srt-agg-shape.js";
import { srtBenchmark } from "./srt-benchmark.js";
import { srtReadySeconds } from "./srt-health-check.js";
import { srtPoolNodes } from "./srt-spread-workers.js";
import { type GitTreeOpener, type SrtTree, splitTreeSpec } from "./srt-tree.js";
import { srtctlDefaults } from "./srtctl-defaults.js";

export const SRT_SLURM_ENV = "BENCHFLEET_SRT_SLURM";

/** The entries of the environment variable, in order. */
export function srtSlurmDirsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[SRT_SLURM_ENV] ?? "").split(":").filter(Boolean);
}

/** The paths inside one entry a CONFIG_FILE is looked up at, in order. */
function candidateRels(configFile: string): string[] {
  return configFile.startsWith("recipes/") ? [configFile, configFile.slice("recipes/".length)] : [configFile];
}

/**
 * A recipe source over the entries; a missing directory or unknown ref is an error now, not per
 * row. `openGit` reads `DIR@REF` entries (the controller's gitTree); without it they are refused.
 */
export function srtRecipeSource(entries: string[], openGit?: GitTreeOpener): SrtRecipeSource {
  const trees: SrtTree[] = entries.map((spec) => openTree(spec, openGit));
  const srtctl = srtctlDefaults(trees);
  const source: SrtRecipeSource = (configFile) => {
    const searched: string[] = [];
    for (const tree of [...trees].reverse()) {
      for (const rel of candidateRels(configFile)) {
        const text = tree.read(rel);
        if (text !== undefined) return { path: tree.where(rel), text, ...(srtctl ? { srtctl } : {}) };
        searched.push(tree.where(rel));
      }
    }
    return { error: `recipe ${configFile} not found; searched ${searched.join(", ")}` };
  };
  source.infraNodes = srtInfraNodes;
  source.poolNodes = srtPoolNodes;
  source.configs = srtRecipeConfigs(trees);
  source.benchmark = srtBenchmark;
  source.warnings = srtRecipeWarnings;
  source.readySeconds = srtReadySeconds;
  source.shape = srtAggShape;
  return source;
}

/** One entry: an existing directory (its name may hold `@`), else `DIR@REF` through `openGit`. */
function openTree(spec: string, openGit?: GitTreeOpener): SrtTree {
  const parts = isDir(spec) ? [spec] : splitTreeSpec(spec);
  const [dir, ref] = parts;
  if (!isDir(dir)) throw new Error(`--srt-slurm ${spec}: no such directory${ref === undefined ? "" : ` ${dir}`}`);
  if (ref !== undefined) {
    if (!openGit) throw new Error(`--srt-slurm ${spec}: a git ref is not read here; give a directory`);
    return openGit(dir, ref, spec);
  }
  return {
    where: (rel) => join(dir, rel),
    read: (rel) => {
      const file = join(dir, rel);
      return existsSync(file) && statSync(file).isFile() ? readFileSync(file, "utf8") : undefined;
    },
  };
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
