/**
 * Energy of a measured window: the trapezoidal integral of each GPU's power over [t0, t1], with
 * linear interpolation at the window edges. Pure.
 */
import { type EnergySummary, noEnergy } from "@benchfleet/shared";

export interface PowerPoint {
  /** epoch ms */
  t: number;
  w: number;
}

export interface GpuEnergy {
  joules: number;
  /** ms of the window covered by samples */
  coveredMs: number;
  /** samples cover the window edges (within maxGapMs) with no gap larger than maxGapMs */
  complete: boolean;
}

function interp(a: PowerPoint, b: PowerPoint, t: number): number {
  if (b.t === a.t) return a.w;
  return a.w + ((b.w - a.w) * (t - a.t)) / (b.t - a.t);
}

/** Integral of one GPU's power (W) over [t0, t1] (ms) in joules. Samples may extend beyond the window. */
export function integrateGpu(samples: PowerPoint[], t0: number, t1: number, maxGapMs: number): GpuEnergy {
  const pts = [...samples].filter((p) => Number.isFinite(p.w)).sort((a, b) => a.t - b.t);
  if (t1 <= t0 || pts.length === 0) return { joules: 0, coveredMs: 0, complete: false };
  // clip to the window, interpolating at the edges where samples bracket them
  const clipped: PowerPoint[] = [];
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    const next = pts[i + 1];
    if (p.t < t0) {
      if (next && next.t > t0) clipped.push({ t: t0, w: interp(p, next, t0) });
      continue;
    }
    if (p.t > t1) {
      const prev = pts[i - 1];
      if (prev && prev.t < t1 && (clipped.length === 0 || clipped[clipped.length - 1].t < t1))
        clipped.push({ t: t1, w: interp(prev, p, t1) });
      break;
    }
    clipped.push(p);
  }
  if (clipped.length === 0) return { joules: 0, coveredMs: 0, complete: false };
  let joules = 0;
  let coveredMs = 0;
  let maxGap = 0;
  for (let i = 1; i < clipped.length; i++) {
    const dt = clipped[i].t - clipped[i - 1].t;
    if (dt > maxGapMs) {
      maxGap = Math.max(maxGap, dt);
      continue; // a hole: not counted as covered
    }
    joules += ((clipped[i].w + clipped[i - 1].w) / 2) * (dt / 1000);
    coveredMs += dt;
  }
  const startGap = clipped[0].t - t0;
  const endGap = t1 - clipped[clipped.length - 1].t;
  const complete = maxGap === 0 && startGap <= maxGapMs && endGap <= maxGapMs;
  return { joules, coveredMs, complete };
}

export interface EnergyInput {
  /** false: no GPU tool on this node */
  telemetry: boolean;
  /** the GPUs this deployment uses on this node, with their samples */
  samplesByGpu: Map<number, PowerPoint[]>;
  gpuIndices: number[];
  t0: number;
  t1: number;
  outputTokens: number;
  totalTokens: number;
  /** largest sample gap still treated as continuous (default 2 s at a 500 ms interval) */
  maxGapMs?: number;
}

/**
 * Energy summary of a load point. Complete windows give exact integrals; with gaps, covered time
 * of at least half the window gives an estimate from the average covered power (complete: false,
 * and the note says so); less gives nulls.
 */
export function summarizeEnergy(input: EnergyInput): EnergySummary {
  const { t0, t1, gpuIndices } = input;
  const maxGap = input.maxGapMs ?? 2000;
  const empty = (note: string): EnergySummary => noEnergy(gpuIndices.length, note);
  if (!input.telemetry) return empty("no GPU telemetry on this node");
  if (gpuIndices.length === 0) return empty("no GPUs in the deployment on this node");
  if (t1 <= t0) return empty("empty measurement window");
  const windowMs = t1 - t0;
  let total = 0;
  let complete = true;
  let minCoverage = 1;
  for (const idx of gpuIndices) {
    const e = integrateGpu(input.samplesByGpu.get(idx) ?? [], t0, t1, maxGap);
    const coverage = e.coveredMs / windowMs;
    minCoverage = Math.min(minCoverage, coverage);
    if (!e.complete) complete = false;
    if (e.coveredMs === 0) return empty(`no power samples for GPU ${idx} in the window`);
    total += e.complete ? e.joules : (e.joules / e.coveredMs) * windowMs;
  }
  if (!complete && minCoverage < 0.5)
    return empty(`power samples cover only ${Math.round(minCoverage * 100)}% of the window`);
  const per = (tokens: number) => (tokens > 0 ? total / tokens : null);
  const out: EnergySummary = {
    complete,
    gpus: gpuIndices.length,
    avgPowerW: total / (windowMs / 1000),
    totalEnergyJ: total,
    joulesPerOutputToken: per(input.outputTokens),
    joulesPerTotalToken: per(input.totalTokens),
  };
  if (!complete)
    out.note = `power samples cover ${Math.round(minCoverage * 100)}% of the window; energy estimated from the average covered power`;
  return out;
}
