/**
 * What the job view computes from the records it loads: the points of an attempt, eval figures,
 * energy and telemetry summaries. Pure.
 */
import { fmtNum } from "./format.js";

/** a point's GPU energy: the sum over the deployment's nodes, each node's part listed */
export interface PointEnergy {
  complete: boolean;
  gpus: number;
  totalEnergyJ: number | null;
  joulesPerTotalToken: number | null;
  note?: string;
  nodes?: Array<{ node: string; energy: { gpus: number; totalEnergyJ: number | null; complete: boolean } }>;
}

/** a stored point as `GET /results?job=` lists it, with the parts of its result the view shows */
export interface JobPointRow {
  id: number;
  attemptId: string;
  concurrency: number;
  isl: number;
  osl: number;
  status: string;
  tputPerGpu: number | null;
  outputThroughput: number | null;
  medianTtftMs: number | null;
  medianTpotMs: number | null;
  interactivity: number | null;
  emulated: boolean;
  receivedAt: string;
  result: { failureReason?: string; energy?: PointEnergy; client?: { saturated: boolean } };
}

/** an eval as `GET /results/evals?job=` lists it (older rows carry the figures flat) */
export interface EvalRow {
  attemptId?: string;
  strictEm?: number;
  flexibleEm?: number;
  threshold?: number;
  passed?: boolean;
  emulated?: boolean;
  result?: {
    strict: { exactMatch: number };
    flexible: { exactMatch: number };
    threshold: number;
    passed: boolean;
    n: number;
    emulated: boolean;
    /** the load concurrency the eval ran at, when the plan chose it */
    concurrency?: number;
  };
}

/** The energy cell's tooltip: the total, each node's part, the note. */
export function energyTitle(e: PointEnergy | undefined): string | undefined {
  if (!e) return undefined;
  const lines = [
    `${e.gpus} GPUs${e.totalEnergyJ !== null ? `, ${fmtNum(e.totalEnergyJ)} J` : ""}${e.complete ? "" : " (partial)"}`,
  ];
  for (const n of e.nodes ?? [])
    lines.push(
      `${n.node}: ${n.energy.gpus} GPUs, ${n.energy.totalEnergyJ === null ? "no figure" : `${fmtNum(n.energy.totalEnergyJ)} J`}`,
    );
  if (e.note) lines.push(e.note);
  return lines.join("\n");
}

/** The points of the selected attempt (all of the job's with `all`, or when none is selected), by concurrency. */
export function attemptPoints(
  points: readonly JobPointRow[],
  attemptId: string | undefined,
  all: boolean,
): JobPointRow[] {
  return points
    .filter((p) => !attemptId || p.attemptId === attemptId || all)
    .slice()
    .sort((a, b) => a.concurrency - b.concurrency);
}

/** An eval's figures, from its result where it has one, else from the flat columns. */
export function evalFigures(e: EvalRow) {
  return {
    strict: e.result?.strict.exactMatch ?? e.strictEm,
    flexible: e.result?.flexible.exactMatch ?? e.flexibleEm,
    threshold: e.result?.threshold ?? e.threshold,
    passed: e.result?.passed ?? e.passed,
    emulated: e.result?.emulated ?? e.emulated,
    concurrency: e.result?.concurrency,
  };
}

/** The gang's GPU power (sum over nodes, W) and utilisation (mean over nodes, %) from each node's last sample. */
export function gangTelemetry(nodes: Iterable<{ powerW: number | null; utilPct: number | null }>): {
  powerW: number;
  utilPct: number;
} {
  const vals = [...nodes];
  return {
    powerW: vals.reduce((s, v) => s + (v.powerW ?? 0), 0),
    utilPct: vals.length ? vals.reduce((s, v) => s + (v.utilPct ?? 0), 0) / vals.length : 0,
  };
}
