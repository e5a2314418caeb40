/**
 * What a job is doing right now and how long it will still take, as `GET /api/v1/jobs` serves it:
 * the attempt's phase, nodes and elapsed time, the progress inside the current load point (from the
 * leader's `progress` messages), and an estimate of the time left from what was measured.
 *
 * The estimate, by what is known:
 *  - `measured`: the load phase has reported progress: the seconds per point measured so far in this
 *    attempt (points finished plus the fraction of the current one) times the points left, plus
 *    the plan's eval time when the eval is still to run;
 *  - `sweep`: no progress yet, but jobs of the same sweep finished: the plan's estimate scaled by
 *    their measured wall time over their planned one;
 *  - `plan`: nothing measured: the plan's estimate (a coarse model, see plan-estimate.ts);
 *  - `finished`: the job ended; `elapsedS` is its wall time.
 * Pure.
 */
import { z } from "zod";
import type { AttemptRecord, JobRecord } from "./api-records.js";
import { Phase } from "./attempt-parts.js";
import { ESTIMATE } from "./plan-estimate.js";

/** The load generator's progress inside one load point, as the leader last reported it. */
export const PointProgress = z
  .object({
    /** index of the point among the attempt's points (0-based) */
    pointIndex: z.number(),
    /** points this attempt measures */
    points: z.number(),
    concurrency: z.number(),
    isl: z.number(),
    osl: z.number(),
    /** warmup requests, then the measured run */
    stage: z.enum(["warmup", "run"]),
    /** requests done of total in this stage */
    done: z.number(),
    total: z.number(),
    /** output tokens per second over the stage so far, all GPUs of the deployment */
    outputTokensPerS: z.number(),
    /** seconds since the stage started */
    elapsedS: z.number(),
    /** when the leader sent it */
    at: z.string(),
  })
  .strict();
export type PointProgress = z.infer<typeof PointProgress>;

export const EstimateBasis = z.enum(["measured", "sweep", "plan", "finished"]);
export type EstimateBasis = z.infer<typeof EstimateBasis>;

export const JobLive = z
  .object({
    attemptId: z.string(),
    phase: Phase.optional(),
    /** agent ids of the gang, leader first */
    nodes: z.array(z.string()),
    /** seconds since the attempt started */
    elapsedS: z.number(),
    progress: PointProgress.optional(),
    /** 1-based number of the current point among the job's points */
    pointNumber: z.number().optional(),
    /** output tokens per second per GPU of the current point */
    tokPerSPerGpu: z.number().optional(),
  })
  .strict();
export type JobLive = z.infer<typeof JobLive>;

export const JobTiming = z
  .object({
    /** seconds the job has run (since its first attempt started) */
    elapsedS: z.number().optional(),
    /** estimated seconds still to go */
    remainingS: z.number(),
    basis: EstimateBasis,
  })
  .strict();
export type JobTiming = z.infer<typeof JobTiming>;

const isLive = (a: AttemptRecord) => a.state === "dispatched" || a.state === "running";

/** The live part of a running job, or undefined when its current attempt is not running. */
export function jobLive(job: JobRecord, att: AttemptRecord | undefined, nowMs: number): JobLive | undefined {
  if (!att || !isLive(att) || job.status !== "running") return undefined;
  const live: JobLive = {
    attemptId: att.attemptId,
    phase: att.phase,
    nodes: [...att.gang].sort((a, b) => a.rank - b.rank).map((m) => m.agentId),
    elapsedS: Math.max(0, (nowMs - att.startedAtMs) / 1000),
  };
  const p = att.progress;
  if (p && att.phase === "load") {
    live.progress = p;
    live.pointNumber = Math.max(1, job.pointsTotal - (p.points - p.pointIndex) + 1);
    if (job.gpus > 0) live.tokPerSPerGpu = p.outputTokensPerS / job.gpus;
  }
  return live;
}

/** Measured wall seconds over planned seconds of the sweep's succeeded jobs; undefined when none. */
export function sweepPaceFactor(
  jobs: Iterable<Pick<JobRecord, "status" | "startedAt" | "finishedAt" | "estimatedSeconds">>,
): number | undefined {
  let measured = 0;
  let planned = 0;
  for (const j of jobs) {
    if (j.status !== "succeeded" || !j.startedAt || !j.finishedAt || !(j.estimatedSeconds > 0)) continue;
    measured += (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000;
    planned += j.estimatedSeconds;
  }
  return planned > 0 && measured > 0 ? measured / planned : undefined;
}

/** Fraction of the attempt's points measured, counting the current point's measured run so far. */
function pointsMeasured(p: PointProgress): number {
  const inPoint = p.stage === "run" && p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  return p.pointIndex + inPoint;
}

export function jobTiming(
  job: JobRecord,
  att: AttemptRecord | undefined,
  pace: number | undefined,
  nowMs: number,
): JobTiming {
  const started = job.startedAt ? Date.parse(job.startedAt) : undefined;
  if (job.status === "succeeded" || job.status === "failed" || job.status === "cancelled") {
    const end = job.finishedAt ? Date.parse(job.finishedAt) : nowMs;
    return {
      elapsedS: started !== undefined ? Math.max(0, (end - started) / 1000) : undefined,
      remainingS: 0,
      basis: "finished",
    };
  }
  const elapsedS =
    started !== undefined && job.status === "running" ? Math.max(0, (nowMs - started) / 1000) : undefined;
  const p = att && isLive(att) && att.phase === "load" ? att.progress : undefined;
  const loadStart = att?.phases["0:load"]?.at;
  if (p && loadStart) {
    const done = pointsMeasured(p);
    const inLoadS = Math.max(0, (nowMs - Date.parse(loadStart)) / 1000);
    if (done > 0) {
      const perPoint = inLoadS / done;
      const evalS = job.evalWanted && !job.evalDone ? ESTIMATE.evalS * (pace ?? 1) : 0;
      return { elapsedS, remainingS: perPoint * Math.max(0, p.points - done) + evalS, basis: "measured" };
    }
  }
  const planned = job.estimatedSeconds * (pace ?? 1);
  const attemptS = att && isLive(att) ? Math.max(0, (nowMs - att.startedAtMs) / 1000) : 0;
  return { elapsedS, remainingS: Math.max(0, planned - attemptS), basis: pace === undefined ? "plan" : "sweep" };
}

/** `45s`, `4m 05s`, `2h 10m` */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** `load · point 2/5 c=64 · run 320/640 req · 1,234 tok/s/GPU`; without progress, the phase only */
export function liveText(live: JobLive, pointsTotal: number): string {
  const p = live.progress;
  if (!p) return live.phase ?? "starting";
  const rate =
    live.tokPerSPerGpu !== undefined ? ` · ${Math.round(live.tokPerSPerGpu).toLocaleString("en-US")} tok/s/GPU` : "";
  return `${live.phase} · point ${live.pointNumber ?? p.pointIndex + 1}/${pointsTotal} c=${p.concurrency} · ${p.stage} ${p.done}/${p.total} req${rate}`;
}

/** `~4m 05s left (measured)` */
export function remainingText(t: JobTiming): string {
  return t.basis === "finished" ? "" : `~${durationText(t.remainingS)} left (${t.basis})`;
}
