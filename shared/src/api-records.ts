/**
 * Records the controller keeps and its API returns as they are: sweeps (with their derived
 * summary), jobs, attempts and stored point results (nodes: node-records.ts). One copy, used by
 * the controller (which stores and serves them), the CLI and the dashboard (which read them, with
 * type-only imports). Types and the list of job statuses; no I/O.
 */
import type { AxisName } from "./analytics/axes.js";
import type { GroupKey } from "./analytics/grouping.js";
import type { GangMember, Phase } from "./attempt-parts.js";
import type { Deployment } from "./deployment.js";
import type { PointResult } from "./results.js";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobRecord {
  jobId: string;
  sweepId: string;
  queue: string;
  runner: string;
  sku: string;
  fingerprint: string;
  configKey: string;
  model: string;
  framework: string;
  nodes: number;
  gpus: number;
  priority: number;
  estimatedSeconds: number;
  pointsTotal: number;
  pointsDone: number;
  evalWanted: boolean;
  evalDone: boolean;
  status: JobStatus;
  /** attempts dispatched so far */
  attempts: number;
  currentAttemptId?: string;
  lastError?: string;
  /** ids of the nodes in `exclusions` (kept for readers that need only the ids) */
  excludedNodes: string[];
  /** nodes this job avoids after they failed one of its attempts, with why (see controller exclusions.ts) */
  exclusions?: JobExclusion[];
  createdAt: string;
  enqueuedAt: number;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** GPU-seconds used by all attempts */
  gpuSeconds: number;
  /** earliest start of the next try (backoff) */
  retryAt?: number;
}

/** A job as `GET /api/v1/jobs` lists it: the record and, while queued, why it waits. */
export interface JobView extends JobRecord {
  waitingReason?: string;
}

/** `GET /api/v1/jobs/:id`: the job with its attempts and its deployment. */
export interface JobDetail extends Omit<JobView, "attempts"> {
  attempts: AttemptRecord[];
  deployment?: Deployment;
}

/** A page of a list endpoint. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

/**
 * A node a job avoids because an attempt of the job failed there. It is a preference, not a ban:
 * when the job has no other node that could ever run it, the exclusion is lifted once `retryOnAt`
 * has passed and the job retries on that node.
 */
export interface JobExclusion {
  nodeId: string;
  /** the failure that excluded the node */
  reason: string;
  attemptId: string;
  /** epoch ms the exclusion was made */
  at: number;
  /** epoch ms from which the job may go back to this node when no other node can take it */
  retryOnAt: number;
}

export interface SweepSource {
  kind: "plan" | "keys" | "changelog" | "config";
  keys?: string[];
  skus?: string[];
  changelog?: { file?: string; base?: string; head?: string };
  configFiles?: string[];
}

export interface SweepRecord {
  sweepId: string;
  name: string;
  triggeredBy: string;
  createdAt: string;
  source: SweepSource;
  jobCount: number;
  cancelledAt?: string;
  /** re-runs: the sweep this one was created from */
  parentSweepId?: string;
}

/**
 * "incomplete": finished without a failure, but jobs of it were cancelled one by one (their points
 * are missing); "cancelled" is kept for a sweep cancelled as a whole.
 */
export type SweepStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "incomplete";

export interface SweepSummary extends SweepRecord {
  status: SweepStatus;
  counts: Record<JobStatus, number>;
  pointsDone: number;
  pointsTotal: number;
  /** points of finished jobs (failed or cancelled) that were never measured */
  pointsMissing: number;
  gpuHoursUsed: number;
  gpuHoursPlanned: number;
}

export type AttemptState = "dispatched" | "running" | "succeeded" | "failed" | "cancelled";
export type AttemptFailureKind = "member-lost" | "reported" | "deadline" | "assign-failed" | "lock-lost";

export interface AttemptRecord {
  attemptId: string;
  jobId: string;
  sweepId: string;
  queue: string;
  /** 1-based try number of this job */
  attemptNumber: number;
  fencingToken: number;
  /** BullMQ lock token of the job while this attempt holds it */
  lockToken: string;
  gang: GangMember[];
  state: AttemptState;
  phase?: Phase;
  phases: Record<string, { status: string; at: string; durationMs?: number; reason?: string }>;
  /** rank → endpoints of members that reported ready */
  ready: Record<string, Record<string, string>>;
  gangReadySent: boolean;
  /** members that reported their teardown done (attempt-finished) */
  finishedMembers: string[];
  portBase: number;
  emulated: boolean;
  gpus: number;
  createdAt: string;
  startedAtMs: number;
  finishedAt?: string;
  finishedAtMs?: number;
  deadlineAtMs: number;
  reason?: string;
  /** nodes blamed for a failure */
  failedNodes?: string[];
  /** who decided a failure: an agent's report, or the controller's judgement (lost member, deadline, lock) */
  failureKind?: AttemptFailureKind;
  engineVersion?: string;
  phaseDurationsMs?: Record<string, number>;
}

/** One stored point result as GET /api/v1/results lists it. */
export interface PointRow {
  id: number;
  fingerprint: string;
  pointKey: string;
  attemptId: string;
  sweepId: string;
  jobId: string;
  configKey: string;
  sku: string;
  model: string;
  framework: string;
  precision: string;
  image: string;
  engineVersion: string | null;
  concurrency: number;
  isl: number;
  osl: number;
  status: string;
  nodes: string[];
  gpusTotal: number;
  totalTokenThroughput: number | null;
  outputThroughput: number | null;
  tputPerGpu: number | null;
  medianTtftMs: number | null;
  medianTpotMs: number | null;
  interactivity: number | null;
  startedAt: string;
  finishedAt: string;
  receivedAt: string;
  emulated: boolean;
  result: PointResult;
}

/** One point of a frontier as GET /api/v1/results/frontier (and history) lists it. */
export interface FrontierPointView {
  x: number;
  y: number;
  rowId: string;
  sweepId: string;
  date: string;
  concurrency: number;
  parallelism: string;
  gpus: number;
  nodes?: number;
  image: string;
  provenance: string;
  /** rows at exactly the same coordinates */
  ties: string[];
  tputPerGpu: number;
  interactivity: number | null;
  costPerMillion: number | null;
  joulesPerToken: number | null;
  medianTtftMs: number | null;
  medianE2elMs: number | null;
}

/** One group's frontier as GET /api/v1/results/frontier lists it. */
export interface FrontierView {
  key: string;
  group: GroupKey;
  x: AxisName;
  y: AxisName;
  measured: number;
  points: FrontierPointView[];
}
