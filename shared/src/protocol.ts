/**
 * Agent protocol, version 1: JSON messages over the WebSocket `/api/v1/agents/ws`.
 * Both sides validate every message with these schemas. Every message about an attempt names
 * it (`attemptId` + `fencingToken`); the controller rejects those of superseded attempts.
 * Results and final states carry a `msgId`; the agent spools and resends them until acked.
 */
import { z } from "zod";
import { GangMember, Phase } from "./attempt-parts.js";
import { Deployment, LoadPoint } from "./deployment.js";
import { EnergySummary, EvalResult, PointResult } from "./results.js";
import { SkuName } from "./skus.js";

export const PROTOCOL_VERSION = 1;
/** the longest an agent waits between reconnect tries (its back-off cap); a controller's reconnect grace must exceed it */
export const AGENT_RECONNECT_MAX_MS = 30_000;
/** Largest message either side accepts (bytes). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export { GangMember, PHASES, Phase } from "./attempt-parts.js";

export const NODE_STATES = ["idle", "reserved", "busy", "draining", "drained", "quarantined", "offline"] as const;
export const NodeState = z.enum(NODE_STATES);
export type NodeState = z.infer<typeof NodeState>;

export const GpuInfo = z
  .object({
    index: z.number().int().nonnegative(),
    name: z.string(),
    uuid: z.string().optional(),
    memoryMiB: z.number().nonnegative(),
    busId: z.string().optional(),
    powerLimitW: z.number().nonnegative().optional(),
    maxSmClockMHz: z.number().nonnegative().optional(),
  })
  .strict();
export type GpuInfo = z.infer<typeof GpuInfo>;

export const Health = z
  .object({
    ok: z.boolean(),
    reasons: z.array(z.string()),
    checkedAt: z.string(),
    /** the checks that ran (preflight on a real node) */
    checked: z.array(z.string()).optional(),
    /** the checks that could not run, each with why (e.g. the kernel log in a sandbox) */
    notChecked: z.array(z.string()).optional(),
  })
  .strict();
export type Health = z.infer<typeof Health>;

export const GpuTelemetry = z
  .object({
    index: z.number().int().nonnegative(),
    powerW: z.number().nullable(),
    utilPct: z.number().nullable(),
    memUsedMiB: z.number().nullable(),
    tempC: z.number().nullable(),
    smClockMHz: z.number().nullable(),
  })
  .strict();

export const Telemetry = z
  .object({
    at: z.string(),
    /** false when no GPU tool is present (CI, laptops): then gpus is empty */
    gpuTelemetry: z.boolean(),
    gpus: z.array(GpuTelemetry),
    cpuPct: z.number().nullable(),
    memUsedMiB: z.number().nullable(),
    memTotalMiB: z.number().nullable(),
    /** the GPU figures come from the emulated GPU power model (an emulated agent), not from a GPU */
    emulated: z.boolean().optional(),
  })
  .strict();
export type Telemetry = z.infer<typeof Telemetry>;

export const LauncherKind = z.enum(["process", "docker", "slurm", "emulated"]);
export type LauncherKind = z.infer<typeof LauncherKind>;

export const RunningReport = z
  .object({
    attemptId: z.string(),
    jobId: z.string(),
    fencingToken: z.number().int().nonnegative(),
    phase: Phase,
  })
  .strict();
export type RunningReport = z.infer<typeof RunningReport>;

export const AgentInfo = z
  .object({
    agentId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    hostname: z.string(),
    ip: z.string(),
    sku: SkuName.or(z.literal("unknown")),
    gpus: z.array(GpuInfo),
    gpuCount: z.number().int().nonnegative(),
    driver: z.string().optional(),
    runtimes: z.array(z.string()),
    rdmaDevices: z.array(z.string()),
    labels: z.array(z.string()),
    /** topology domain: NVL72 rack, IB fabric, Slurm partition */
    domain: z.string(),
    launcher: LauncherKind,
    /** slurm launcher: the partition and its node count (the agent stands for that many nodes) */
    slurm: z.object({ partition: z.string(), nodes: z.number().int().positive() }).strict().optional(),
    emulated: z.boolean(),
    version: z.string(),
  })
  .strict();
export type AgentInfo = z.infer<typeof AgentInfo>;

// ---------- agent → controller ----------

export const HelloMsg = z
  .object({
    type: z.literal("hello"),
    protocol: z.number().int(),
    token: z.string(),
    /** the credential the controller issued at this agent id's enrolment (enrolled agents only) */
    credential: z.string().max(200).optional(),
    agent: AgentInfo,
    health: Health,
    /** the attempt this agent is running, re-reported after every reconnect */
    running: RunningReport.optional(),
  })
  .strict();

