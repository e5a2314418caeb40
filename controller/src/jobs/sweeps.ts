/**
 * Sweeps: the set of deployments planned from one trigger, with its name, who triggered it and what
 * from. Status and counts are derived from its jobs. `cancel` stops its queued and running jobs;
 * `retry` re-queues its failed/cancelled (or chosen) jobs; `missingOnly` re-runs only deployments
 * whose results are missing (each attempt measures only the points not stored yet).
 */
import { randomBytes } from "node:crypto";
import {
  type Deployment,
  jobIdFor,
  queueNameForRunner,
  type SweepRecord,
  type SweepSource,
  type SweepStatus,
  type SweepSummary,
} from "@benchfleet/shared";
import type { Bus } from "../infra/bus.js";
import type { RedisState } from "../infra/redis-state.js";
import type { ResultsDb } from "../results/results-db.js";
import type { AttemptSupervisor } from "../scheduling/attempt-supervisor.js";
import type { QueueSet } from "../scheduling/queues.js";
import { type JobRecord, type JobStatus, type JobStore, newJobRecord } from "./jobs.js";

export type { SweepRecord, SweepSource, SweepSummary } from "@benchfleet/shared";

/** Derives a sweep's status and counts from its jobs (pure). */
export function summarize(rec: SweepRecord, jobs: JobRecord[], plannedGpuHours = 0): SweepSummary {
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  let pointsDone = 0;
  let pointsTotal = 0;
  let pointsMissing = 0;
  let gpuSeconds = 0;
  for (const j of jobs) {
    counts[j.status]++;
    pointsDone += j.pointsDone;
    pointsTotal += j.pointsTotal;
    if (j.status === "failed" || j.status === "cancelled") pointsMissing += Math.max(0, j.pointsTotal - j.pointsDone);
    gpuSeconds += j.gpuSeconds;
  }
  let status: SweepStatus;
  if (counts.running > 0) status = "running";
  else if (counts.queued > 0) status = counts.succeeded + counts.failed + counts.cancelled > 0 ? "running" : "queued";
  else if (counts.failed > 0) status = "failed";
  else if (counts.cancelled > 0) status = rec.cancelledAt ? "cancelled" : "incomplete";
  else status = "succeeded";
  return {
    ...rec,
    status,
    counts,
    pointsDone,
    pointsTotal,
    pointsMissing,
    gpuHoursUsed: gpuSeconds / 3600,
    gpuHoursPlanned: plannedGpuHours,
  };
}

export function newSweepId(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `s${ts}-${randomBytes(3).toString("hex")}`;
}

