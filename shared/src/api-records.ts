/**
 * Records the controller keeps and its API returns as they are: sweeps (with their derived
 * summary), jobs, attempts and stored point results (nodes: node-records.ts). Each is a zod schema
 * and the type inferred from it: one copy, from which the controller's OpenAPI document describes
 * its responses and which the CLI and the dashboard read (with type-only imports). No I/O.
 */
import { z } from "zod";
import { AXIS_NAMES, type AxisName } from "./analytics/axes.js";
import { GangMember, Phase } from "./attempt-parts.js";
import { Deployment } from "./deployment.js";
import { JobLive, JobTiming, PointProgress } from "./job-live.js";
import { PointResult } from "./results.js";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

/**
 * A node a job avoids because an attempt of the job failed there. It is a preference, not a ban:
 * when the job has no other node that could ever run it, the exclusion is lifted once `retryOnAt`
 * has passed and the job retries on that node.
 */
export const JobExclusion = z
  .object({
    nodeId: z.string(),
    /** the failure that excluded the node */
    reason: z.string(),
    attemptId: z.string(),
    /** epoch ms the exclusion was made */
    at: z.number(),
    /** epoch ms from which the job may go back to this node when no other node can take it */
    retryOnAt: z.number(),
  })
  .strict();
export type JobExclusion = z.infer<typeof JobExclusion>;

export const JobRecord = z
  .object({
    jobId: z.string(),
    sweepId: z.string(),
    queue: z.string(),
    runner: z.string(),
    sku: z.string(),
    fingerprint: z.string(),
    configKey: z.string(),
    model: z.string(),
    framework: z.string(),
    nodes: z.number(),
    gpus: z.number(),
    priority: z.number(),
    estimatedSeconds: z.number(),
    /** how the deployment runs: `TP4 EP4 DPA MTP` or `1P(TP4)+2D(TP8)` (job-layout.ts) */
    parallelism: z.string().optional(),
    /** the concurrencies of its load points, ascending */
    concurrencies: z.array(z.number()).optional(),
    pointsTotal: z.number(),
    pointsDone: z.number(),
    evalWanted: z.boolean(),
    evalDone: z.boolean(),
    status: JobStatus,
    /** attempts dispatched so far */
    attempts: z.number(),
    currentAttemptId: z.string().optional(),
    lastError: z.string().optional(),
    /** ids of the nodes in `exclusions` (kept for readers that need only the ids) */
    excludedNodes: z.array(z.string()),
    /** nodes this job avoids after they failed one of its attempts, with why (see controller exclusions.ts) */
    exclusions: z.array(JobExclusion).optional(),
    createdAt: z.string(),
    enqueuedAt: z.number(),
    updatedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    /** GPU-seconds used by all attempts */
    gpuSeconds: z.number(),
    /** earliest start of the next try (backoff) */
    retryAt: z.number().optional(),
  })
  .strict();
export type JobRecord = z.infer<typeof JobRecord>;

/**
 * A job as `GET /api/v1/jobs` lists it: the record; while queued, why it waits; while running, its
 * phase, nodes and progress inside the load point; its elapsed and estimated remaining time.
 */
export const JobView = JobRecord.extend({
  waitingReason: z.string().optional(),
  live: JobLive.optional(),
  timing: JobTiming.optional(),
}).strict();
export type JobView = z.infer<typeof JobView>;

export const AttemptState = z.enum(["dispatched", "running", "succeeded", "failed", "cancelled"]);
export type AttemptState = z.infer<typeof AttemptState>;
export const AttemptFailureKind = z.enum(["member-lost", "reported", "deadline", "assign-failed", "lock-lost"]);
export type AttemptFailureKind = z.infer<typeof AttemptFailureKind>;

export const AttemptRecord = z
  .object({
    attemptId: z.string(),
    jobId: z.string(),
    sweepId: z.string(),
    queue: z.string(),
    /** 1-based try number of this job */
    attemptNumber: z.number(),
    fencingToken: z.number(),
    /** BullMQ lock token of the job while this attempt holds it */
    lockToken: z.string(),
    gang: z.array(GangMember),
    state: AttemptState,
    phase: Phase.optional(),
    phases: z.record(
      z.string(),
      z
        .object({
          status: z.string(),
          at: z.string(),
          durationMs: z.number().optional(),
          reason: z.string().optional(),
        })
        .strict(),
    ),
    /** rank → endpoints of members that reported ready */
    ready: z.record(z.string(), z.record(z.string(), z.string())),
    gangReadySent: z.boolean(),
    /** members that reported their teardown done (attempt-finished) */
    finishedMembers: z.array(z.string()),
    portBase: z.number(),
    emulated: z.boolean(),
    gpus: z.number(),
    createdAt: z.string(),
    startedAtMs: z.number(),
    finishedAt: z.string().optional(),
    finishedAtMs: z.number().optional(),
    deadlineAtMs: z.number(),
    reason: z.string().optional(),
    /** nodes blamed for a failure */
    failedNodes: z.array(z.string()).optional(),
    /** who decided a failure: an agent's report, or the controller's judgement (lost member, deadline, lock) */
    failureKind: AttemptFailureKind.optional(),
    engineVersion: z.string().optional(),
    phaseDurationsMs: z.record(z.string(), z.number()).optional(),
    /** the leader's last progress report inside a load point (not a result: never stored in the results DB) */
    progress: PointProgress.optional(),
  })
  .strict();
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/** `GET /api/v1/jobs/:id`: the job with its attempts and its deployment. */
export const JobDetail = JobView.omit({ attempts: true })
  .extend({ attempts: z.array(AttemptRecord), deployment: Deployment.optional() })
  .strict();