export const HeartbeatMsg = z
  .object({
    type: z.literal("heartbeat"),
    seq: z.number().int().nonnegative(),
    health: Health,
    telemetry: Telemetry.optional(),
    running: RunningReport.optional(),
    /** results spooled on the agent and not yet acknowledged */
    spoolDepth: z.number().int().nonnegative().optional(),
  })
  .strict();

const attemptRef = {
  attemptId: z.string(),
  fencingToken: z.number().int().nonnegative(),
};

export const PhaseMsg = z
  .object({
    type: z.literal("phase"),
    ...attemptRef,
    phase: Phase,
    status: z.enum(["started", "finished", "failed"]),
    at: z.string(),
    durationMs: z.number().nonnegative().optional(),
    reason: z.string().optional(),
    retryable: z.boolean().optional(),
  })
  .strict();

/**
 * The leader's progress inside a load point, every few seconds while it runs: best effort, kept on
 * the attempt and fanned out as an event, never stored as a result.
 */
export const ProgressMsg = z
  .object({
    type: z.literal("progress"),
    ...attemptRef,
    /** index of the point among the assignment's points (0-based) */
    pointIndex: z.number().int().nonnegative(),
    points: z.number().int().positive(),
    concurrency: z.number().int().positive(),
    isl: z.number().int().nonnegative(),
    osl: z.number().int().nonnegative(),
    stage: z.enum(["warmup", "run"]),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    outputTokensPerS: z.number().nonnegative(),
    elapsedS: z.number().nonnegative(),
    at: z.string(),
  })
  .strict();

export const LogMsg = z
  .object({
    type: z.literal("log"),
    ...attemptRef,
    /** process name within the attempt, e.g. `rank0-prefill-0`, `router`, `agent` */
    process: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    stream: z.enum(["stdout", "stderr", "agent"]),
    lines: z.array(z.string().max(64 * 1024)).max(10_000),
    /** when the agent read each line (ISO), one per line; the controller's arrival time where absent */
    times: z.array(z.string().datetime()).max(10_000).optional(),
  })
  .strict();

/** a member's processes are healthy: the controller relays the barrier to the leader */
export const MemberReadyMsg = z
  .object({
    type: z.literal("member-ready"),
    ...attemptRef,
    /** endpoints this member serves (role → URL), for the leader's router */
    endpoints: z.record(z.string(), z.string()),
  })
  .strict();

export const PointResultMsg = z
  .object({
    type: z.literal("point-result"),
    msgId: z.string(),
    ...attemptRef,
    result: PointResult,
  })
  .strict();

export const EvalResultMsg = z
  .object({
    type: z.literal("eval-result"),
    msgId: z.string(),
    ...attemptRef,
    result: EvalResult,
  })
  .strict();

/** a load point's key in the results (`c64-i1024-o1024`) */
const PointKey = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

/** a gang member's GPU energy over a load point's window (answer to an energy-request) */
export const EnergyReportMsg = z
  .object({
    type: z.literal("energy-report"),
    msgId: z.string(),
    ...attemptRef,
    pointKey: PointKey,
    energy: EnergySummary,
  })
  .strict();

/**
 * Why an agent refused an assignment: it still runs (or tears down) `attemptId`, it is stopping, or
 * it is draining. None of them is a fault of the node's: the controller sent work to a node it
 * should have seen as busy or leaving.
 */
export const AssignmentRefusal = z
  .object({
    cause: z.enum(["busy", "stopping", "draining"]),
    /** the attempt the agent is busy with (cause busy) */
    attemptId: z.string().optional(),
  })
  .strict();
export type AssignmentRefusal = z.infer<typeof AssignmentRefusal>;

export const AttemptFinishedMsg = z
  .object({
    type: z.literal("attempt-finished"),
    msgId: z.string(),
    ...attemptRef,
    status: z.enum(["succeeded", "failed", "cancelled"]),
    reason: z.string().optional(),
    retryable: z.boolean().optional(),
    /** failed phase, when status is failed */
    phase: Phase.optional(),
    phaseDurationsMs: z.record(z.string(), z.number().nonnegative()),
    /** the engine's own version string where the agent could read it */
    engineVersion: z.string().optional(),
    /** the agent refused the assignment without starting it (status failed) */
    refused: AssignmentRefusal.optional(),
  })
  .strict();

