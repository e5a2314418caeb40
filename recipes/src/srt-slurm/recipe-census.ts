/**
 * Which multi-node deployments of a plan build their launch from the srt-slurm recipe their row
 * names, and why the others do not: the check over the lab's real checkouts (tests/lab/) and the
 * figures in docs/srt-slurm.md. Deployments are planned without recipes; each one's CONFIG_FILE
 * is then resolved, its benchmark section checked against the deployment's load points
 * (srt-benchmark.ts) and its launch built on its own, so one row's problem does not hide the others'.
 */
import type { Deployment, SrtRecipeRef, SrtRecipeSource } from "@benchfleet/shared";
import { formatProblem, labSubmitsOwnRecipe, RecipeError, srtDepDeployment } from "@benchfleet/shared";
import { findUnlaunchable } from "../launchable.js";
import { srtInfraNodes } from "./infra-nodes.js";
import { srtAggShape } from "./srt-agg-shape.js";
import { srtBenchmark } from "./srt-benchmark.js";
import { srtPoolNodes } from "./srt-spread-workers.js";

export interface CensusEntry {
  configKey: string;
  fingerprint: string;
  configFile?: string;
  /** undefined: the plan builds from the recipe */
  reason?: string;
  /** the plan builds with this warning (the recipe's concurrencies run instead of the row's) */
  warning?: string;
}

export function configFileOf(d: Deployment): string | undefined {
  for (const pool of [d.prefill, d.decode]) {
    const s = pool?.additionalSettings.find((x) => x.startsWith("CONFIG_FILE="));
    if (s) return s.slice("CONFIG_FILE=".length);
  }
  return undefined;
}

export function srtRecipeCensus(deployments: readonly Deployment[], source: SrtRecipeSource): CensusEntry[] {
  const out: CensusEntry[] = [];
  for (const planned of deployments) {
    if (!planned.multinode) continue;
    // as the planner reads a row launched from its recipe
    let d = srtDepDeployment(planned);
    const configFile = configFileOf(d);
    const base = { configKey: d.configKey, fingerprint: d.fingerprint };
    if (!configFile) {
      out.push({ ...base, reason: "the row names no CONFIG_FILE" });
      continue;
    }
    if (labSubmitsOwnRecipe(d.framework)) {
      out.push({
        ...base,
        configFile,
        reason: `framework ${d.framework}: CONFIG_FILE names the lab's own submitter's recipe, not srt-slurm's; the row runs the lab's multi-node script (script mode)`,
      });
      continue;
    }
    const found = source(configFile.split(":")[0]!);
    if ("error" in found) {
      out.push({ ...base, configFile, reason: found.error });
      continue;
    }
    const plain: SrtRecipeRef = {
      configFile,
      path: found.path,
      text: found.text,
      ...(found.srtctl ? { srtctl: found.srtctl } : {}),
    };
    const configs = source.configs ? source.configs(plain, d) : [];
    if ("error" in configs) {
      out.push({ ...base, configFile, reason: configs.error });
      continue;
    }
    const ref = configs.length ? { ...plain, configs } : plain;
    // as the planner launches an aggregated recipe whose topology differs from the row's
    const shaped = srtAggShape(ref, d);
    if (shaped) {
      const extra = d.nodes - (d.prefill?.nodes ?? 0) - (d.decode?.nodes ?? 0);
      d = {
        ...d,
        prefill: shaped.prefill,
        decode: shaped.decode,
        gpus: shaped.prefill.gpus + shaped.decode.gpus,
        nodes: shaped.prefill.nodes + shaped.decode.nodes + extra,
        ...(shaped.resultGpus ? { resultGpus: shaped.resultGpus } : {}),
      };
    }
    const infraNodes = srtInfraNodes(ref, d);
    // the planner's pools for the recipe: its infrastructure node, its spread workers' nodes
    const spread = srtPoolNodes(ref, d);
    const pools =
      spread && d.prefill && d.decode
        ? {
            prefill: { ...d.prefill, nodes: spread.prefill },
            decode: { ...d.decode, nodes: spread.decode },
          }
        : {};
    const workerNodes = spread ? spread.prefill + spread.decode : d.nodes;
    const withRecipe: Deployment = {
      ...d,
      ...pools,
      srtRecipe: ref,
      nodes: workerNodes + infraNodes,
      ...(infraNodes ? { infraNodes } : {}),
    };
    let problem: string | undefined;
    let warning: string | undefined;
    try {
      const load = { isl: d.isl, osl: d.osl, concurrencies: d.points.map((p) => p.concurrency) };
      const bench = srtBenchmark(ref, d, load);
      warning = (bench && "point" in bench ? bench.warning : undefined) ?? shaped?.warning;
      problem =
        bench && "problems" in bench
          ? bench.problems.map(formatProblem).join("\n")
          : findUnlaunchable([withRecipe])[0]?.reason;
    } catch (e) {
      problem = `${e instanceof RecipeError ? "" : "internal error: "}${(e as Error).message}`;
    }
    out.push({ ...base, configFile, ...(problem ? { reason: problem } : warning ? { warning } : {}) });
  }
  return out;
}

/** The reason with locations and names stripped, for counting alike failures together. */
export function reasonKind(reason: string): string {
  const first = reason.split("\n")[0]!;
  // a variant's name may hold an index: [variant zip_override_x[0]]
  return first
    .replace(/^\S+:\d+:\d+: /, "")
    .replace(/ \(row [^)]*\)$/, "")
    .replace(/ \[variant (?:[^[\]]|\[[^\]]*\])*\]/, "")
    .replace(/recipe \S+ not found; searched .*/, "recipe file not found in the directories given")
    .replace(/\d+/g, "N");
}