export type JobDetail = z.infer<typeof JobDetail>;

/** A page of a list endpoint. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

/** The schema of a page of `item`s. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ total: z.number(), offset: z.number(), limit: z.number(), items: z.array(item) }).strict();
}

export const SweepSource = z
  .object({
    kind: z.enum(["plan", "keys", "changelog", "config"]),
    keys: z.array(z.string()).optional(),
    skus: z.array(z.string()).optional(),
    changelog: z
      .object({ file: z.string().optional(), base: z.string().optional(), head: z.string().optional() })
      .strict()
      .optional(),
    configFiles: z.array(z.string()).optional(),
  })
  .strict();
export type SweepSource = z.infer<typeof SweepSource>;

export const SweepRecord = z
  .object({
    sweepId: z.string(),
    name: z.string(),
    triggeredBy: z.string(),
    createdAt: z.string(),
    source: SweepSource,
    jobCount: z.number(),
    cancelledAt: z.string().optional(),
    /** re-runs: the sweep this one was created from */
    parentSweepId: z.string().optional(),
  })
  .strict();
export type SweepRecord = z.infer<typeof SweepRecord>;

/**
 * "incomplete": finished without a failure, but jobs of it were cancelled one by one (their points
 * are missing); "cancelled" is kept for a sweep cancelled as a whole.
 */
export const SweepStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled", "incomplete"]);
export type SweepStatus = z.infer<typeof SweepStatus>;

export const SweepSummary = SweepRecord.extend({
  status: SweepStatus,
  counts: z.record(JobStatus, z.number()),
  pointsDone: z.number(),
  pointsTotal: z.number(),
  /** points of finished jobs (failed or cancelled) that were never measured */
  pointsMissing: z.number(),
  gpuHoursUsed: z.number(),
  gpuHoursPlanned: z.number(),
}).strict();
export type SweepSummary = z.infer<typeof SweepSummary>;

/** One stored point result as GET /api/v1/results lists it. */
export const PointRow = z
  .object({
    id: z.number(),
    fingerprint: z.string(),
    pointKey: z.string(),
    attemptId: z.string(),
    sweepId: z.string(),
    jobId: z.string(),
    configKey: z.string(),
    sku: z.string(),
    model: z.string(),
    /** the deployment's model family (`dsr1`, `gptoss`) */
    modelPrefix: z.string(),
    framework: z.string(),
    precision: z.string(),
    /** the deployment's speculative decoding (`none`, `mtp` …) */
    specDecoding: z.string(),
    image: z.string(),
    engineVersion: z.string().nullable(),
    concurrency: z.number(),
    isl: z.number(),
    osl: z.number(),
    status: z.string(),
    nodes: z.array(z.string()),
    gpusTotal: z.number(),
    totalTokenThroughput: z.number().nullable(),
    outputThroughput: z.number().nullable(),
    tputPerGpu: z.number().nullable(),
    medianTtftMs: z.number().nullable(),
    medianTpotMs: z.number().nullable(),
    interactivity: z.number().nullable(),
    startedAt: z.string(),
    finishedAt: z.string(),
    receivedAt: z.string(),
    emulated: z.boolean(),
    result: PointResult,
  })
  .strict();
export type PointRow = z.infer<typeof PointRow>;

/** One point of a frontier as GET /api/v1/results/frontier (and history) lists it. */
export const FrontierPointView = z
  .object({
    x: z.number(),
    y: z.number(),
    rowId: z.string(),
    sweepId: z.string(),
    date: z.string(),
    concurrency: z.number(),
    parallelism: z.string(),
    gpus: z.number(),
    nodes: z.number().optional(),
    image: z.string(),
    provenance: z.string(),
    /** rows at exactly the same coordinates */
    ties: z.array(z.string()),
    tputPerGpu: z.number(),
    interactivity: z.number().nullable(),
    costPerMillion: z.number().nullable(),
    joulesPerToken: z.number().nullable(),
    medianTtftMs: z.number().nullable(),
    medianE2elMs: z.number().nullable(),
  })
  .strict();
export type FrontierPointView = z.infer<typeof FrontierPointView>;

export const GroupKeyView = z
  .object({
    model: z.string(),
    precision: z.string(),
    isl: z.number(),
    osl: z.number(),
    sku: z.string(),
    framework: z.string(),
    specDecoding: z.string(),
    disagg: z.boolean(),
  })
  .strict();

/** One group's frontier as GET /api/v1/results/frontier lists it. */
export const FrontierView = z
  .object({
    key: z.string(),
    group: GroupKeyView,
    x: z.enum(AXIS_NAMES as [AxisName, ...AxisName[]]),
    y: z.enum(AXIS_NAMES as [AxisName, ...AxisName[]]),
    measured: z.number(),
    points: z.array(FrontierPointView),
  })
  .strict();
export type FrontierView = z.infer<typeof FrontierView>;
