/**
 * BullMQ queues, one per runner label (`deploy-<label>`). The controller is the only consumer and
 * processes jobs manually on behalf of agents: it claims the job the allocator chose
 * (`changePriority(lifo)` + `Worker.getNextJob(token)`, token = the attempt's lock token), keeps the
 * lock alive while the gang heartbeats (`extendLock`), and finishes it with
 * `moveToCompleted/moveToFailed` (`UnrecoverableError` for non-retryable failures); retries wait
 * an exponential backoff with jitter (`backoffStrategy` of shared, a BullMQ custom strategy). BullMQ's
 * stalled-job checker covers a controller that died holding locks.
 */

import type { Deployment } from "@benchfleet/shared";
import { backoffStrategy } from "@benchfleet/shared";
import { type ConnectionOptions, Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";

export interface JobPayload {
  sweepId: string;
  deployment: Deployment;
  /** scheduling priority (lower first), aged by the allocator */
  priority: number;
  enqueuedAt: number;
}

export interface QueueSetOptions {
  connection: ConnectionOptions;
  /** our own connection, for the few raw reads (delayed zset, lock key) and the queue registry */
  redis: Redis;
  prefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  jobAttempts: number;
  backoffMs: number;
  backoffJitter: number;
}

export type BullState =
  | "waiting"
  | "prioritized"
  | "delayed"
  | "active"
  | "completed"
  | "failed"
  | "unknown"
  | "waiting-children";

/** BullMQ priorities are 1..2^21 (lower first); ours are any integer. */
export function bullPriority(priority: number): number {
  return Math.min(2_097_151, Math.max(1, Math.round(priority) + 1));
}

export class QueueSet {
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private stalledStarted = false;

  constructor(private readonly opts: QueueSetOptions) {}

  private registryKey(): string {
    return `${this.opts.prefix}:ctl:queues`;
  }

  /** Every queue ever used, so a restarted controller processes and checks them all. */
  async loadKnown(): Promise<string[]> {
    const names = await this.opts.redis.smembers(this.registryKey());
    for (const n of names) this.queue(n);
    return names;
  }

  names(): string[] {
    return [...this.queues.keys()];
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.opts.connection, prefix: this.opts.prefix });
      q.on("error", () => {});
      this.queues.set(name, q);
      const w = new Worker(name, null, {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        autorun: false,
        lockDuration: this.opts.lockDurationMs,
        stalledInterval: this.opts.stalledIntervalMs,
        maxStalledCount: this.opts.maxStalledCount,
        settings: {
          backoffStrategy: backoffStrategy({ baseMs: this.opts.backoffMs, jitter: this.opts.backoffJitter }),
        },
      });
      w.on("error", () => {});
      this.workers.set(name, w);
      if (this.stalledStarted) void w.startStalledCheckTimer().catch(() => {});
      void this.opts.redis.sadd(this.registryKey(), name).catch(() => {});
    }
    return q;
  }

  private worker(name: string): Worker {
    this.queue(name);
    return this.workers.get(name)!;
  }

  /** Adds a job; a job id already present is left as is (returns false). */
  async add(queueName: string, jobId: string, payload: JobPayload): Promise<boolean> {
    const q = this.queue(queueName);
    const existing = await q.getJob(jobId);
    if (existing) return false;
    await q.add(payload.deployment.configKey, payload, {
      jobId,
      priority: bullPriority(payload.priority),
      attempts: this.opts.jobAttempts,
      backoff: { type: "custom" },
    });
    return true;
  }

  async addBulk(queueName: string, jobs: Array<{ jobId: string; payload: JobPayload }>): Promise<void> {
    const q = this.queue(queueName);
    for (let i = 0; i < jobs.length; i += 500) {
      await q.addBulk(
        jobs.slice(i, i + 500).map(({ jobId, payload }) => ({
          name: payload.deployment.configKey,
          data: payload,
          opts: {
            jobId,
            priority: bullPriority(payload.priority),
            attempts: this.opts.jobAttempts,
            backoff: { type: "custom" },
          },
        })),
      );
    }
  }

  async getJob(queueName: string, jobId: string): Promise<Job<JobPayload> | undefined> {
    return (await this.queue(queueName).getJob(jobId)) ?? undefined;
  }

  async state(queueName: string, jobId: string): Promise<BullState> {
    return (await this.queue(queueName).getJobState(jobId)) as BullState;
  }

  /** Jobs ready to start (waiting or prioritized), after promoting delayed jobs whose backoff is over. */
  async ready(queueName: string, now = Date.now()): Promise<Array<Job<JobPayload>>> {
    await this.promoteDue(queueName, now);
    const jobs = await this.queue(queueName).getJobs(["wait", "prioritized"], 0, -1);
    return jobs.filter(Boolean) as Array<Job<JobPayload>>;
  }

  /** Delayed jobs are promoted only by a fetch in BullMQ; we promote the due ones ourselves. */
  async promoteDue(queueName: string, now = Date.now()): Promise<number> {
    const q = this.queue(queueName);
    const ids = await this.opts.redis.zrangebyscore(q.toKey("delayed"), 0, (now + 1) * 0x1000 - 1);
    let n = 0;
    for (const id of ids) {
      const job = await q.getJob(id);
      if (!job) continue;
      try {
        await job.promote();
        n++;
      } catch {
        /* moved meanwhile */
      }
    }
    return n;
  }

  /**
   * Takes exactly `jobId` (chosen by the allocator) and locks it with `token`. Returns undefined
   * when the job is no longer ready. Safe because the dispatcher is the single consumer and claims
   * one job at a time.
   */
  async claim(queueName: string, jobId: string, token: string): Promise<Job<JobPayload> | undefined> {
    const q = this.queue(queueName);
    const w = this.worker(queueName);
    const job = await q.getJob(jobId);
    if (!job) return undefined;
    const state = await job.getState();
    if (state !== "waiting" && state !== "prioritized") return undefined;
    await job.changePriority({ priority: 0, lifo: true });
    for (let i = 0; i < 3; i++) {
      const got = (await w.getNextJob(token, { block: false })) as Job<JobPayload> | undefined;
      if (!got) return undefined;
      if (got.id === jobId) return got;
      // another job came first (e.g. one just moved back by the stalled checker): put it back
      await got.moveToWait(token);
    }
    return undefined;
  }

  /** Extends the lock; if it expired while the job is still active (controller was down), restores it. */
  async extend(queueName: string, jobId: string, token: string): Promise<boolean> {
    const q = this.queue(queueName);
    const job = await q.getJob(jobId);
    if (!job) return false;
    const ok = await job.extendLock(token, this.opts.lockDurationMs);
    if (ok) return true;
    if ((await job.getState()) !== "active") return false;
    const res = await this.opts.redis.set(q.toKey(`${jobId}:lock`), token, "PX", this.opts.lockDurationMs, "NX");
    if (res !== "OK") return false;
    await this.opts.redis.srem(q.toKey("stalled"), jobId);
    return true;
  }

  async complete(queueName: string, jobId: string, token: string, result: unknown): Promise<void> {
    const job = await this.getJob(queueName, jobId);
    if (!job) return;
    await job.moveToCompleted(result, token, false);
  }

  /** Fails the active job; returns its state afterwards ("delayed"/"waiting" = will retry, "failed" = final). */
  async fail(
    queueName: string,
    jobId: string,
    token: string,
    reason: string,
    unrecoverable: boolean,
  ): Promise<BullState> {
    // loaded through the Worker so BullMQ applies the worker's backoff strategy to the retry
    const job = (await Job.fromId<JobPayload>(this.worker(queueName), jobId)) ?? undefined;
    if (!job) return "unknown";
    const err = unrecoverable ? new UnrecoverableError(reason) : new Error(reason);
    await job.moveToFailed(err, token, false);
    return this.state(queueName, jobId);
  }

  /** Removes a job that is not active (cancel of a queued job). */
  async remove(queueName: string, jobId: string): Promise<void> {
    const job = await this.getJob(queueName, jobId);
    if (job) await job.remove();
  }

  /** Puts a finished job back to wait with fresh attempts, or re-adds it when it was removed. */
  async requeue(queueName: string, jobId: string, payload: JobPayload): Promise<void> {
    const job = await this.getJob(queueName, jobId);
    if (!job) {
      await this.add(queueName, jobId, payload);
      return;
    }
    const state = await job.getState();
    if (state === "failed" || state === "completed") {
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      return;
    }
    if (state === "delayed") await job.promote();
  }

  /** Score of a delayed job (due time * 0x1000 + counter), or undefined when not delayed. */
  async delayedScore(queueName: string, jobId: string): Promise<number | undefined> {
    const s = await this.opts.redis.zscore(this.queue(queueName).toKey("delayed"), jobId);
    return s === null ? undefined : Number(s);
  }

  /** Attempts BullMQ has made of this job so far. */
  async attemptsMade(queueName: string, jobId: string): Promise<number> {
    return (await this.getJob(queueName, jobId))?.attemptsMade ?? 0;
  }

  async startStalledChecks(): Promise<void> {
    this.stalledStarted = true;
    for (const w of this.workers.values()) await w.startStalledCheckTimer();
  }

  async close(): Promise<void> {
    for (const w of this.workers.values()) await w.close(true).catch(() => {});
    for (const q of this.queues.values()) await q.close().catch(() => {});
  }
}

/** BullMQ connection options from a redis:// URL. */
export function connectionFromUrl(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}
