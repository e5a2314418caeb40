/**
 * Wall-clock estimate of a plan: each deployment (each launch), and the whole sweep on the nodes
 * it will run on.
 *
 * A deployment's wall time, by what is known (`basis`):
 *  - `measured`: jobs of this very deployment (same fingerprint, as many load points) succeeded
 *    before: the median of their wall times (first start to finish);
 *  - `calibrated`: jobs of the same SKU and framework succeeded: the model's estimate times their
 *    measured over planned wall time (as a running sweep's pace, job-live.ts);
 *  - `model`: nothing measured: the plan's estimate (plan-estimate.ts).
 * The sweep: each runner label's launches are packed onto its nodes, longest first, each on the
 * gang of nodes that is free earliest; labels run side by side, so the sweep takes as long as its
 * slowest label. A label whose node count is unknown gets as many nodes as its largest gang (its
 * launches then run one after another where they need that gang). Pure.
 */
import { z } from "zod";
import type { JobRecord } from "./api-records.js";
import { sweepPaceFactor } from "./job-live.js";

export const TimingBasis = z.enum(["measured", "calibrated", "model"]);
export type TimingBasis = z.infer<typeof TimingBasis>;

/** what the timing needs of a deployment */
export const TimingInput = z
  .object({
    fingerprint: z.string().min(1).max(200),
    sku: z.string().min(1).max(100),
    framework: z.string().min(1).max(100),
    runner: z.string().min(1).max(200),
    nodes: z.number().int().positive().max(10_000),
    /** load points it measures */
    points: z.number().int().nonnegative(),
    /** the plan's estimate of its wall time (Deployment.estimate.wallSeconds) */
    modelSeconds: z.number().nonnegative(),
  })
  .strict();
export type TimingInput = z.infer<typeof TimingInput>;

export const DeploymentTiming = z
  .object({
    fingerprint: z.string(),
    wallSeconds: z.number(),
    basis: TimingBasis,
    /** finished jobs the figure rests on (0 for `model`) */
    jobs: z.number(),
    /** `calibrated`: measured over planned wall time of those jobs */
    factor: z.number().optional(),
  })
  .strict();
export type DeploymentTiming = z.infer<typeof DeploymentTiming>;

export const RunnerTiming = z
  .object({
    /** nodes the label's launches were packed onto */
    nodes: z.number(),
    /** whether that count came from the fleet or a runners file (else the label's largest gang) */
    nodesKnown: z.boolean(),
    launches: z.number(),
    wallSeconds: z.number(),
  })
  .strict();
export type RunnerTiming = z.infer<typeof RunnerTiming>;

export const PlanTiming = z
  .object({
    /** in the order of the plan's deployments */
    deployments: z.array(DeploymentTiming),
    byRunner: z.record(z.string(), RunnerTiming),
    /** the sweep, labels side by side */
    wallSeconds: z.number(),
    /** every launch one after another */
    serialSeconds: z.number(),
    /** deployments per basis */
    bases: z.record(TimingBasis, z.number()),
    /** where the node counts came from: the controller's fleet, a runners file, or nowhere */
    nodesFrom: z.enum(["fleet", "runners-file", "none"]),
  })
  .strict();
export type PlanTiming = z.infer<typeof PlanTiming>;

type HistoryJob = Pick<
  JobRecord,
  "fingerprint" | "sku" | "framework" | "status" | "startedAt" | "finishedAt" | "estimatedSeconds" | "pointsTotal"
>;

