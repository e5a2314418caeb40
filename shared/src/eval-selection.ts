/**
 * Which deployments run the accuracy eval, and at which concurrency, by default: the reference
 * generator's `mark_eval_entries`. Only 8k/1k rows and concurrencies >= 16 are eligible.
 * - single node: per (model, runner, framework, precision, spec decoding, DP attention), over every
 *   parallelism: the highest and the median eligible concurrency are evaluated; each deployment
 *   evaluates at those of them it holds (both, in one launch, when it holds both);
 * - multi node: each topology evaluates at its highest eligible concurrency.
 * The changelog's `all-evals` (`mark_all_eval_entries`): every 8k/1k concurrency of a deployment,
 * whatever its value. A row's `benchfleet.eval` overrides the selection for its deployments. Pure.
 */
import type { Deployment } from "./deployment.js";

export const EVAL_ISL = 8192;
export const EVAL_OSL = 1024;
export const MIN_EVAL_CONC = 16;

/** The fields of a deployment the selection reads. */
type Candidate = Pick<
  Deployment,
  "model" | "runner" | "framework" | "precision" | "isl" | "osl" | "specDecoding" | "dpAttn" | "multinode" | "points"
> & { scenario?: Deployment["scenario"] };

export interface EvalChoice {
  eval: boolean;
  /** the concurrencies the eval runs at, ascending (absent: no eval) */
  evalConcs?: number[];
}

/**
 * The concurrencies a deployment's eval runs at: `evalConcs`, else the one `evalConc` of
 * deployments planned before several were possible; undefined: the eval client's default.
 */
export function evalConcurrencies(d: { evalConc?: number; evalConcs?: number[] }): number[] | undefined {
  return d.evalConcs ?? (d.evalConc !== undefined ? [d.evalConc] : undefined);
}

/** `all-evals`: every 8k/1k fixed-seq-len concurrency of `d` (none: no eval). */
export function allEvalsChoice(d: Candidate): EvalChoice {
  const concs =
    d.scenario !== "agentic-coding" && d.isl === EVAL_ISL && d.osl === EVAL_OSL
      ? [...new Set(d.points.map((p) => p.concurrency))].sort((a, b) => a - b)
      : [];
  return concs.length ? { eval: true, evalConcs: concs } : { eval: false };
}

const eligible = (d: Candidate) =>
  d.scenario !== "agentic-coding" && d.isl === EVAL_ISL && d.osl === EVAL_OSL
    ? d.points.map((p) => p.concurrency).filter((c) => c >= MIN_EVAL_CONC)
    : [];

/** The lab's eval selection over `ds` (all the deployments of one plan), index for index. */
export function selectEvals(ds: readonly Candidate[]): EvalChoice[] {
  const out: EvalChoice[] = ds.map(() => ({ eval: false }));
  const groups = new Map<string, number[]>();
  ds.forEach((d, i) => {
    if (d.multinode || !eligible(d).length) return;
    const key = JSON.stringify([d.model, d.runner, d.framework, d.precision, d.isl, d.osl, d.specDecoding, !!d.dpAttn]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const members of groups.values()) {
    const concs = [...new Set(members.flatMap((i) => eligible(ds[i]!)))].sort((a, b) => a - b);
    const targets = new Set([concs[concs.length - 1]!, concs[Math.floor(concs.length / 2)]!]);
    for (const i of members) {
      const at = [...new Set(eligible(ds[i]!))].filter((c) => targets.has(c)).sort((a, b) => a - b);
      if (at.length) out[i] = { eval: true, evalConcs: at };
    }
  }
  ds.forEach((d, i) => {
    const concs = eligible(d);
    if (d.multinode && concs.length) out[i] = { eval: true, evalConcs: [Math.max(...concs)] };
  });
  return out;
}

/** The fields of an agentic deployment the changelog's agentic eval selection reads. */
export interface AgenticCandidate {
  model: string;
  runner: string;
  framework: string;
  precision: string;
  multinode: boolean;
  /** the server configuration without its concurrency (the lab's `_multinode_parallelism_key`) */
  topology: string;
  /** the concurrency of its one point */
  conc: number;
  /** its key is in an `all-evals` entry */
  all: boolean;
}

/**
 * Agentic evals, which the lab runs only for `evals-only` and `all-evals` changelog entries
 * (`mark_eval_entries(include_agentic=True)`, then `mark_all_eval_entries`): single node, per
 * (model, runner, framework, precision) the deployment of the highest concurrency (`all-evals`:
 * every one); multi node, per topology the highest concurrency >= 16 (`all-evals`: the highest).
 * Each evaluates at its own concurrency. Index for index.
 */
export function selectAgenticEvals(ds: readonly AgenticCandidate[]): EvalChoice[] {
  const out: EvalChoice[] = ds.map(() => ({ eval: false }));
  const groups = new Map<string, number[]>();
  ds.forEach((d, i) => {
    const key = d.multinode ? `multi ${d.topology}` : JSON.stringify([d.model, d.runner, d.framework, d.precision]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const members of groups.values()) {
    const all = members.some((i) => ds[i]!.all);
    if (all && !ds[members[0]!]!.multinode) {
      for (const i of members) out[i] = { eval: true, evalConcs: [ds[i]!.conc] };
      continue;
    }
    const pool = all ? members : members.filter((i) => !ds[i]!.multinode || ds[i]!.conc >= MIN_EVAL_CONC);
    if (!pool.length) continue;
    // the first of the highest, as the lab's max() keeps
    const best = pool.reduce((b, i) => (ds[i]!.conc > ds[b]!.conc ? i : b));
    out[best] = { eval: true, evalConcs: [ds[best]!.conc] };
  }
  return out;
}
