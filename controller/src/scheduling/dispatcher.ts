/**
 * The allocation loop: each round it gathers the jobs ready in every queue and the fleet's nodes,
 * asks the pure allocator (`allocate`) which gangs start where, keeps the allocator's reservations
 * for the next round, and hands each start to the attempt supervisor (claim + assign). Rounds run
 * every `dispatchIntervalMs` and right after capacity changes (`kick`), never two at a time.
 */

import type { Registry } from "prom-client";
import { type NodeRegistry, nodeLabels, nodeState } from "../fleet/node-registry.js";
import { DurationMetric } from "../infra/duration-histogram.js";
import type { Logger } from "../infra/logger.js";
import { type AttemptStore, isLive } from "../jobs/attempts.js";
import type { JobRecord, JobStore } from "../jobs/jobs.js";
import type { ControllerConfig } from "../settings.js";
import { type AllocJob, type AllocNode, allocate, type Reservation } from "./allocator.js";
import type { AttemptSupervisor } from "./attempt-supervisor.js";
import { type ExclusionNode, effectiveExclusions } from "./exclusions.js";
import type { QueueSet } from "./queues.js";

export class Dispatcher {
  private reservations: Reservation[] = [];
  private readonly waitingReasons = new Map<string, string>();
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  rounds = 0;
  /** wall time of each round (allocation decision plus the claims and assignments it starts) */
  readonly roundMs: DurationMetric;
  /** time of the pure allocation decision within a round (rounds with ready jobs only) */
  readonly allocateMs: DurationMetric;

  constructor(
    private readonly cfg: ControllerConfig,
    private readonly queues: QueueSet,
    private readonly jobs: JobStore,
    private readonly attempts: AttemptStore,
    private readonly registry: NodeRegistry,
    private readonly supervisor: AttemptSupervisor,
    private readonly log: Logger,
    metrics: Registry,
  ) {
    this.roundMs = new DurationMetric(
      "benchfleet_dispatch_round",
      "wall time of a dispatch round (allocation decision, claims and assignments)",
      metrics,
    );
    this.allocateMs = new DurationMetric(
      "benchfleet_allocation",
      "time of the allocation decision within a dispatch round with ready jobs",
      metrics,
    );
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(loop, this.cfg.dispatchIntervalMs);
      this.timer.unref();
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Runs a round soon (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.stopped);
      } catch (e) {
        this.log.error({ err: (e as Error).stack ?? String(e) }, "dispatch round failed");
      } finally {
        this.running = false;
      }
    })();
  }

  /** Why a queued job has not started (from the last round). */
  waitingReason(jobId: string): string | undefined {
    return this.waitingReasons.get(jobId);
  }

  heldNodes(): Reservation[] {
    return this.reservations;
  }

  /** One allocation round; returns the attempts started. */
  async round(now = Date.now()): Promise<number> {
    this.rounds++;
    const t0 = performance.now();
    try {
      return await this.roundAt(now);
    } finally {
      this.roundMs.observe(performance.now() - t0);
    }
  }

  private async roundAt(now: number): Promise<number> {
    const allocJobs: AllocJob[] = [];
    const exclusionWaits = new Map<string, string>();
    for (const q of this.queues.names()) await this.queues.promoteDue(q, now);
    const fleet: ExclusionNode[] = this.registry.list().map((n) => ({
      id: n.id,
      labels: nodeLabels(n.info),
      domain: n.info.domain,
      schedulable: n.connected && n.health.ok && n.adminState === "active",
      capacity: n.info.launcher === "slurm" ? (n.info.slurm?.nodes ?? 1) : 1,
    }));
    for (const rec of this.jobs.queued()) {
      if (rec.retryAt !== undefined && rec.retryAt > now) continue;
      const ex = rec.excludedNodes.length ? effectiveExclusions(rec, fleet, now) : { excluded: [] };
      if (ex.waiting) {
        exclusionWaits.set(rec.jobId, ex.waiting);
        continue;
      }
      allocJobs.push({
        jobId: rec.jobId,
        runner: rec.runner,
        nodes: rec.nodes,
        priority: rec.priority,
        enqueuedAt: rec.enqueuedAt,
        estimatedSeconds: rec.estimatedSeconds,
        excludedNodes: ex.excluded,
      });
    }
    const nodes: AllocNode[] = this.registry.list().map((n) => {
      const att = n.attemptId ? this.attempts.get(n.attemptId) : undefined;
      const job = att ? this.jobs.get(att.jobId) : undefined;
      return {
        id: n.id,
        labels: nodeLabels(n.info),
        domain: n.info.domain,
        state: nodeState(n),
        healthy: n.connected && n.health.ok,
        freeAt: att && isLive(att) && job ? att.startedAtMs + job.estimatedSeconds * 1000 : undefined,
        capacity: n.info.launcher === "slurm" ? n.info.slurm?.nodes : undefined,
      };
    });
    if (allocJobs.length === 0) {
      if (this.reservations.length) {
        this.reservations = [];
        this.registry.setHolds(new Map());
      }
      this.waitingReasons.clear();
      for (const [id, why] of exclusionWaits) this.waitingReasons.set(id, why);
      return 0;
    }
    const ta = performance.now();
    const decision = allocate({
      now,
      jobs: allocJobs,
      nodes,
      reservations: this.reservations,
      agingMsPerPriorityStep: this.cfg.agingMsPerPriorityStep,
    });
    this.allocateMs.observe(performance.now() - ta);
    this.reservations = decision.reservations;
    const holds = new Map<string, string>();
    for (const r of decision.reservations) for (const id of r.nodeIds) holds.set(id, r.jobId);
    this.registry.setHolds(holds);
    this.waitingReasons.clear();
    for (const w of decision.waiting) this.waitingReasons.set(w.jobId, w.reason);
    for (const [id, why] of exclusionWaits) this.waitingReasons.set(id, why);
    // A claim takes the head of its BullMQ queue, so the starts of one queue go one after the other,
    // in the allocator's order; queues are independent (their own jobs, disjoint nodes), so they go
    // side by side: a round that fills a fleet of several SKUs waits for the longest queue, not the sum.
    const byQueue = new Map<string, Array<{ rec: JobRecord; nodeIds: string[] }>>();
    for (const s of decision.start) {
      const rec = this.jobs.get(s.jobId);
      if (!rec) continue;
      let list = byQueue.get(rec.queue);
      if (!list) {
        list = [];
        byQueue.set(rec.queue, list);
      }
      list.push({ rec, nodeIds: s.nodeIds });
    }
    const outcomes = await Promise.allSettled(
      [...byQueue.values()].map(async (list) => {
        let n = 0;
        for (const { rec, nodeIds } of list) if (await this.supervisor.launch(rec, nodeIds, now)) n++;
        return n;
      }),
    );
    // the round ends only when every queue's launches have settled; then the first error is the round's
    let started = 0;
    for (const o of outcomes) {
      if (o.status === "rejected") throw o.reason;
      started += o.value;
    }
    return started;
  }
}
