/**
 * The reference lab's `append-only` changelog entries: a change that only adds load points to an
 * existing curve (or a recipe variant on an existing curve) runs only what it added, with no
 * evals. As its `process_changelog.py`:
 * - scope: a config key the changelog does not name must be unchanged between base and head; a
 *   named key keeps its set of scenario types, and a scenario type the entry does not select keeps
 *   its text (and so do the key's other fields when such a scenario exists);
 * - delta: both revisions are planned over the same selection; every base deployment (a server
 *   configuration, everything but its points) must still be planned at head with all its points;
 *   the head's points that the base lacks are the sweep; at least one is required;
 * - each added point belongs to a curve the base already draws (same model, precision, framework,
 *   runner, lengths, spec decoding, …) whose deployments all use the one unchanged image.
 * Pure: the plans and raw entries are given.
 */

import type { Deployment, LoadPoint } from "./deployment.js";
import { estimateDeployment } from "./plan-estimate.js";
import { canonicalJson } from "./planner.js";

type ScenarioType = Deployment["scenario"];

/** Keys of `base`/`head` (raw master-config entries) changed outside what the entries select. */
export function appendOnlyScopeProblems(
  base: ReadonlyMap<string, unknown>,
  head: ReadonlyMap<string, unknown>,
  selected: ReadonlyMap<string, ReadonlySet<ScenarioType>>,
): string[] {
  const problems: string[] = [];
  const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
  const unrelated = [...new Set([...base.keys(), ...head.keys()])]
    .filter((k) => !selected.has(k) && !same(base.get(k), head.get(k)))
    .sort();
  if (unrelated.length)
    problems.push(`append-only changed configs its changelog entries do not name: ${unrelated.join(", ")}`);
  for (const [key, types] of selected) {
    const b = asRecord(base.get(key));
    const h = asRecord(head.get(key));
    if (!b) {
      problems.push(`append-only needs config ${key} in the base revision (it is new: run it as a regular entry)`);
      continue;
    }
    if (!h) continue; // a key the head lacks is reported by the changelog's own key check
    const bs = asRecord(b.scenarios) ?? {};
    const hs = asRecord(h.scenarios) ?? {};
    if (canonicalJson(Object.keys(bs).sort()) !== canonicalJson(Object.keys(hs).sort())) {
      problems.push(`append-only added or removed a scenario type in config ${key}`);
      continue;
    }
    const unselected = Object.keys(bs).filter((t) => !types.has(t as ScenarioType));
    const { scenarios: _b, ...bTop } = b;
    const { scenarios: _h, ...hTop } = h;
    if (unselected.length && !same(bTop, hTop))
      problems.push(`append-only changed config-wide fields of ${key}, which also hold scenarios it does not select`);
    for (const t of unselected)
      if (!same(bs[t], hs[t]))
        problems.push(`append-only changed scenario ${t} of ${key}, outside its changelog scope`);
  }
  return problems;
}

const pointId = (p: LoadPoint) => `${p.concurrency}/${p.isl}/${p.osl}/${p.durationS ?? ""}`;

/** The curve a deployment's points are drawn on (the reference's visual series). */
function curveOf(d: Deployment): string {
  const fixed = d.scenario === "fixed-seq-len";
  return canonicalJson([
    d.model,
    d.modelPrefix,
    d.precision,
    d.framework,
    d.runner,
    d.disagg,
    d.scenario,
    fixed ? d.isl : null,
    fixed ? d.osl : null,
    (d.agentic?.kvOffloading ?? "none") !== "none",
    fixed ? d.specDecoding : "",
    d.prefill?.hardware ?? null,
    d.decode?.hardware ?? null,
  ]);
}

const label = (d: Deployment) =>
  `${d.configKey} (${d.scenario}${d.scenario === "fixed-seq-len" ? ` ${d.isl}/${d.osl}` : ""}, ${d.multinode ? "multi-node" : `tp${d.tp} ep${d.ep}`})`;

/**
 * The deployments of `head` reduced to the points `base` lacks (no evals), or the reasons the
 * change is not append-only.
 */
export function appendOnlyDelta(
  base: readonly Deployment[],
  head: readonly Deployment[],
): { deployments: Deployment[] } | { problems: string[] } {
  if (!base.length) return { problems: ["append-only needs an existing curve in the base revision: it plans none"] };
  const problems: string[] = [];
  const headBy = new Map(head.map((d) => [d.fingerprint, d]));
  const baseBy = new Map(base.map((d) => [d.fingerprint, d]));
  for (const b of base) {
    const h = headBy.get(b.fingerprint);
    if (!h) {
      problems.push(`append-only may not remove or modify an existing configuration: ${label(b)}`);
      continue;
    }
    const kept = new Set(h.points.map(pointId));
    const removed = b.points.filter((p) => !kept.has(pointId(p))).map((p) => p.concurrency);
    if (removed.length)
      problems.push(`append-only may not remove existing points of ${label(b)}: concurrency ${removed.join(", ")}`);
  }
  if (problems.length) return { problems };

  const delta: Deployment[] = [];
  for (const h of head) {
    const had = new Set((baseBy.get(h.fingerprint)?.points ?? []).map(pointId));
    const points = h.points.filter((p) => !had.has(pointId(p)));
    if (!points.length) continue;
    const { evalConc: _e, ...rest } = h;
    delta.push({
      ...rest,
      points,
      eval: false,
      evalsOnly: false,
      estimate: estimateDeployment({
        nodes: h.nodes,
        gpus: h.gpus,
        points,
        promptsPerConc: h.promptsPerConc * (h.repeats ?? 1),
        eval: false,
      }),
    });
  }
  if (!delta.length) return { problems: ["append-only added no load point: every head point is already in the base"] };

  const baseImages = new Map<string, Set<string>>();
  for (const b of base) baseImages.set(curveOf(b), (baseImages.get(curveOf(b)) ?? new Set()).add(b.image));
  for (const d of delta) {
    const images = baseImages.get(curveOf(d));
    if (!images)
      problems.push(
        `append-only points of ${label(d)} belong to no curve of the base revision (a new curve is a regular entry)`,
      );
    else if (images.size !== 1 || !images.has(d.image))
      problems.push(
        `append-only points of ${label(d)} must use the image of their curve's existing points (${[...images].join(", ")}), not ${d.image}`,
      );
  }
  return problems.length ? { problems } : { deployments: delta };
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