function wallOf(j: HistoryJob): number | undefined {
  if (j.status !== "succeeded" || !j.startedAt || !j.finishedAt) return undefined;
  const s = (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000;
  return Number.isFinite(s) && s > 0 ? s : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Each deployment's wall time from the history of finished jobs, else the model. */
export function deploymentTimings(
  deployments: readonly TimingInput[],
  history: Iterable<HistoryJob>,
): DeploymentTiming[] {
  const byFingerprint = new Map<string, number[]>();
  const byKind = new Map<string, HistoryJob[]>();
  for (const j of history) {
    const w = wallOf(j);
    if (w === undefined) continue;
    const f = `${j.fingerprint}\0${j.pointsTotal}`;
    byFingerprint.set(f, [...(byFingerprint.get(f) ?? []), w]);
    const k = `${j.sku}\0${j.framework}`;
    byKind.set(k, [...(byKind.get(k) ?? []), j]);
  }
  return deployments.map((d) => {
    const same = byFingerprint.get(`${d.fingerprint}\0${d.points}`);
    if (same?.length)
      return { fingerprint: d.fingerprint, wallSeconds: median(same), basis: "measured", jobs: same.length };
    const kind = byKind.get(`${d.sku}\0${d.framework}`) ?? [];
    const factor = sweepPaceFactor(kind);
    if (factor !== undefined)
      return {
        fingerprint: d.fingerprint,
        wallSeconds: d.modelSeconds * factor,
        basis: "calibrated",
        jobs: kind.filter((j) => j.estimatedSeconds > 0).length,
        factor,
      };
    return { fingerprint: d.fingerprint, wallSeconds: d.modelSeconds, basis: "model", jobs: 0 };
  });
}

/** Launches of `nodes`-node gangs packed onto `capacity` nodes, longest first: when the last ends. */
export function packedSeconds(launches: ReadonlyArray<{ nodes: number; seconds: number }>, capacity: number): number {
  const free = new Array<number>(Math.max(1, capacity)).fill(0);
  for (const l of [...launches].sort((a, b) => b.seconds - a.seconds)) {
    free.sort((a, b) => a - b);
    const gang = Math.min(l.nodes, free.length);
    const start = free[gang - 1]!;
    for (let i = 0; i < gang; i++) free[i] = start + l.seconds;
  }
  return Math.max(...free);
}

/**
 * The plan's timing: each deployment's, and the sweep's on `nodesByRunner` (runner label → nodes
 * able to run it; `nodesFrom` says where those counts came from).
 */
export function planTiming(
  deployments: readonly TimingInput[],
  history: Iterable<HistoryJob>,
  nodesByRunner: Readonly<Record<string, number>>,
  nodesFrom: PlanTiming["nodesFrom"],
): PlanTiming {
  const timings = deploymentTimings(deployments, history);
  const groups = new Map<string, Array<{ nodes: number; seconds: number }>>();
  deployments.forEach((d, i) => {
    groups.set(d.runner, [...(groups.get(d.runner) ?? []), { nodes: d.nodes, seconds: timings[i]!.wallSeconds }]);
  });
  const byRunner: Record<string, RunnerTiming> = {};
  for (const [runner, launches] of groups) {
    const largest = Math.max(...launches.map((l) => l.nodes));
    const known = nodesByRunner[runner];
    const nodes = known && known > 0 ? Math.max(known, largest) : largest;
    byRunner[runner] = {
      nodes,
      nodesKnown: known !== undefined && known > 0,
      launches: launches.length,
      wallSeconds: packedSeconds(launches, nodes),
    };
  }
  const bases: Record<TimingBasis, number> = { measured: 0, calibrated: 0, model: 0 };
  for (const t of timings) bases[t.basis]++;
  return {
    deployments: timings,
    byRunner,
    wallSeconds: Math.max(0, ...Object.values(byRunner).map((r) => r.wallSeconds)),
    serialSeconds: timings.reduce((s, t) => s + t.wallSeconds, 0),
    bases,
    nodesFrom,
  };
}

/** What the timing needs of a plan's deployment. */
export function timingInput(d: {
  fingerprint: string;
  sku: string;
  framework: string;
  runner: string;
  nodes: number;
  points: readonly unknown[];
  evalsOnly?: boolean;
  estimate: { wallSeconds: number };
}): TimingInput {
  return {
    fingerprint: d.fingerprint,
    sku: d.sku,
    framework: d.framework,
    runner: d.runner,
    nodes: d.nodes,
    points: d.evalsOnly ? 0 : d.points.length,
    modelSeconds: d.estimate.wallSeconds,
  };
}