export const AgentMessage = z.discriminatedUnion("type", [
  HelloMsg,
  HeartbeatMsg,
  PhaseMsg,
  ProgressMsg,
  LogMsg,
  MemberReadyMsg,
  PointResultMsg,
  EvalResultMsg,
  EnergyReportMsg,
  AttemptFinishedMsg,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;
export type HelloMsg = z.infer<typeof HelloMsg>;
export type HeartbeatMsg = z.infer<typeof HeartbeatMsg>;
export type PhaseMsg = z.infer<typeof PhaseMsg>;
export type ProgressMsg = z.infer<typeof ProgressMsg>;
export type LogMsg = z.infer<typeof LogMsg>;
export type MemberReadyMsg = z.infer<typeof MemberReadyMsg>;
export type PointResultMsg = z.infer<typeof PointResultMsg>;
export type EvalResultMsg = z.infer<typeof EvalResultMsg>;
export type EnergyReportMsg = z.infer<typeof EnergyReportMsg>;
export type AttemptFinishedMsg = z.infer<typeof AttemptFinishedMsg>;

// ---------- controller → agent ----------

export const Assignment = z
  .object({
    ...attemptRef,
    /** attempt number of this job, 1-based */
    attemptNumber: z.number().int().positive(),
    jobId: z.string(),
    sweepId: z.string(),
    deployment: Deployment,
    /** the load points this attempt must still measure (points already stored are skipped) */
    points: z.array(LoadPoint),
    runEval: z.boolean(),
    gang: z.array(GangMember).min(1),
    /** this agent's rank in the gang */
    rank: z.number().int().nonnegative(),
    /** base of the attempt's deterministic port block on every node */
    portBase: z.number().int().min(1024).max(65000),
    emulated: z.boolean(),
  })
  .strict();
export type Assignment = z.infer<typeof Assignment>;

export const WelcomeMsg = z
  .object({
    type: z.literal("welcome"),
    protocol: z.number().int(),
    agentId: z.string(),
    heartbeatIntervalMs: z.number().int().positive(),
    serverTime: z.string(),
    /** what the controller wants done with the attempt the agent reported running */
    running: z.enum(["adopt", "abort", "none"]),
    /** issued at enrolment: keep it (with the data dir) and send it in every later hello */
    credential: z.string().optional(),
  })
  .strict();

export const AssignMsg = z.object({ type: z.literal("assign"), assignment: Assignment }).strict();
export const CancelMsg = z.object({ type: z.literal("cancel"), ...attemptRef, reason: z.string() }).strict();
/** every member of the gang reported ready: the leader may start router, canary and load */
export const GangReadyMsg = z
  .object({
    type: z.literal("gang-ready"),
    ...attemptRef,
    /** rank → endpoints of every member */
    members: z.array(z.object({ rank: z.number().int(), endpoints: z.record(z.string(), z.string()) }).strict()),
  })
  .strict();
/**
 * The leader measured a load point over [startMs, endMs]: a non-leader member reports the energy of
 * its GPUs of the deployment over that window (the leader samples only its own).
 */
export const EnergyRequestMsg = z
  .object({
    type: z.literal("energy-request"),
    ...attemptRef,
    pointKey: PointKey,
    startMs: z.number(),
    endMs: z.number(),
    outputTokens: z.number().int().nonnegative(),
    totalTokens: z.number().int().nonnegative(),
  })
  .strict();

/** the leader finished: non-leaders tear down */
export const ReleaseMsg = z.object({ type: z.literal("release"), ...attemptRef }).strict();
export const AckMsg = z
  .object({ type: z.literal("ack"), msgId: z.string(), ok: z.boolean(), reason: z.string().optional() })
  .strict();
export const DrainMsg = z.object({ type: z.literal("drain"), drain: z.boolean() }).strict();
export const ErrorMsg = z
  .object({ type: z.literal("error"), code: z.string(), message: z.string(), details: z.unknown().optional() })
  .strict();

export const ControllerMessage = z.discriminatedUnion("type", [
  WelcomeMsg,
  AssignMsg,
  CancelMsg,
  GangReadyMsg,
  ReleaseMsg,
  EnergyRequestMsg,
  AckMsg,
  DrainMsg,
  ErrorMsg,
]);
export type ControllerMessage = z.infer<typeof ControllerMessage>;
export type WelcomeMsg = z.infer<typeof WelcomeMsg>;
export type AssignMsg = z.infer<typeof AssignMsg>;
export type CancelMsg = z.infer<typeof CancelMsg>;
export type GangReadyMsg = z.infer<typeof GangReadyMsg>;
export type ReleaseMsg = z.infer<typeof ReleaseMsg>;
export type EnergyRequestMsg = z.infer<typeof EnergyRequestMsg>;
export type AckMsg = z.infer<typeof AckMsg>;
export type ErrorMsg = z.infer<typeof ErrorMsg>;

/** Parses one raw WebSocket frame; returns a readable error instead of throwing. */
export function decodeMessage<T extends z.ZodType>(
  schema: T,
  raw: string | Buffer,
): { ok: true; msg: z.infer<T> } | { ok: false; error: string } {
  const size = typeof raw === "string" ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_MESSAGE_BYTES) return { ok: false, error: `message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}` };
  let data: unknown;
  try {
    data = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"));
  } catch {
    return { ok: false, error: "message is not valid JSON" };
  }
  const res = schema.safeParse(data);
  if (!res.success) {
    const first = res.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return { ok: false, error: `invalid message: ${first}` };
  }
  return { ok: true, msg: res.data };
}
