/**
 * Node records as the controller keeps them and its API returns them (the CLI reads them). Apart from
 * api-records.ts because they carry protocol types, which the browser bundle does not import.
 */
import type { AgentInfo, Health, NodeState, Telemetry } from "./protocol.js";

/** An attempt failure counted against a node (the quarantine policy's input). */
export interface NodeFailure {
  nodeId: string;
  jobId: string;
  /** the attempt that failed (absent in records written before it was kept) */
  attemptId?: string;
  /** epoch ms of the failure */
  at: number;
  reason: string;
}

export type AdminState = "active" | "drain" | "quarantine";

/** A node as the controller keeps it: every agent that ever said hello. */
export interface NodeRecord {
  id: string;
  info: AgentInfo;
  adminState: AdminState;
  adminReason?: string;
  /** attempt this node runs (set at dispatch, cleared when the agent reports it done or stops reporting it) */
  attemptId?: string;
  health: Health;
  registeredAt: string;
  lastSeenAt: number;
  connected: boolean;
  disconnectedAt?: number;
  /** held by the allocator for a waiting gang (display only: the node stays idle for backfill; memory only) */
  heldFor?: string;
  telemetry?: Telemetry;
}

/** A node as the API and event hub show it: the record with its derived state. */
export interface NodeView extends NodeRecord {
  state: NodeState;
  healthy: boolean;
}

/** `GET /api/v1/nodes/:id`: the node with its recent failures. */
export interface NodeDetail extends NodeView {
  failures: NodeFailure[];
}
