/**
 * Attempt supervisor: everything that happens to an attempt after the allocator chose its gang.
 * It claims the BullMQ job, creates the attempt (fencing token, roles, ports) and sends the
 * assignments; handles the agents' messages about it (fenced: stale attempts are rejected and
 * counted); relays the gang-ready barrier to the leader; stores results idempotently and acks them;
 * keeps the BullMQ lock alive while the gang lives; detects lost members (heartbeat timeout,
 * disconnect beyond grace, agent back without the attempt) and applies the failure policy; finishes,
 * fails or cancels the job; and after a controller restart re-adopts attempts whose agents report them.
 */
import type {
  AgentMessage,
  AttemptFinishedMsg,
  ControllerMessage,
  Deployment,
  GangMember,
  MemberReadyMsg,
  PhaseMsg,
  ProgressMsg,
  RunningReport,
} from "@benchfleet/shared";
import { logSource, pointWindow, portBaseForAttempt } from "@benchfleet/shared";
import type { NodeRegistry } from "../fleet/node-registry.js";
import type { Bus } from "../infra/bus.js";
import type { LogStore } from "../infra/log-store.js";
import type { Logger } from "../infra/logger.js";
import type { StallGuard } from "../infra/stall-guard.js";
import { recordPhase } from "../jobs/attempt-phases.js";
import { type AttemptRecord, type AttemptStore, checkFence, type FenceVerdict, isLive } from "../jobs/attempts.js";
import type { JobRecord, JobStore } from "../jobs/jobs.js";
import { type Provenance, pointKey, type ResultsDb } from "../results/results-db.js";
import type { ControllerConfig } from "../settings.js";
import { addExclusions, dropExclusionsOf, liftExclusions } from "./exclusions.js";
import { decideFailure, type FailureInput } from "./failure-policy.js";
import { quarantineVerdict } from "./quarantine-policy.js";
import type { QueueSet } from "./queues.js";

export interface AgentSender {
  send(agentId: string, msg: ControllerMessage): boolean;
  isConnected(agentId: string): boolean;
  disconnect(agentId: string, code: number, reason: string): void;
}

export interface SupervisorDeps {
  cfg: ControllerConfig;
  queues: QueueSet;
  jobs: JobStore;
  attempts: AttemptStore;
  registry: NodeRegistry;
  results: ResultsDb;
  logs: LogStore;
  bus: Bus;
  log: Logger;
  /** the controller's own stalls (Redis down, event loop held up): never counted against agents */
  stall?: StallGuard;
}

export type AdoptVerdict = "adopt" | "abort" | "none";

export class AttemptSupervisor {
  private hub: AgentSender | undefined;
  /** agentId → epoch ms until which a disconnected member may come back */
  private readonly graceUntil = new Map<string, number>();
  /** agents whose connection was closed for silence (heartbeat timeout) and that have not said hello since */
  private readonly silentOut = new Set<string>();
  private lastLockExtend = 0;
  /** launches in progress, so a cancel of the same job waits for the claim to settle */
  private readonly launching = new Map<string, Promise<unknown>>();
  /** attemptId → members that have shown they run it (memory only; phases and readiness persist it too) */
  private readonly takenUp = new Map<string, Set<string>>();
  /** messages rejected by fencing (also counted in Redis) */
  staleRejected = 0;
  /** called when nodes free up or jobs become ready, to run the allocator soon */
  onCapacityChange: () => void = () => {};

  constructor(private readonly d: SupervisorDeps) {}

  attachHub(hub: AgentSender): void {
    this.hub = hub;
  }

