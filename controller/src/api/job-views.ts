/**
 * A job as the API serves it: the record, why it waits while queued, and while it runs its live
 * part (phase, nodes, progress in the load point) and its timing (shared job-live.ts).
 */
import { type JobRecord, type JobView, jobLive, jobTiming, sweepPaceFactor } from "@benchfleet/shared";
import type { ControllerContext } from "../context.js";

/** Builds job views; one per request, so each sweep's pace is computed once. */
export function jobViews(c: ControllerContext, nowMs = Date.now()): (j: JobRecord) => JobView {
  const paces = new Map<string, number | undefined>();
  const paceOf = (sweepId: string) => {
    if (!paces.has(sweepId)) paces.set(sweepId, sweepPaceFactor(c.jobs.ofSweep(sweepId)));
    return paces.get(sweepId);
  };
  return (j) => {
    const att = j.currentAttemptId ? c.attempts.get(j.currentAttemptId) : undefined;
    return {
      ...j,
      waitingReason: j.status === "queued" ? c.dispatcher.waitingReason(j.jobId) : undefined,
      live: jobLive(j, att, nowMs),
      timing: jobTiming(j, att, paceOf(j.sweepId), nowMs),
    };
  };
}
