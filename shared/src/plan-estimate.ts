/**
 * Wall-time and GPU-hour estimate of a deployment. A deliberately simple, documented model
 * (good enough to order and backfill jobs; the real durations are measured and reported):
 *
 *  - launch  = 240 s (image present, weights from local disk) + 120 s per extra node (gang barrier)
 *              + 60 s per 100 GB of weights read per GPU group is ignored (unknown model size);
 *  - a load point at concurrency c: (promptsPerConc·c + w·c warmups, w = the point's warmups per
 *    unit of concurrency, 2 when unset) requests in c parallel streams, each request ≈ osl × tpot(c)
 *    with tpot(c) = 20 ms × (1 + c/128) plus isl/20000 s of prefill, but no faster than the point's
 *    request rate lets the measured prompts start, + 15 s of per-point overhead;
 *  - an agentic point: its fixed measured duration + the per-point overhead;
 *  - eval    = 300 s per eval run (one per eval concurrency; ≈ 1319 GSM8K questions at high concurrency);
 *  - GPU-hours = gpus × (launch + load + eval) / 3600.
 */
import type { LoadPoint } from "./deployment.js";

export const ESTIMATE = {
  launchBaseS: 240,
  launchPerExtraNodeS: 120,
  tpotBaseS: 0.02,
  tpotKneeConcurrency: 128,
  prefillTokensPerS: 20_000,
  perPointOverheadS: 15,
  evalS: 300,
} as const;

/** The measured prompts of a point: concurrency × prompts per concurrency, raised to the point's floor. */
export function measuredPrompts(p: LoadPoint, promptsPerConc: number): number {
  return Math.max(promptsPerConc * p.concurrency, p.minPrompts ?? 0);
}

export function estimatePointSeconds(p: LoadPoint, promptsPerConc: number): number {
  if (p.durationS !== undefined) return p.durationS + ESTIMATE.perPointOverheadS;
  const measured = measuredPrompts(p, promptsPerConc);
  const requests = measured + (p.warmupsPerConc ?? 2) * p.concurrency;
  const waves = requests / p.concurrency;
  const tpot = ESTIMATE.tpotBaseS * (1 + p.concurrency / ESTIMATE.tpotKneeConcurrency);
  const perRequest = p.osl * tpot + p.isl / ESTIMATE.prefillTokensPerS;
  const warmups = (p.warmupsPerConc ?? 2) * p.concurrency;
  const paced =
    (p.requestRate ? measured / p.requestRate : 0) + (p.warmupRequestRate ? warmups / p.warmupRequestRate : 0);
  return Math.max(waves * perRequest, paced) + ESTIMATE.perPointOverheadS;
}

export function estimateDeployment(args: {
  nodes: number;
  gpus: number;
  points: LoadPoint[];
  promptsPerConc: number;
  eval: boolean;
  /** eval runs of the launch, one per eval concurrency (absent: one) */
  evalRuns?: number;
}) {
  const launchSeconds = ESTIMATE.launchBaseS + ESTIMATE.launchPerExtraNodeS * Math.max(0, args.nodes - 1);
  const loadSeconds = args.points.reduce((s, p) => s + estimatePointSeconds(p, args.promptsPerConc), 0);
  const evalSeconds = args.eval ? ESTIMATE.evalS * (args.evalRuns ?? 1) : 0;
  const wallSeconds = launchSeconds + loadSeconds + evalSeconds;
  return {
    launchSeconds: round(launchSeconds),
    loadSeconds: round(loadSeconds),
    evalSeconds,
    wallSeconds: round(wallSeconds),
    gpuHours: round((args.gpus * wallSeconds) / 3600, 4),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
