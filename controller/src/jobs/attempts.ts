/**
 * Attempts: one try of a job on one gang. Each has a monotonic fencing token (a Redis counter) and a
 * BullMQ lock token; both live in Redis with the gang, roles and progress, so a restarted controller
 * re-adopts running attempts when their agents reconnect. `checkFence` decides whether a message
 * naming an attempt may act on it.
 */
import type { AttemptRecord, AttemptState } from "@benchfleet/shared";
import type { Bus } from "../infra/bus.js";
import type { RedisState } from "../infra/redis-state.js";
import { closeOpenPhases } from "./attempt-phases.js";

export type { AttemptRecord, AttemptState } from "@benchfleet/shared";
export const LIVE_ATTEMPT_STATES: ReadonlySet<AttemptState> = new Set(["dispatched", "running"]);

export function isLive(a: AttemptRecord): boolean {
  return LIVE_ATTEMPT_STATES.has(a.state);
}

export type FenceVerdict = "ok" | "finished" | "unknown-attempt" | "stale-token" | "superseded" | "not-member";

/**
 * May `agentId`'s message naming (attemptId, fencingToken) act on the attempt?
 * "finished": the attempt is the job's latest but already ended (late resend: idempotent ops only).
 */
export function checkFence(
  attempt: AttemptRecord | undefined,
  currentAttemptOfJob: string | undefined,
  msg: { attemptId: string; fencingToken: number },
  agentId: string,
): FenceVerdict {
  if (!attempt) return "unknown-attempt";
  if (attempt.fencingToken !== msg.fencingToken) return "stale-token";
  if (!attempt.gang.some((m) => m.agentId === agentId)) return "not-member";
  if (currentAttemptOfJob !== attempt.attemptId) return "superseded";
  if (!isLive(attempt)) return "finished";
  return "ok";
}

export class AttemptStore {
  private readonly attempts = new Map<string, AttemptRecord>();

  constructor(
    private readonly state: RedisState,
    private readonly bus: Bus,
  ) {}

  async load(): Promise<void> {
    for (const [id, a] of await this.state.allJson<AttemptRecord>("attempts")) {
      closeOpenPhases(a, Date.now());
      this.attempts.set(id, a);
    }
  }

  async nextFencingToken(): Promise<number> {
    return this.state.incr("fence");
  }

  get(id: string): AttemptRecord | undefined {
    return this.attempts.get(id);
  }

  all(): IterableIterator<AttemptRecord> {
    return this.attempts.values();
  }

  live(): AttemptRecord[] {
    return [...this.attempts.values()].filter(isLive);
  }

  ofJob(jobId: string): AttemptRecord[] {
    return [...this.attempts.values()]
      .filter((a) => a.jobId === jobId)
      .sort((a, b) => a.attemptNumber - b.attemptNumber);
  }

  async save(a: AttemptRecord): Promise<void> {
    // every way an attempt ends passes here: no member's phase may stay `started` after it
    closeOpenPhases(a, Date.now());
    this.attempts.set(a.attemptId, a);
    await this.state.putJson("attempts", a.attemptId, a);
    this.bus.publish({ kind: "attempt", jobId: a.jobId, sweepId: a.sweepId, attemptId: a.attemptId, data: a });
  }

  async staleCount(): Promise<number> {
    return this.state.getNumber("stats:stale-messages");
  }

  async countStale(): Promise<number> {
    return this.state.incr("stats:stale-messages");
  }
}
