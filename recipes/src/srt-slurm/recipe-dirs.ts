/**
 * Where srt-slurm recipes are: `--srt-slurm DIR` (repeatable) or BENCHFLEET_SRT_SLURM
 * (directories joined by `:`). Later directories overlay earlier ones, as the lab's runners copy
 * InferenceX's benchmarks/multi_node/srt-slurm-recipes/ over the srt-slurm clone's recipes/: a
 * row's `CONFIG_FILE=recipes/a/b.yaml` is looked up, last directory first, as DIR/recipes/a/b.yaml
 * and DIR/a/b.yaml (a directory given is either an srt-slurm checkout or an overlay of its recipes/).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SrtRecipeSource } from "@benchfleet/shared";
import { srtInfraNodes } from "./infra-nodes.js";
import { srtRecipeConfigs } from "./recipe-configs.js";
import { srtBenchmark } from "./srt-benchmark.js";

export const SRT_SLURM_ENV = "BENCHFLEET_SRT_SLURM";

/** The directories of the environment variable, in order. */
export function srtSlurmDirsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[SRT_SLURM_ENV] ?? "").split(":").filter(Boolean);
}

/** Candidate paths of `configFile`, in lookup order (the last directory first). */
export function candidatePaths(dirs: string[], configFile: string): string[] {
  const out: string[] = [];
  for (const dir of [...dirs].reverse()) {
    out.push(join(dir, configFile));
    if (configFile.startsWith("recipes/")) out.push(join(dir, configFile.slice("recipes/".length)));
  }
  return out;
}

/** A recipe source over `dirs`; a directory that does not exist is an error now, not per row. */
export function srtRecipeSource(dirs: string[]): SrtRecipeSource {
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--srt-slurm ${dir}: no such directory`);
  }
  const source: SrtRecipeSource = (configFile) => {
    const searched = candidatePaths(dirs, configFile);
    for (const path of searched) {
      if (existsSync(path) && statSync(path).isFile()) return { path, text: readFileSync(path, "utf8") };
    }
    return { error: `recipe ${configFile} not found; searched ${searched.join(", ")}` };
  };
  source.infraNodes = srtInfraNodes;
  source.configs = srtRecipeConfigs(dirs);
  source.benchmark = srtBenchmark;
  return source;
}