  private send(agentId: string, msg: ControllerMessage): boolean {
    return this.hub?.send(agentId, msg) ?? false;
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Claims `job` from BullMQ and starts an attempt on `nodeIds` (rank 0 = first = leader).
   * Returns the attempt, or undefined when the job was no longer ready.
   */
  async launch(job: JobRecord, nodeIds: string[], now = Date.now()): Promise<AttemptRecord | undefined> {
    const p = this.launchNow(job, nodeIds, now);
    this.launching.set(job.jobId, p);
    try {
      return await p;
    } finally {
      this.launching.delete(job.jobId);
    }
  }

  private async launchNow(job: JobRecord, nodeIds: string[], now: number): Promise<AttemptRecord | undefined> {
    if (this.d.jobs.get(job.jobId)?.status !== "queued") return undefined;
    if (this.notActive(nodeIds).length) return undefined;
    const fencingToken = await this.d.attempts.nextFencingToken();
    const attemptNumber = job.attempts + 1;
    const attemptId = `${job.jobId}.a${attemptNumber}-${fencingToken}`;
    const lockToken = attemptId;
    const claimed = await this.d.queues.claim(job.queue, job.jobId, lockToken);
    if (!claimed) return undefined;
    const deployment: Deployment = claimed.data.deployment;
    const stored = this.d.results.storedPointKeys(job.jobId);
    const points = deployment.evalsOnly ? [] : deployment.points.filter((p) => !stored.has(pointKey(p)));
    const runEval = deployment.eval && !this.d.results.hasPassingOrFinalEval(job.jobId);
    if (points.length === 0 && !runEval) {
      // everything this job measures is already stored (rerun of missing results found nothing missing)
      await this.d.queues.complete(job.queue, job.jobId, lockToken, {
        attemptId: null,
        note: "nothing left to measure",
      });
      await this.d.jobs.update(job.jobId, { status: "succeeded", finishedAt: new Date(now).toISOString() });
      return undefined;
    }
    const gang: GangMember[] = nodeIds.map((id, rank) => {
      const n = this.d.registry.get(id)!;
      return {
        agentId: id,
        hostname: n.info.hostname,
        ip: n.info.ip,
        rank,
        gpuCount: Math.max(1, n.info.gpuCount),
        rdmaDevices: n.info.rdmaDevices,
      };
    });
    const emulated = nodeIds.some((id) => this.d.registry.get(id)?.info.emulated);
    const t = deployment.timeouts;
    const totalS = t.prepare + t.launch + t.ready + t.warmup + t.load + t.eval + t.teardown;
    const att: AttemptRecord = {
      attemptId,
      jobId: job.jobId,
      sweepId: job.sweepId,
      queue: job.queue,
      attemptNumber,
      fencingToken,
      lockToken,
      gang,
      state: "dispatched",
      phases: {},
      ready: {},
      gangReadySent: false,
      finishedMembers: [],
      portBase: portBaseForAttempt(attemptId),
      emulated,
      gpus: deployment.gpus,
      createdAt: new Date(now).toISOString(),
      startedAtMs: now,
      deadlineAtMs: now + totalS * 1000 + this.d.cfg.attemptDeadlineSlackMs,
    };
    await this.d.attempts.save(att);
    await this.d.jobs.update(job.jobId, (j) => {
      j.status = "running";
      j.attempts = attemptNumber;
      j.currentAttemptId = attemptId;
      j.startedAt ??= new Date(now).toISOString();
      j.retryAt = undefined;
      // back on a node it had excluded (none other could take it): a new failure excludes it anew
      liftExclusions(j, nodeIds);
    });
    for (const id of nodeIds) await this.d.registry.setAttempt(id, attemptId);
    this.recordAttemptRow(att, deployment);
    // a node drained (or quarantined) while this launch was claiming the job: its agent would refuse
    // the assignment; the attempt ends before it starts, without blaming anyone. Nothing is awaited
    // between this check and the sends, so a later drain reaches the agent after its assignment.
    const inactive = this.notActive(nodeIds);
    if (inactive.length) {
      await this.fail(att, {
        kind: "assign-failed",
        reason: `${inactive.join(", ")} left active service while the attempt was being dispatched`,
        nodes: [],
      });
      return att;
    }
    const undelivered: string[] = [];
    for (const m of gang) {
      const ok = this.send(m.agentId, {
        type: "assign",
        assignment: {
          attemptId,
          fencingToken,
          attemptNumber,
          jobId: job.jobId,
          sweepId: job.sweepId,
          deployment,
          points,
          runEval,
          gang,
          rank: m.rank,
          portBase: att.portBase,
          emulated,
        },
      });
      if (!ok) undelivered.push(m.agentId);
    }
    if (undelivered.length)
      await this.fail(att, {
        kind: "assign-failed",
        reason: `assignment not delivered to ${undelivered.join(", ")}`,
        nodes: undelivered,
      });
    this.d.log.info({ attemptId, nodes: nodeIds, points: points.length, runEval }, "attempt dispatched");
    return att;
  }

  /** nodes of `nodeIds` that are drained or quarantined now */
  private notActive(nodeIds: string[]): string[] {
    return nodeIds.filter((id) => this.d.registry.get(id)?.adminState !== "active");
  }

  private recordAttemptRow(att: AttemptRecord, deployment?: { fingerprint: string }): void {
    const job = this.d.jobs.get(att.jobId);
    this.d.results.recordAttempt({
      attemptId: att.attemptId,
      jobId: att.jobId,
      sweepId: att.sweepId,
      fingerprint: deployment?.fingerprint ?? job?.fingerprint ?? "",
      attemptNumber: att.attemptNumber,
      fencingToken: att.fencingToken,
      nodes: att.gang.map((m) => m.agentId),
      state: att.state,
      reason: att.reason,
      engineVersion: att.engineVersion,
      phaseDurationsMs: att.phaseDurationsMs,
      gpus: att.gpus,
      startedAt: att.createdAt,
      finishedAt: att.finishedAt,
      emulated: att.emulated,
    });
  }

  // ---------------------------------------------------------------- agent connection events

  /** An agent said hello: decide what it should do with the attempt it reports running. */
  async onHello(agentId: string, running: RunningReport | undefined): Promise<AdoptVerdict> {
    this.graceUntil.delete(agentId);
    this.silentOut.delete(agentId);
    const node = this.d.registry.get(agentId);
    if (!running) {
      // An agent back without its live attempt either finished it while it could not reach us (its
      // spooled results and final state follow this hello on the same connection) or lost it (agent
      // restarted). Nothing is decided here: the first heartbeat that still does not report the
      // attempt, handled after those spooled messages, fails it (see onHeartbeat).
      const cur = node?.attemptId ? this.d.attempts.get(node.attemptId) : undefined;
      if (!cur || !isLive(cur)) {
        await this.d.registry.setAttempt(agentId, undefined);
        this.onCapacityChange();
      }
      return "none";
    }
    const att = this.d.attempts.get(running.attemptId);
    const verdict = checkFence(att, att ? this.d.jobs.get(att.jobId)?.currentAttemptId : undefined, running, agentId);
    if (verdict === "ok" && att) {
      await this.d.registry.setAttempt(agentId, att.attemptId);
      this.d.log.info({ agentId, attemptId: att.attemptId }, "attempt re-adopted");
      this.markTakenUp(att.attemptId, agentId);
      // the gang barrier may have completed while the leader was away: tell it again (idempotent)
      if (att.gang.find((m) => m.agentId === agentId)?.rank === 0) queueMicrotask(() => this.sendGangReady(att));
      return "adopt";
    }
    // it still runs something we no longer want: it must tear down; the node stays busy until it reports done
    await this.d.registry.setAttempt(agentId, running.attemptId);
    return "abort";
  }

  async onHeartbeat(agentId: string, running: RunningReport | undefined, now = Date.now()): Promise<void> {
    const node = this.d.registry.get(agentId);
    if (!node) return;
    const cur = node.attemptId ? this.d.attempts.get(node.attemptId) : undefined;
    if (!running) {
      if (!node.attemptId) return;
      if (!cur || !isLive(cur)) {
        await this.d.registry.setAttempt(agentId, undefined); // teardown done
        this.onCapacityChange();
      } else if (!cur.finishedMembers.includes(agentId)) {
        // An agent that had taken the attempt up and no longer reports it lost it (it restarted).
        // One that never reported it may not have received its assignment yet (it is in flight, or
        // the agent is slow): it gets the heartbeat timeout to take it up.
        if (this.tookUp(cur, agentId))
          await this.fail(cur, {
            kind: "member-lost",
            reason: `${agentId} no longer runs the attempt (agent restarted without it)`,
            nodes: [agentId],
          });
        else if (now - cur.startedAtMs > this.d.cfg.heartbeatTimeoutMs)
          // the assignment may have been lost with a connection, or the agent is starved: not proof
          // against the node, so the job retries without blaming or excluding it
          await this.fail(cur, {
            kind: "assign-failed",
            reason: `${agentId} did not take up its assignment within ${this.d.cfg.heartbeatTimeoutMs} ms`,
            nodes: [],
          });
      }
      return;
    }
    if (node.attemptId === running.attemptId) {
      this.markTakenUp(running.attemptId, agentId);
      return;
    }
    const att = this.d.attempts.get(running.attemptId);
    const verdict = checkFence(att, att ? this.d.jobs.get(att.jobId)?.currentAttemptId : undefined, running, agentId);
    if (verdict !== "ok")
      this.send(agentId, {
        type: "cancel",
        attemptId: running.attemptId,
        fencingToken: running.fencingToken,
        reason: `attempt ${verdict}`,
      });
    await this.d.registry.setAttempt(agentId, running.attemptId);
  }

  private markTakenUp(attemptId: string, agentId: string): void {
    let s = this.takenUp.get(attemptId);
    if (!s) {
      s = new Set();
      this.takenUp.set(attemptId, s);
    }
    s.add(agentId);
  }

  /** Has `agentId` shown it runs the attempt (reported it, a phase of it, or its readiness)? */
  private tookUp(att: AttemptRecord, agentId: string): boolean {
    if (this.takenUp.get(att.attemptId)?.has(agentId)) return true;
    const rank = att.gang.find((m) => m.agentId === agentId)?.rank;
    if (rank === undefined) return false;
    return att.ready[String(rank)] !== undefined || Object.keys(att.phases).some((k) => k.startsWith(`${rank}:`));
  }

  async onDisconnect(agentId: string, now = Date.now()): Promise<void> {
    await this.d.registry.disconnected(agentId, now);
    const node = this.d.registry.get(agentId);
    const att = node?.attemptId ? this.d.attempts.get(node.attemptId) : undefined;
    if (att && isLive(att)) this.graceUntil.set(agentId, now + this.d.cfg.disconnectGraceMs);
  }

  // ---------------------------------------------------------------- attempt messages

  private async fence(
    agentId: string,
    msg: { attemptId: string; fencingToken: number },
  ): Promise<{ verdict: FenceVerdict; att?: AttemptRecord }> {
    const att = this.d.attempts.get(msg.attemptId);
    const verdict = checkFence(att, att ? this.d.jobs.get(att.jobId)?.currentAttemptId : undefined, msg, agentId);
    if (verdict !== "ok" && verdict !== "finished") {
      this.staleRejected++;
      await this.d.attempts.countStale();
      this.d.log.warn({ agentId, attemptId: msg.attemptId, verdict }, "stale attempt message rejected");
    }
    return { verdict, att };
  }

  async onMessage(agentId: string, msg: Exclude<AgentMessage, { type: "hello" | "heartbeat" }>): Promise<void> {
    switch (msg.type) {
      case "phase":
        return this.onPhase(agentId, msg);
      case "progress":
        return this.onProgress(agentId, msg);
      case "log": {
        const { verdict, att } = await this.fence(agentId, msg);
        if ((verdict === "ok" || verdict === "finished") && att)
          this.d.logs.append(
            att.jobId,
            att.attemptId,
            logSource(msg.process, att.gang.length > 1 ? agentId : undefined),
            msg.stream,
            msg.lines,
            msg.times,
          );
        else
          this.send(agentId, {
            type: "error",
            code: "stale-attempt",
            message: `log lines of attempt ${msg.attemptId} rejected (${verdict})`,
          });
        return;
      }
      case "member-ready":
        return this.onMemberReady(agentId, msg);
      case "point-result":
      case "eval-result": {
        const { verdict, att } = await this.fence(agentId, msg);
        // produced under a valid fencing token: accepted whenever it arrives, until a newer attempt
        // of the job has started (then that attempt measures what is missing)
        const accept = att && (verdict === "ok" || verdict === "finished");
        if (!accept) {
          this.send(agentId, { type: "ack", msgId: msg.msgId, ok: false, reason: `stale attempt (${verdict})` });
          return;
        }
        await this.storeResult(att, msg);
        this.send(agentId, { type: "ack", msgId: msg.msgId, ok: true });
        return;
      }
      case "energy-report": {
        // a member's part of a stored point's energy: valid for that attempt's rows even after it
        // finished or was superseded; only a stranger or a stale token is refused
        const { verdict, att } = await this.fence(agentId, msg);
        const accept = att && (verdict === "ok" || verdict === "finished" || verdict === "superseded");
        const merged = accept
          ? this.d.results.mergeNodeEnergy(
              att.attemptId,
              msg.pointKey,
              { node: agentId, energy: msg.energy },
              att.gang.length,
            )
          : undefined;
        // the point changed: live views fetch it again
        if (att && merged)
          this.d.bus.publish({
            kind: "point",
            jobId: att.jobId,
            sweepId: att.sweepId,
            attemptId: att.attemptId,
            data: merged,
          });
        this.send(agentId, {
          type: "ack",
          msgId: msg.msgId,
          ok: !!merged,
          ...(merged
            ? {}
            : {
                reason: accept ? `no stored point ${msg.pointKey} of ${msg.attemptId}` : `stale attempt (${verdict})`,
              }),
        });
        return;
      }
      case "attempt-finished":
        return this.onFinished(agentId, msg);
    }
  }

  private async onPhase(agentId: string, msg: PhaseMsg): Promise<void> {
    const { verdict, att } = await this.fence(agentId, msg);
    if ((verdict !== "ok" && verdict !== "finished") || !att) {
      this.send(agentId, {
        type: "error",
        code: "stale-attempt",
        message: `phase of attempt ${msg.attemptId} rejected (${verdict})`,
      });
      return;
    }
    const rank = att.gang.find((m) => m.agentId === agentId)?.rank ?? 0;
    // an ended attempt takes only the reports that close a member's phase (teardown after the end)
    if (!recordPhase(att, rank, msg)) return;
    if (att.state === "dispatched") att.state = "running";
    await this.d.attempts.save(att);
    this.d.bus.publish({
      kind: "phase",
      jobId: att.jobId,
      sweepId: att.sweepId,
      attemptId: att.attemptId,
      data: { agentId, rank, ...msg },
    });
  }

  /** the leader's progress inside a load point: kept on the live attempt in memory and fanned out */
  private async onProgress(agentId: string, msg: ProgressMsg): Promise<void> {
    const { verdict, att } = await this.fence(agentId, msg);
    if (verdict !== "ok" || !att || !isLive(att)) return;
    const { type: _t, attemptId: _a, fencingToken: _f, ...progress } = msg;
    att.progress = progress;
    this.d.bus.publish({
      kind: "progress",
      jobId: att.jobId,
      sweepId: att.sweepId,
      attemptId: att.attemptId,
      data: { agentId, gpus: att.gpus, ...progress },
    });
  }

  private async onMemberReady(agentId: string, msg: MemberReadyMsg): Promise<void> {
    const { verdict, att } = await this.fence(agentId, msg);
    if (verdict !== "ok" || !att) {
      this.send(agentId, {
        type: "error",
        code: "stale-attempt",
        message: `member-ready of attempt ${msg.attemptId} rejected (${verdict})`,
      });
      return;
    }
    const rank = att.gang.find((m) => m.agentId === agentId)!.rank;
    att.ready[String(rank)] = msg.endpoints;
    if (att.state === "dispatched") att.state = "running";
    await this.d.attempts.save(att);
    // a member-ready re-sent after a reconnect repeats the barrier for a leader that may have missed it
    if (!att.gangReadySent || rank === 0) this.sendGangReady(att);
  }

  /** Sends gang-ready to the leader once every member is ready; idempotent on the agent. */
  private sendGangReady(att: AttemptRecord): void {
    if (!isLive(att) || !att.gang.every((m) => att.ready[String(m.rank)] !== undefined)) return;
    const leader = att.gang.find((m) => m.rank === 0)!;
    const sent = this.send(leader.agentId, {
      type: "gang-ready",
      attemptId: att.attemptId,
      fencingToken: att.fencingToken,
      members: att.gang.map((m) => ({ rank: m.rank, endpoints: att.ready[String(m.rank)] ?? {} })),
    });
    if (sent && !att.gangReadySent) {
      att.gangReadySent = true;
      void this.d.attempts.save(att).catch((e) => this.d.log.warn({ err: String(e) }, "saving the attempt failed"));
    }
  }

  private async storeResult(
    att: AttemptRecord,
    msg: Extract<AgentMessage, { type: "point-result" | "eval-result" }>,
  ): Promise<void> {
    const deployment = await this.d.jobs.deployment(att.jobId);
    if (!deployment) throw new Error(`deployment of job ${att.jobId} missing`);
    const prov: Provenance = {
      sweepId: att.sweepId,
      jobId: att.jobId,
      attemptId: att.attemptId,
      attemptNumber: att.attemptNumber,
      fencingToken: att.fencingToken,
      nodes: att.gang.map((m) => m.agentId),
      hostnames: att.gang.map((m) => m.hostname),
      deployment,
      engineVersion: att.engineVersion,
    };
    if (msg.type === "point-result") {
      const inserted = this.d.results.insertPoint(prov, msg.result);
      if (!inserted) return;
      // the leader sampled only its own GPUs: every other member reports its part of the energy
      const w = pointWindow(msg.result);
      for (const m of att.gang)
        if (m.rank !== 0)
          this.send(m.agentId, {
            type: "energy-request",
            attemptId: att.attemptId,
            fencingToken: att.fencingToken,
            pointKey: pointKey(msg.result.point),
            ...w,
          });
      const done = this.d.results.storedPointKeys(att.jobId).size;
      await this.d.jobs.update(att.jobId, { pointsDone: done });
      this.d.bus.publish({
        kind: "point",
        jobId: att.jobId,
        sweepId: att.sweepId,
        attemptId: att.attemptId,
        data: msg.result,
      });
    } else {
      const inserted = this.d.results.insertEval(prov, msg.result);
      if (!inserted) return;
      await this.d.jobs.update(att.jobId, { evalDone: true });
      this.d.bus.publish({
        kind: "eval",
        jobId: att.jobId,
        sweepId: att.sweepId,
        attemptId: att.attemptId,
        data: msg.result,
      });
    }
  }

  private async memberDone(att: AttemptRecord, agentId: string): Promise<void> {
    if (!att.finishedMembers.includes(agentId)) att.finishedMembers.push(agentId);
    const node = this.d.registry.get(agentId);
    if (node?.attemptId === att.attemptId) await this.d.registry.setAttempt(agentId, undefined);
    this.onCapacityChange();
  }

  private async onFinished(agentId: string, msg: AttemptFinishedMsg): Promise<void> {
    const { verdict, att } = await this.fence(agentId, msg);
    if (msg.refused) return this.onRefused(agentId, att, msg, verdict);
    if (!att || (verdict !== "ok" && verdict !== "finished")) {
      // a superseded attempt's agent finished tearing down: the node is free, but nothing else changes
      const node = this.d.registry.get(agentId);
      if (node?.attemptId === msg.attemptId) {
        await this.d.registry.setAttempt(agentId, undefined);
        this.onCapacityChange();
      }
      this.send(agentId, { type: "ack", msgId: msg.msgId, ok: false, reason: `stale attempt (${verdict})` });
      return;
    }
    const isLeader = att.gang.find((m) => m.agentId === agentId)?.rank === 0;
    if (verdict === "finished" && isLeader && msg.status === "succeeded") await this.revive(att);
    if (verdict === "ok") {
      if (msg.engineVersion) att.engineVersion = msg.engineVersion;
      if (isLeader) att.phaseDurationsMs = msg.phaseDurationsMs;
      if (isLeader && msg.status === "succeeded") await this.succeed(att);
      else if (msg.status === "failed")
        await this.fail(att, {
          kind: "reported",
          reason: msg.reason ?? `failed in ${msg.phase ?? "an unknown phase"}`,
          retryable: msg.retryable,
          nodes: [agentId],
        });
      else if (isLeader && msg.status === "cancelled")
        await this.fail(att, {
          kind: "reported",
          reason: msg.reason ?? "cancelled by the agent",
          retryable: msg.retryable ?? true,
          nodes: [],
        });
    }
    await this.memberDone(att, agentId);
    await this.d.attempts.save(att);
    this.send(agentId, { type: "ack", msgId: msg.msgId, ok: true });
  }

  /**
   * A member refused its assignment without starting it: it still runs or tears down an attempt the
   * controller had given up (the controller saw the node free too early), it is stopping, or it is
   * draining. The controller's race, not the node's fault: the attempt fails without blame or
   * exclusion, and a busy node stays busy with what it reported until its teardown report (the old
   * attempt's final state, or a heartbeat without it) frees it.
   */
  private async onRefused(
    agentId: string,
    att: AttemptRecord | undefined,
    msg: AttemptFinishedMsg,
    verdict: FenceVerdict,
  ): Promise<void> {
    const busyWith = msg.refused?.cause === "busy" ? msg.refused.attemptId : undefined;
    const old = busyWith ? this.d.attempts.get(busyWith) : undefined;
    const node = this.d.registry.get(agentId);
    if (busyWith && node?.connected && !old?.finishedMembers.includes(agentId))
      await this.d.registry.setAttempt(agentId, busyWith);
    else if (node?.attemptId === msg.attemptId) await this.d.registry.setAttempt(agentId, undefined);
    if (att && verdict === "ok")
      await this.fail(att, {
        kind: "assign-failed",
        reason: msg.reason ?? `${agentId} refused the assignment (${msg.refused?.cause})`,
        nodes: [],
      });
    if (att && (verdict === "ok" || verdict === "finished")) {
      await this.memberDone(att, agentId);
      await this.d.attempts.save(att);
    } else this.onCapacityChange();
    this.send(agentId, { type: "ack", msgId: msg.msgId, ok: true });
  }

  // ---------------------------------------------------------------- outcomes

  private async succeed(att: AttemptRecord, now = Date.now()): Promise<void> {
    att.state = "succeeded";
    att.finishedAt = new Date(now).toISOString();
    att.finishedAtMs = now;
    await this.d.attempts.save(att);
    this.recordAttemptRow(att);
    // the job record first: it is what the sweep's status follows (a restart settles the queue entry)
    await this.d.jobs.update(att.jobId, (j) => {
      j.status = "succeeded";
      j.finishedAt = att.finishedAt;
      j.gpuSeconds += (att.gpus * (now - att.startedAtMs)) / 1000;
    });
    try {
      await this.d.queues.complete(att.queue, att.jobId, att.lockToken, { attemptId: att.attemptId });
    } catch (e) {
      this.d.log.error({ err: (e as Error).message, attemptId: att.attemptId }, "moveToCompleted failed");
    }
    for (const m of att.gang)
      if (m.rank !== 0)
        this.send(m.agentId, { type: "release", attemptId: att.attemptId, fencingToken: att.fencingToken });
    this.d.log.info({ attemptId: att.attemptId }, "attempt succeeded");
  }

  /**
   * The leader reports success of an attempt the controller had failed on its own judgement (a member
   * it took for lost, the deadline, the lock) and no newer attempt of the job has started: the work
   * is done and its results are stored, so the attempt succeeds after all, the job's retry is
   * withdrawn and the failure is no longer held against its nodes. Returns whether it revived.
   */
  private async revive(att: AttemptRecord, now = Date.now()): Promise<boolean> {
    if (att.state !== "failed" || att.failureKind === undefined || att.failureKind === "reported") return false;
    await this.launching.get(att.jobId)?.catch(() => {});
    const job = this.d.jobs.get(att.jobId);
    if (!job || job.currentAttemptId !== att.attemptId || (job.status !== "queued" && job.status !== "failed"))
      return false;
    const failedFor = att.reason;
    await this.d.jobs.update(att.jobId, (j) => {
      j.status = "succeeded";
      j.finishedAt = new Date(now).toISOString();
      j.retryAt = undefined;
      j.lastError = undefined;
      dropExclusionsOf(j, att.attemptId);
    });
    att.state = "succeeded";
    att.reason = undefined;
    att.failedNodes = undefined;
    att.failureKind = undefined;
    att.finishedAt = new Date(now).toISOString();
    att.finishedAtMs = now;
    await this.d.attempts.save(att);
    this.recordAttemptRow(att);
    try {
      // the retry (delayed or waiting) or the final failure BullMQ holds for the job
      await this.d.queues.remove(att.queue, att.jobId);
    } catch (e) {
      this.d.log.warn({ err: (e as Error).message, attemptId: att.attemptId }, "removing the retry failed");
    }
    await this.d.registry.forgetFailures(att.attemptId);
    this.d.log.info({ attemptId: att.attemptId, failedFor }, "attempt succeeded after the controller had failed it");
    return true;
  }

  /** Fails a live attempt: cancels the gang, applies the failure policy, moves the BullMQ job on. */
  async fail(att: AttemptRecord, f: FailureInput, now = Date.now()): Promise<void> {
    if (!isLive(att)) return;
    // the fact the policy needs from the registry: which of the failed nodes are Slurm partition agents
    const partitionAgents = f.nodes.filter((id) => {
      const info = this.d.registry.get(id)?.info;
      return info?.launcher === "slurm" && info.slurm !== undefined;
    });
    const decision = decideFailure({ ...f, partitionAgents });
    att.state = "failed";
    att.reason = decision.reason;
    att.failedNodes = f.nodes;
    att.failureKind = f.kind;
    att.finishedAt = new Date(now).toISOString();
    att.finishedAtMs = now;
    await this.d.attempts.save(att);
    this.recordAttemptRow(att);
    this.d.log.warn(
      { attemptId: att.attemptId, reason: decision.reason, unrecoverable: decision.unrecoverable },
      "attempt failed",
    );
    for (const m of att.gang) {
      if (f.kind === "member-lost" && f.nodes.includes(m.agentId)) {
        // lost: it is offline; if it comes back still running the attempt it is told to abort
        const node = this.d.registry.get(m.agentId);
        if (node?.attemptId === att.attemptId && !node.connected)
          await this.d.registry.setAttempt(m.agentId, undefined);
        continue;
      }
      if (att.finishedMembers.includes(m.agentId)) continue;
      this.send(m.agentId, {
        type: "cancel",
        attemptId: att.attemptId,
        fencingToken: att.fencingToken,
        reason: decision.reason,
      });
    }
    for (const nodeId of decision.blame) {
      await this.d.registry.recordFailure({
        nodeId,
        jobId: att.jobId,
        attemptId: att.attemptId,
        at: now,
        reason: decision.reason,
      });
      const v = quarantineVerdict(this.d.registry.failureHistory(), nodeId, now, {
        k: this.d.cfg.quarantineK,
        windowMs: this.d.cfg.quarantineWindowMs,
      });
      const node = this.d.registry.get(nodeId);
      if (v.quarantine && node && node.adminState !== "quarantine") {
        await this.d.registry.setAdmin(nodeId, "quarantine", `auto: ${v.reason}`);
        this.d.log.warn({ nodeId, reason: v.reason }, "node quarantined");
      }
    }
    let state: string;
    try {
      state = await this.d.queues.fail(att.queue, att.jobId, att.lockToken, decision.reason, decision.unrecoverable);
    } catch (e) {
      // lock already gone (lock-lost): BullMQ moved the job itself
      this.d.log.warn({ err: (e as Error).message, attemptId: att.attemptId }, "moveToFailed failed");
      state = await this.d.queues.state(att.queue, att.jobId);
    }
    const retrying = state === "delayed" || state === "waiting" || state === "prioritized";
    let retryAt: number | undefined;
    if (state === "delayed") {
      const score = await this.d.queues.delayedScore(att.queue, att.jobId);
      if (score !== undefined) retryAt = Math.floor(score / 0x1000);
    }
    await this.d.jobs.update(att.jobId, (j) => {
      j.status = retrying ? "queued" : "failed";
      j.lastError = decision.reason;
      j.gpuSeconds += (att.gpus * (now - att.startedAtMs)) / 1000;
      addExclusions(j, decision.exclude, {
        reason: decision.reason,
        attemptId: att.attemptId,
        at: now,
        backoffMs: this.d.cfg.exclusionBackoffMs,
      });
      j.retryAt = retrying ? retryAt : undefined;
      if (!retrying) j.finishedAt = att.finishedAt;
    });
    this.onCapacityChange();
  }

  /** Operator cancel of one job: queued → removed; running → gang cancelled, job failed as cancelled. */
  async cancelJob(jobId: string, reason: string, now = Date.now()): Promise<JobRecord | undefined> {
    await this.launching.get(jobId)?.catch(() => {});
    const job = this.d.jobs.get(jobId);
    if (!job) return undefined;
    if (job.status === "queued") {
      await this.d.queues.remove(job.queue, jobId);
      return this.d.jobs.update(jobId, {
        status: "cancelled",
        lastError: reason,
        finishedAt: new Date(now).toISOString(),
        retryAt: undefined,
      });
    }
    if (job.status !== "running" || !job.currentAttemptId) return job;
    const att = this.d.attempts.get(job.currentAttemptId);
    if (att && isLive(att)) {
      att.state = "cancelled";
      att.reason = reason;
      att.finishedAt = new Date(now).toISOString();
      att.finishedAtMs = now;
      await this.d.attempts.save(att);
      this.recordAttemptRow(att);
      for (const m of att.gang)
        this.send(m.agentId, { type: "cancel", attemptId: att.attemptId, fencingToken: att.fencingToken, reason });
      try {
        await this.d.queues.fail(att.queue, jobId, att.lockToken, `cancelled: ${reason}`, true);
      } catch (e) {
        this.d.log.warn({ err: (e as Error).message, jobId }, "moveToFailed on cancel failed");
      }
    }
    return this.d.jobs.update(jobId, (j) => {
      j.status = "cancelled";
      j.lastError = reason;
      j.finishedAt = new Date(now).toISOString();
      if (att) j.gpuSeconds += (att.gpus * (now - att.startedAtMs)) / 1000;
    });
  }

  // ---------------------------------------------------------------- periodic checks, restart

  /** Heartbeat timeouts, disconnect grace, attempt deadlines, lock extension. */
  async tick(now = Date.now()): Promise<void> {
    const stall = this.d.stall;
    stall?.probe(now);
    // while Redis is down the controller cannot hear or record anything reliably: no verdicts
    if (stall?.stalled) return;
    const silentSince = (t: number) => stall?.silentSince(t) ?? t;
    for (const node of this.d.registry.list()) {
      // A silent agent is treated as a disconnected one: its connection is closed and it has the
      // disconnect grace to come back with its attempt (an agent whose event loop was held, by a
      // blocking disk write or a starved host, resumes, reconnects and is re-adopted; its spooled
      // results are then accepted). Its attempt fails only when the grace runs out (below).
      if (node.connected && now - silentSince(node.lastSeenAt) > this.d.cfg.heartbeatTimeoutMs) {
        this.d.log.warn({ nodeId: node.id }, "heartbeat timeout");
        this.hub?.disconnect(node.id, 4008, "heartbeat timeout");
        await this.d.registry.disconnected(node.id, now);
        const att = node.attemptId ? this.d.attempts.get(node.attemptId) : undefined;
        if (att && isLive(att)) {
          this.graceUntil.set(node.id, now + this.d.cfg.disconnectGraceMs);
          this.silentOut.add(node.id);
        }
      }
    }
    for (const att of this.d.attempts.live()) {
      const lost = att.gang.filter((m) => {
        const n = this.d.registry.get(m.agentId);
        if (!n || n.connected) return false;
        const until = Math.max(
          this.graceUntil.get(m.agentId) ?? 0,
          silentSince(n.disconnectedAt ?? now) + this.d.cfg.disconnectGraceMs,
        );
        return now > until;
      });
      if (lost.length) {
        await this.fail(
          att,
          {
            kind: "member-lost",
            reason: lost
              .map((m) =>
                this.silentOut.has(m.agentId)
                  ? `${m.agentId} stopped heartbeating and did not come back within the grace period`
                  : `${m.agentId} disconnected beyond the grace period`,
              )
              .join("; "),
            nodes: lost.map((m) => m.agentId),
          },
          now,
        );
        continue;
      }
      if (now > att.deadlineAtMs)
        await this.fail(
          att,
          { kind: "deadline", reason: "attempt ran past the sum of its phase timeouts", nodes: [] },
          now,
        );
    }
    for (const id of this.takenUp.keys()) {
      const att = this.d.attempts.get(id);
      if (!att || !isLive(att)) this.takenUp.delete(id);
    }
    if (now - this.lastLockExtend >= this.d.cfg.lockDurationMs / 4) {
      this.lastLockExtend = now;
      for (const att of this.d.attempts.live()) {
        const ok = await this.d.queues.extend(att.queue, att.jobId, att.lockToken).catch(() => false);
        if (!ok && isLive(att))
          await this.fail(att, { kind: "lock-lost", reason: "the BullMQ lock of the job was lost", nodes: [] }, now);
      }
    }
  }

  /**
   * After a restart: keep the locks of live attempts (restoring expired ones) before the stalled
   * checker runs, and give their agents `reconnectGraceMs` to come back and report them.
   */
  async recover(now = Date.now()): Promise<{ adopting: number; lost: number }> {
    let adopting = 0;
    let lost = 0;
    for (const att of this.d.attempts.live()) {
      const ok = await this.d.queues.extend(att.queue, att.jobId, att.lockToken).catch(() => false);
      if (!ok) {
        lost++;
        await this.fail(
          att,
          { kind: "lock-lost", reason: "job lock lost while the controller was down", nodes: [] },
          now,
        );
        continue;
      }
      adopting++;
      for (const m of att.gang) this.graceUntil.set(m.agentId, now + this.d.cfg.reconnectGraceMs);
    }
    for (const job of [...this.d.jobs.all()]) {
      const att =
        job.status === "running" && job.currentAttemptId ? this.d.attempts.get(job.currentAttemptId) : undefined;
      if (att && !isLive(att)) await this.settleJob(att, now);
    }
    this.lastLockExtend = now;
    return { adopting, lost };
  }

  /**
   * A job still `running` whose attempt has ended: the controller died between ending the attempt
   * and moving the job on. Finishes what the attempt's end started: the job succeeds, retries or
   * fails as the attempt did.
   */
  private async settleJob(att: AttemptRecord, now: number): Promise<void> {
    this.d.log.warn({ attemptId: att.attemptId, state: att.state }, "settling a job its ended attempt left running");
    if (att.state === "succeeded") {
      await this.d.jobs.update(att.jobId, (j) => {
        j.status = "succeeded";
        j.finishedAt = att.finishedAt;
      });
      await this.d.queues
        .complete(att.queue, att.jobId, att.lockToken, { attemptId: att.attemptId })
        .catch(() => this.d.queues.remove(att.queue, att.jobId))
        .catch(() => {});
      return;
    }
    if (att.state === "cancelled") {
      await this.d.jobs.update(att.jobId, { status: "cancelled", finishedAt: att.finishedAt, lastError: att.reason });
      return;
    }
    const reason = att.reason ?? "the attempt failed";
    let state = await this.d.queues.state(att.queue, att.jobId);
    if (state === "active")
      state = await this.d.queues
        .fail(att.queue, att.jobId, att.lockToken, reason, false)
        .catch(() => this.d.queues.state(att.queue, att.jobId));
    // still active: its lock is gone and the stalled checker hands it back to the queue
    const retrying = ["delayed", "waiting", "prioritized", "active"].includes(state);
    await this.d.jobs.update(att.jobId, (j) => {
      j.status = retrying ? "queued" : "failed";
      j.lastError = reason;
      if (!retrying) j.finishedAt = att.finishedAt ?? new Date(now).toISOString();
    });
  }
}