export class SweepError extends Error {
  constructor(
    readonly code: "not-found" | "conflict" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

export class Sweeps {
  private readonly sweeps = new Map<string, SweepRecord>();
  private readonly planned = new Map<string, number>();
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: RedisState,
    private readonly bus: Bus,
    private readonly jobs: JobStore,
    private readonly queues: QueueSet,
    private readonly supervisor: AttemptSupervisor,
    private readonly results: ResultsDb,
    private readonly onQueued: () => void,
  ) {
    // sweep summaries follow their jobs (coalesced, at most every 250 ms)
    bus.subscribe((e) => {
      if (e.kind !== "job") return;
      this.pending.add(e.sweepId);
      if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => this.flush(), 250);
        this.flushTimer.unref();
      }
    });
  }

  private flush(): void {
    this.flushTimer = undefined;
    for (const id of this.pending) {
      const s = this.get(id);
      if (s) this.bus.publish({ kind: "sweep", sweepId: id, data: s });
    }
    this.pending.clear();
  }

  async load(): Promise<void> {
    for (const [id, rec] of await this.state.allJson<SweepRecord>("sweeps")) this.sweeps.set(id, rec);
    for (const [id, h] of await this.state.allJson<number>("sweep-gpuhours")) this.planned.set(id, h);
  }

  /** Creates a sweep of these deployments (identical fingerprints merged) and queues its jobs. */
  async create(args: {
    name: string;
    triggeredBy: string;
    source: SweepSource;
    deployments: Deployment[];
    parentSweepId?: string;
  }): Promise<SweepSummary> {
    if (args.deployments.length === 0) throw new SweepError("invalid", "the plan has no deployments");
    const sweepId = newSweepId();
    const byFp = new Map<string, Deployment>();
    for (const d of args.deployments) if (!byFp.has(d.fingerprint)) byFp.set(d.fingerprint, d);
    const now = Date.now();
    const rec: SweepRecord = {
      sweepId,
      name: args.name,
      triggeredBy: args.triggeredBy,
      createdAt: new Date(now).toISOString(),
      source: args.source,
      jobCount: byFp.size,
      parentSweepId: args.parentSweepId,
    };
    const gpuHours = [...byFp.values()].reduce((a, d) => a + d.estimate.gpuHours, 0);
    this.sweeps.set(sweepId, rec);
    this.planned.set(sweepId, gpuHours);
    await this.state.putJson("sweeps", sweepId, rec);
    await this.state.putJson("sweep-gpuhours", sweepId, gpuHours);
    const items = [...byFp.values()].map((d) => ({
      rec: newJobRecord(jobIdFor(sweepId, d.fingerprint), sweepId, d, now),
      deployment: d,
    }));
    await this.jobs.createMany(items);
    const byQueue = new Map<
      string,
      Array<{
        jobId: string;
        payload: { sweepId: string; deployment: Deployment; priority: number; enqueuedAt: number };
      }>
    >();
    for (const { rec: j, deployment } of items) {
      const q = queueNameForRunner(deployment.runner);
      if (!byQueue.has(q)) byQueue.set(q, []);
      byQueue
        .get(q)!
        .push({ jobId: j.jobId, payload: { sweepId, deployment, priority: deployment.priority, enqueuedAt: now } });
    }
    for (const [q, jobs] of byQueue) await this.queues.addBulk(q, jobs);
    this.bus.publish({ kind: "sweep", sweepId, data: this.get(sweepId) });
    this.onQueued();
    return this.get(sweepId)!;
  }

  get(sweepId: string): SweepSummary | undefined {
    const rec = this.sweeps.get(sweepId);
    if (!rec) return undefined;
    return summarize(rec, this.jobs.ofSweep(sweepId), this.planned.get(sweepId) ?? 0);
  }

  list(): SweepSummary[] {
    return [...this.sweeps.keys()].map((id) => this.get(id)!).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private must(sweepId: string): SweepRecord {
    const rec = this.sweeps.get(sweepId);
    if (!rec) throw new SweepError("not-found", `sweep ${sweepId} not found`);
    return rec;
  }

  async cancel(sweepId: string, reason: string): Promise<SweepSummary> {
    const rec = this.must(sweepId);
    rec.cancelledAt = new Date().toISOString();
    await this.state.putJson("sweeps", sweepId, rec);
    // queued ones first, so none of them starts while the running ones are being cancelled
    for (const status of ["queued", "running"] as const)
      for (const j of this.jobs.ofSweep(sweepId))
        if (j.status === status) await this.supervisor.cancelJob(j.jobId, reason);
    return this.get(sweepId)!;
  }

  /** Points a job still lacks (not stored with status ok), and whether its eval is missing. */
  missing(job: JobRecord): { points: number; eval: boolean } {
    const stored = this.results.storedPointKeys(job.jobId).size;
    return {
      points: Math.max(0, job.pointsTotal - stored),
      eval: job.evalWanted && !this.results.hasPassingOrFinalEval(job.jobId),
    };
  }

  /**
   * Re-queues jobs of a sweep. Default: its failed and cancelled jobs. `jobIds`: those (any finished
   * state). `missingOnly`: finished jobs whose results are incomplete, whatever their status.
   */
  async retry(
    sweepId: string,
    opts: { jobIds?: string[]; missingOnly?: boolean } = {},
  ): Promise<{ requeued: string[]; sweep: SweepSummary }> {
    this.must(sweepId);
    const jobs = this.jobs.ofSweep(sweepId);
    let chosen: JobRecord[];
    if (opts.jobIds) {
      const set = new Set(opts.jobIds);
      chosen = jobs.filter((j) => set.has(j.jobId));
      const unknown = opts.jobIds.filter((id) => !jobs.some((j) => j.jobId === id));
      if (unknown.length) throw new SweepError("not-found", `jobs not in sweep ${sweepId}: ${unknown.join(", ")}`);
    } else if (opts.missingOnly) {
      chosen = jobs.filter((j) => {
        if (j.status === "queued" || j.status === "running") return false;
        const m = this.missing(j);
        return m.points > 0 || m.eval;
      });
    } else chosen = jobs.filter((j) => j.status === "failed" || j.status === "cancelled");
    const requeued: string[] = [];
    for (const j of chosen) if (await this.requeueJob(j.jobId)) requeued.push(j.jobId);
    if (requeued.length) {
      const rec = this.sweeps.get(sweepId)!;
      rec.cancelledAt = undefined;
      await this.state.putJson("sweeps", sweepId, rec);
    }
    this.onQueued();
    return { requeued, sweep: this.get(sweepId)! };
  }

  /** Puts one finished job back in its queue with fresh tries and no exclusions. */
  async requeueJob(jobId: string): Promise<boolean> {
    const j = this.jobs.get(jobId);
    if (!j) throw new SweepError("not-found", `job ${jobId} not found`);
    if (j.status === "queued" || j.status === "running") return false;
    const deployment = await this.jobs.deployment(jobId);
    if (!deployment) throw new SweepError("conflict", `deployment of job ${jobId} is missing`);
    const now = Date.now();
    await this.queues.requeue(j.queue, jobId, {
      sweepId: j.sweepId,
      deployment,
      priority: j.priority,
      enqueuedAt: now,
    });
    await this.jobs.update(jobId, (r) => {
      r.status = "queued";
      r.enqueuedAt = now;
      r.excludedNodes = [];
      r.exclusions = [];
      r.retryAt = undefined;
      r.finishedAt = undefined;
      r.lastError = undefined;
    });
    this.onQueued();
    return true;
  }
}
