/**
 * Job records: the controller's view of each deployment job (status, attempts, progress, exclusions),
 * kept in memory and written through to Redis. The BullMQ job is the queue entry; this record is what
 * the API, CLI and dashboard show, and what sweep status is derived from.
 */
import type { Deployment, JobRecord, JobStatus } from "@benchfleet/shared";
import { concurrenciesOf, parallelismOf, queueNameForRunner } from "@benchfleet/shared";
import type { Bus } from "../infra/bus.js";
import type { RedisState } from "../infra/redis-state.js";

export { JOB_STATUSES, type JobRecord, type JobStatus } from "@benchfleet/shared";

export function newJobRecord(jobId: string, sweepId: string, d: Deployment, now = Date.now()): JobRecord {
  const iso = new Date(now).toISOString();
  return {
    jobId,
    sweepId,
    queue: queueNameForRunner(d.runner),
    runner: d.runner,
    sku: d.sku,
    fingerprint: d.fingerprint,
    configKey: d.configKey,
    model: d.model,
    framework: d.framework,
    nodes: d.nodes,
    gpus: d.gpus,
    priority: d.priority,
    estimatedSeconds: d.estimate.wallSeconds,
    parallelism: parallelismOf(d),
    concurrencies: concurrenciesOf(d.points),
    pointsTotal: d.evalsOnly ? 0 : d.points.length,
    pointsDone: 0,
    evalWanted: d.eval,
    evalDone: false,
    status: "queued",
    attempts: 0,
    excludedNodes: [],
    createdAt: iso,
    enqueuedAt: now,
    updatedAt: iso,
    gpuSeconds: 0,
  };
}

export interface JobFilter {
  sweepId?: string;
  status?: JobStatus[];
  sku?: string;
  runner?: string;
  configKey?: string;
  nodeId?: string;
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly bySweep = new Map<string, Set<string>>();
  /** ids of the jobs in status `queued`: the dispatcher reads these, not every record ever made */
  private readonly queuedIds = new Set<string>();

  constructor(
    private readonly state: RedisState,
    private readonly bus: Bus,
  ) {}

  async load(): Promise<void> {
    for (const [id, rec] of await this.state.allJson<JobRecord>("jobs")) this.index(id, rec);
  }

  private index(id: string, rec: JobRecord): void {
    this.jobs.set(id, rec);
    let s = this.bySweep.get(rec.sweepId);
    if (!s) {
      s = new Set();
      this.bySweep.set(rec.sweepId, s);
    }
    s.add(id);
    this.trackStatus(id, rec);
  }

  private trackStatus(id: string, rec: JobRecord): void {
    if (rec.status === "queued") this.queuedIds.add(id);
    else this.queuedIds.delete(id);
  }

  get(jobId: string): JobRecord | undefined {
    return this.jobs.get(jobId);
  }

  ofSweep(sweepId: string): JobRecord[] {
    return [...(this.bySweep.get(sweepId) ?? [])].map((id) => this.jobs.get(id)!).filter(Boolean);
  }

  all(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  /** Jobs in status `queued` (ready or waiting out a retry backoff). */
  *queued(): IterableIterator<JobRecord> {
    for (const id of this.queuedIds) {
      const rec = this.jobs.get(id);
      if (rec) yield rec;
    }
  }

  async create(rec: JobRecord, deployment: Deployment): Promise<void> {
    this.index(rec.jobId, rec);
    await this.state.redis
      .multi()
      .hset(this.state.key("jobs"), rec.jobId, JSON.stringify(rec))
      .hset(this.state.key("jobdeps"), rec.jobId, JSON.stringify(deployment))
      .exec();
    this.bus.publish({ kind: "job", jobId: rec.jobId, sweepId: rec.sweepId, data: rec });
  }

  async createMany(items: Array<{ rec: JobRecord; deployment: Deployment }>): Promise<void> {
    for (let i = 0; i < items.length; i += 500) {
      const multi = this.state.redis.multi();
      for (const { rec, deployment } of items.slice(i, i + 500)) {
        this.index(rec.jobId, rec);
        multi.hset(this.state.key("jobs"), rec.jobId, JSON.stringify(rec));
        multi.hset(this.state.key("jobdeps"), rec.jobId, JSON.stringify(deployment));
      }
      await multi.exec();
    }
    for (const { rec } of items) this.bus.publish({ kind: "job", jobId: rec.jobId, sweepId: rec.sweepId, data: rec });
  }

  async deployment(jobId: string): Promise<Deployment | undefined> {
    return this.state.getJson<Deployment>("jobdeps", jobId);
  }

  /** Applies a change and writes it through. */
  async update(jobId: string, change: Partial<JobRecord> | ((j: JobRecord) => void)): Promise<JobRecord | undefined> {
    const rec = this.jobs.get(jobId);
    if (!rec) return undefined;
    if (typeof change === "function") change(rec);
    else Object.assign(rec, change);
    this.trackStatus(jobId, rec);
    rec.updatedAt = new Date().toISOString();
    await this.state.putJson("jobs", jobId, rec);
    this.bus.publish({ kind: "job", jobId, sweepId: rec.sweepId, data: rec });
    return rec;
  }

  /** Filtered, stable-ordered page (newest sweep first, then config key). */
  list(
    f: JobFilter,
    offset: number,
    limit: number,
    nodeOfAttempt?: (attemptId: string) => string[],
  ): { total: number; items: JobRecord[] } {
    const src = f.sweepId ? this.ofSweep(f.sweepId) : [...this.jobs.values()];
    const out = src.filter(
      (j) =>
        (!f.status || f.status.includes(j.status)) &&
        (!f.sku || j.sku === f.sku) &&
        (!f.runner || j.runner === f.runner) &&
        (!f.configKey || j.configKey === f.configKey) &&
        (!f.nodeId ||
          (j.currentAttemptId !== undefined && (nodeOfAttempt?.(j.currentAttemptId) ?? []).includes(f.nodeId))),
    );
    out.sort(
      (a, b) => b.enqueuedAt - a.enqueuedAt || a.configKey.localeCompare(b.configKey) || a.jobId.localeCompare(b.jobId),
    );
    return { total: out.length, items: out.slice(offset, offset + limit) };
  }
}
