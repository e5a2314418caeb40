/**
 * Node records as the controller keeps them and its API returns them (the CLI reads them): zod
 * schemas and their types. Apart from api-records.ts because they carry protocol types, which the
 * browser bundle does not import.
 */
import { z } from "zod";
import { AgentInfo, Health, NodeState, Telemetry } from "./protocol.js";

/** An attempt failure counted against a node (the quarantine policy's input). */
export const NodeFailure = z
  .object({
    nodeId: z.string(),
    jobId: z.string(),
    /** the attempt that failed (absent in records written before it was kept) */
    attemptId: z.string().optional(),
    /** epoch ms of the failure */
    at: z.number(),
    reason: z.string(),
  })
  .strict();
export type NodeFailure = z.infer<typeof NodeFailure>;

export const AdminState = z.enum(["active", "drain", "quarantine"]);
export type AdminState = z.infer<typeof AdminState>;

/** A node as the controller keeps it: every agent that ever said hello. */
export const NodeRecord = z
  .object({
    id: z.string(),
    info: AgentInfo,
    adminState: AdminState,
    adminReason: z.string().optional(),
    /** attempt this node runs (set at dispatch, cleared when the agent reports it done or stops reporting it) */
    attemptId: z.string().optional(),
    health: Health,
    registeredAt: z.string(),
    lastSeenAt: z.number(),
    connected: z.boolean(),
    disconnectedAt: z.number().optional(),
    /** held by the allocator for a waiting gang (display only: the node stays idle for backfill; memory only) */
    heldFor: z.string().optional(),
    telemetry: Telemetry.optional(),
  })
  .strict();
export type NodeRecord = z.infer<typeof NodeRecord>;

/** A node as the API and event hub show it: the record with its derived state. */
export const NodeView = NodeRecord.extend({ state: NodeState, healthy: z.boolean() }).strict();
export type NodeView = z.infer<typeof NodeView>;

/** `GET /api/v1/nodes/:id`: the node with its recent failures. */
export const NodeDetail = NodeView.extend({ failures: z.array(NodeFailure) }).strict();
export type NodeDetail = z.infer<typeof NodeDetail>;
