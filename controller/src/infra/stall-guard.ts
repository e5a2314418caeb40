/**
 * Stall guard: the controller's own stalls must never count against an agent. The controller is
 * stalled while Redis is unreachable (every state change waits for it) and when its event loop was
 * held up (CPU starvation, a SIGSTOP, a long GC): during such a stall it neither reads the agents'
 * frames nor writes state, so an agent's silence then says nothing about the agent.
 * - `stalled`: Redis is down now; liveness verdicts (heartbeat timeout, disconnect grace) wait.
 * - `resumedAt`: when the controller last came out of a stall; an agent's silence counts only from
 *   then on (`silentSince`), so after a stall every agent gets a full timeout to be heard from.
 * The loop check runs on its own timer, apart from the supervisor's tick (which may itself be
 * waiting on Redis).
 */

export interface StallGuardOptions {
  /** how often the loop is probed */
  probeMs: number;
  /** a probe later than this beyond its schedule means the event loop stalled */
  maxLagMs: number;
}

/**
 * The guard's timings for a controller that ticks every `tickMs` and times agents out after
 * `heartbeatTimeoutMs` of silence: a lag of 2 ticks (at least 1 s) counts as a stall, but never more
 * than half the heartbeat timeout, so no stall of the controller alone (one it cannot read frames
 * in) outlasts an agent's timeout unseen.
 */
export function stallGuardOptions(tickMs: number, heartbeatTimeoutMs: number): StallGuardOptions {
  return { probeMs: tickMs, maxLagMs: Math.min(Math.max(1000, 2 * tickMs), heartbeatTimeoutMs / 2) };
}

export class StallGuard {
  private lastProbe: number;
  private redisDownSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** epoch ms the controller last came out of a stall (0: never stalled) */
  resumedAt = 0;
  /** stalls seen (loop and Redis), for the status counters */
  stalls = 0;

  constructor(
    private readonly o: StallGuardOptions,
    now = Date.now(),
  ) {
    this.lastProbe = now;
  }

  start(): void {
    this.lastProbe = Date.now();
    this.timer = setInterval(() => this.probe(Date.now()), this.o.probeMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** one loop probe at `now` (the timer calls it; tests call it with their own clock) */
  probe(now: number): void {
    if (now - this.lastProbe > this.o.probeMs + this.o.maxLagMs) this.resumed(now);
    this.lastProbe = now;
  }

  redisDown(now = Date.now()): void {
    this.redisDownSince ??= now;
  }

  redisUp(now = Date.now()): void {
    if (this.redisDownSince === undefined) return;
    this.redisDownSince = undefined;
    this.resumed(now);
  }

  private resumed(now: number): void {
    this.resumedAt = now;
    this.stalls++;
  }

  /** Redis is unreachable now */
  get stalled(): boolean {
    return this.redisDownSince !== undefined;
  }

  /** from when an agent last heard at `lastSeenAt` counts as silent */
  silentSince(lastSeenAt: number): number {
    return Math.max(lastSeenAt, this.resumedAt);
  }
}
