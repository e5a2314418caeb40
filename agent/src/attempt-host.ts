/**
 * The attempts an agent runs, one at a time: takes assignments (refused while busy, stopping or
 * draining), runs each through an AttemptExecutor, answers the controller's messages about it
 * (cancel, gang-ready, release, energy requests, drain) and re-checks the node's health after each.
 */
import type {
  Assignment,
  AssignmentRefusal,
  ControllerMessage,
  EnergyRequestMsg,
  Health,
  LaunchPlan,
  Placement,
} from "@benchfleet/shared";
import { AttemptExecutor, type AttemptOutcome, type ExecutorDeps } from "./executor.js";

/** a message id part made of the characters the spool accepts */
const safeId = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, "_");

export interface AttemptHostDeps extends Omit<ExecutorDeps, "buildPlan" | "preflight" | "io"> {
  agentId: string;
  buildPlan: (deployment: Assignment["deployment"], placement: Placement) => LaunchPlan;
  preflight: (ports: number[]) => Promise<Health>;
  io: ExecutorDeps["io"] & { acked(msgId: string): Promise<unknown> };
  /** the node's health after an attempt ended */
  onHealth(h: Health): void;
  log(line: string): void;
}

export class AttemptHost {
  private currentEx: AttemptExecutor | undefined;
  /** the last attempts of this agent (a member answers energy requests after its attempt ended) */
  private readonly recent = new Map<string, AttemptExecutor>();
  /** the launch plan of the running attempt (the emulated launcher finds its routers' workers in it) */
  plan: LaunchPlan | undefined;
  draining = false;
  private stopping = false;
  /** outcomes of finished attempts, in order */
  readonly outcomes: Array<{ attemptId: string; outcome: AttemptOutcome }> = [];

  constructor(private readonly deps: AttemptHostDeps) {}

  /** the attempt running now */
  current(): AttemptExecutor | undefined {
    return this.currentEx;
  }

  onMessage(m: ControllerMessage): void {
    const current = this.currentEx;
    switch (m.type) {
      case "assign":
        this.assign(m.assignment);
        return;
      case "cancel":
        if (current?.attemptId === m.attemptId) current.cancel(m.reason);
        return;
      case "gang-ready":
        if (current?.attemptId === m.attemptId) current.onGangReady(m);
        return;
      case "release":
        if (current?.attemptId === m.attemptId) current.onRelease();
        return;
      case "energy-request":
        this.reportEnergy(m).catch((e) =>
          this.deps.log(`energy-request ${m.attemptId} ${m.pointKey}: ${(e as Error).message}`),
        );
        return;
      case "drain":
        this.draining = m.drain;
        this.deps.log(this.draining ? "draining: no new work" : "drain lifted");
        return;
      default:
        return;
    }
  }

  /** cancels a running attempt (teardown runs) and waits a moment for its final state to be acknowledged */
  async stop(reason: string): Promise<void> {
    this.stopping = true;
    const ex = this.currentEx;
    if (!ex) return;
    ex.cancel(reason, true);
    await ex.run();
    // give the final state a moment to be acknowledged; it stays spooled otherwise
    await Promise.race([this.deps.io.acked(`${safeId(ex.attemptId)}.final`), new Promise((r) => setTimeout(r, 2000))]);
  }

  private assign(a: Assignment): void {
    const { deps } = this;
    const refuse = (reason: string, refused: AssignmentRefusal) =>
      deps.io.sendReliable({
        type: "attempt-finished",
        msgId: `${safeId(a.attemptId)}.final`,
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        status: "failed",
        reason,
        retryable: true,
        phase: "prepare",
        phaseDurationsMs: {},
        refused,
      });
    if (this.currentEx) {
      const busyWith = this.currentEx.attemptId;
      refuse(`agent ${deps.agentId} is busy with attempt ${busyWith}`, { cause: "busy", attemptId: busyWith });
      return;
    }
    if (this.stopping) {
      refuse(`agent ${deps.agentId} is stopping`, { cause: "stopping" });
      return;
    }
    if (this.draining) {
      refuse(`agent ${deps.agentId} is draining`, { cause: "draining" });
      return;
    }
    const { agentId: _a, onHealth: _h, log: _l, ...executorDeps } = deps;
    const ex = new AttemptExecutor(a, {
      ...executorDeps,
      buildPlan: (dep, placement) => {
        this.plan = deps.buildPlan(dep, placement);
        return this.plan;
      },
      preflight: (ports) => deps.preflight(ports),
    });
    this.currentEx = ex;
    this.recent.set(a.attemptId, ex);
    for (const k of this.recent.keys()) if (this.recent.size > 4) this.recent.delete(k);
    deps.log(`attempt ${a.attemptId} of job ${a.jobId}: rank ${a.rank} of ${a.gang.length}`);
    void ex.run().then(async (outcome) => {
      this.outcomes.push({ attemptId: a.attemptId, outcome });
      deps.log(`attempt ${a.attemptId} ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`);
      this.plan = undefined;
      deps.onHealth(await deps.preflight([]));
      if (this.currentEx === ex) this.currentEx = undefined;
    });
  }

  /**
   * A member's part of a load point's energy: this node's GPUs of the attempt over the leader's
   * window, from this node's sampler (also after the attempt ended: the samples outlive it).
   */
  private async reportEnergy(m: EnergyRequestMsg): Promise<void> {
    const ex = this.recent.get(m.attemptId);
    if (!ex) return this.deps.log(`energy-request for unknown attempt ${m.attemptId}: ignored`);
    const energy = await ex.nodeEnergy(m.startMs, m.endMs, m.outputTokens, m.totalTokens);
    this.deps.io.sendReliable({
      type: "energy-report",
      msgId: `${safeId(m.attemptId)}.energy.${m.pointKey}`,
      attemptId: m.attemptId,
      fencingToken: m.fencingToken,
      pointKey: m.pointKey,
      energy,
    });
  }
}
