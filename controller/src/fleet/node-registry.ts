/**
 * Node registry: every agent that ever said hello, its info (SKU, GPUs, labels, topology domain,
 * launcher), operator state (drain / quarantine), the attempt it runs, connectivity and health.
 * The displayed state (idle, reserved, busy, draining, drained, quarantined, offline) is derived.
 * Records live in Redis (write-through on every state change; telemetry and its recent history stay
 * in memory).
 */
import type {
  AdminState,
  AgentInfo,
  Health,
  NodeFailure,
  NodeRecord,
  NodeState,
  NodeView,
  Telemetry,
} from "@benchfleet/shared";
import type { Bus } from "../infra/bus.js";
import type { RedisState } from "../infra/redis-state.js";
import { TelemetryHistory } from "./telemetry-history.js";

export type { AdminState, NodeFailure, NodeRecord };

export function nodeState(n: NodeRecord): NodeState {
  if (!n.connected) return "offline";
  if (n.adminState === "quarantine") return "quarantined";
  if (n.adminState === "drain") return n.attemptId ? "draining" : "drained";
  if (n.attemptId) return "busy";
  // idle, but held by the allocator for a waiting gang (see Dispatcher / allocator reservations)
  if (n.heldFor) return "reserved";
  return "idle";
}

/** What the API and event hub show. */
export function nodeView(n: NodeRecord): NodeView {
  const { telemetry, ...rest } = n;
  return { ...rest, state: nodeState(n), healthy: n.health.ok, telemetry };
}

/** Labels a node matches: its own plus its SKU. */
export function nodeLabels(info: AgentInfo): string[] {
  const s = new Set(info.labels);
  if (info.sku !== "unknown") s.add(info.sku);
  return [...s];
}

export class NodeRegistry {
  private readonly nodes = new Map<string, NodeRecord>();
  private failures: NodeFailure[] = [];
  /** the last minutes of every node's summarised telemetry, for a dashboard opened now */
  readonly telemetryHistory = new TelemetryHistory();

  constructor(
    private readonly state: RedisState,
    private readonly bus: Bus,
  ) {}

  async load(now = Date.now()): Promise<void> {
    const all = await this.state.allJson<NodeRecord>("nodes");
    for (const [id, rec] of all) {
      this.nodes.set(id, { ...rec, connected: false, disconnectedAt: now, heldFor: undefined, telemetry: undefined });
    }
    const raw = await this.state.redis.lrange(this.state.key("failures"), 0, -1);
    this.failures = raw.map((r) => JSON.parse(r) as NodeFailure);
  }

  get(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  list(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  private async save(n: NodeRecord): Promise<void> {
    const { telemetry: _t, heldFor: _h, ...persist } = n;
    await this.state.putJson("nodes", n.id, persist);
    this.bus.publish({ kind: "node", nodeId: n.id, data: nodeView(n) });
  }

  /**
   * An agent (re)connected. `running`: the attempt it reports running; the node counts as busy with
   * it from this moment (until the attempt supervisor has decided about it), so no allocation round
   * in between can hand a node still running something a new assignment.
   */
  async hello(info: AgentInfo, health: Health, now = Date.now(), running?: string): Promise<NodeRecord> {
    const prev = this.nodes.get(info.agentId);
    const rec: NodeRecord = {
      id: info.agentId,
      info,
      adminState: prev?.adminState ?? "active",
      adminReason: prev?.adminReason,
      attemptId: running ?? prev?.attemptId,
      health,
      registeredAt: prev?.registeredAt ?? new Date(now).toISOString(),
      lastSeenAt: now,
      connected: true,
      disconnectedAt: undefined,
    };
    this.nodes.set(rec.id, rec);
    await this.save(rec);
    return rec;
  }

  /** The agent was heard from (any frame, as it arrives, before it is processed): liveness only, in memory. */
  touch(id: string, now = Date.now()): void {
    const n = this.nodes.get(id);
    if (n?.connected) n.lastSeenAt = Math.max(n.lastSeenAt, now);
  }

  /** Heartbeat: refreshes liveness, health and telemetry; persists only when health changed. */
  async heartbeat(id: string, health: Health, telemetry: Telemetry | undefined, now = Date.now()): Promise<void> {
    const n = this.nodes.get(id);
    if (!n) return;
    n.lastSeenAt = now;
    const healthChanged = n.health.ok !== health.ok || n.health.reasons.join() !== health.reasons.join();
    n.health = health;
    if (telemetry) {
      n.telemetry = telemetry;
      this.telemetryHistory.add(id, telemetry);
      this.bus.publish({ kind: "telemetry", nodeId: id, data: telemetry });
    }
    if (healthChanged) await this.save(n);
  }

  async disconnected(id: string, now = Date.now()): Promise<void> {
    const n = this.nodes.get(id);
    if (!n || !n.connected) return;
    n.connected = false;
    n.disconnectedAt = now;
    await this.save(n);
  }

  async setAttempt(id: string, attemptId: string | undefined): Promise<void> {
    const n = this.nodes.get(id);
    if (!n || n.attemptId === attemptId) return;
    n.attemptId = attemptId;
    await this.save(n);
  }

  async setAdmin(id: string, admin: AdminState, reason?: string): Promise<NodeRecord> {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    n.adminState = admin;
    n.adminReason = reason;
    await this.save(n);
    return n;
  }

  /** Marks the nodes the allocator holds for waiting gangs: their state shows as `reserved`. */
  setHolds(byNode: Map<string, string>): void {
    for (const n of this.nodes.values()) {
      const r = byNode.get(n.id);
      if (r !== n.heldFor) {
        n.heldFor = r;
        this.bus.publish({ kind: "node", nodeId: n.id, data: nodeView(n) });
      }
    }
  }

  async recordFailure(f: NodeFailure, keep = 1000): Promise<void> {
    this.failures.push(f);
    if (this.failures.length > keep) this.failures = this.failures.slice(-keep);
    const key = this.state.key("failures");
    await this.state.redis.rpush(key, JSON.stringify(f));
    await this.state.redis.ltrim(key, -keep, -1);
  }

  failureHistory(): NodeFailure[] {
    return this.failures;
  }

  /** Takes back the failures recorded for one attempt (it succeeded after all). */
  async forgetFailures(attemptId: string): Promise<void> {
    if (!this.failures.some((f) => f.attemptId === attemptId)) return;
    this.failures = this.failures.filter((f) => f.attemptId !== attemptId);
    await this.rewriteFailures();
  }

  private async rewriteFailures(): Promise<void> {
    const key = this.state.key("failures");
    const multi = this.state.redis.multi().del(key);
    for (const f of this.failures) multi.rpush(key, JSON.stringify(f));
    await multi.exec();
  }

  /** Operator release clears the node's failure history, so it is not re-quarantined at once. */
  async clearFailures(nodeId: string): Promise<void> {
    this.failures = this.failures.filter((f) => f.nodeId !== nodeId);
    await this.rewriteFailures();
  }
}
