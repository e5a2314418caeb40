/**
 * Failure policy (pure): what to do when an attempt fails.
 * - Any gang member lost (heartbeat timeout, disconnect beyond the grace period, agent restarted
 *   without its attempt) or a reported crash → the whole gang is cancelled and the job retried
 *   elsewhere with the failing node(s) excluded for this job; those nodes are blamed (quarantine count).
 * - A Slurm partition agent (one agent standing for a whole partition) is never excluded for the job:
 *   the job's retry goes back to the same partition, whose agent excludes the bad Slurm node itself
 *   (and where it is often the only agent of its SKU: an exclusion would leave the job waiting
 *   forever). It is blamed (quarantine count) only when the agent itself failed (lost, assignment
 *   undeliverable), not for a failure of the work it ran.
 * - Non-retryable errors (bad config, OOM at this parallelism, accuracy below threshold) fail the
 *   job at once (BullMQ UnrecoverableError), without blaming the node.
 */
export type FailureKind =
  /** a member stopped heartbeating, disconnected beyond grace, or came back without the attempt */
  | "member-lost"
  /** an agent reported the attempt (or one of its phases) failed */
  | "reported"
  /** the attempt ran past the sum of its phase timeouts plus slack */
  | "deadline"
  /** the assignment could not be delivered to a member */
  | "assign-failed"
  /** the BullMQ lock was lost (job moved by the stalled checker) */
  | "lock-lost";

export interface FailureInput {
  kind: FailureKind;
  reason: string;
  /** the agent's verdict, when it reported one */
  retryable?: boolean;
  /** nodes the failure is attributed to (lost members, the reporting node) */
  nodes: string[];
  /** those of `nodes` that are Slurm partition agents (launcher "slurm": one agent for a whole partition) */
  partitionAgents?: string[];
}

export interface FailureDecision {
  /** fail the job now, no more tries */
  unrecoverable: boolean;
  /** add to the job's excluded nodes */
  exclude: string[];
  /** record against these nodes (quarantine policy) */
  blame: string[];
  /** the reason stored on the attempt and job */
  reason: string;
}

/** Reasons that mean "this configuration cannot work here", whatever node runs it. */
const NON_RETRYABLE = [
  /out of memory|\bOOM\b|CUDA error: out of memory|HIP out of memory/i,
  /accuracy below threshold/i,
  /invalid (config|configuration|recipe)|bad config|unsupported (parallelism|configuration)/i,
];

export function isNonRetryableReason(reason: string): boolean {
  return NON_RETRYABLE.some((re) => re.test(reason));
}

/** Failures of the agent itself, not of the work it ran: they count against a partition agent too. */
const AGENT_FAULTS: ReadonlySet<FailureKind> = new Set<FailureKind>(["member-lost", "assign-failed"]);

export function decideFailure(f: FailureInput): FailureDecision {
  const label = f.kind === "reported" ? f.reason : `${f.kind}: ${f.reason}`;
  if (f.kind === "reported") {
    const unrecoverable = f.retryable === false || (f.retryable === undefined && isNonRetryableReason(f.reason));
    if (unrecoverable) return { unrecoverable: true, exclude: [], blame: [], reason: label };
  }
  if (f.kind === "lock-lost") return { unrecoverable: false, exclude: [], blame: [], reason: label };
  // the nodes involved are suspect; a partition agent is blamed only when the agent itself failed,
  // and never excluded (its retry belongs on the same partition)
  const partition = new Set(f.partitionAgents ?? []);
  const nodes = f.nodes.filter((n) => !partition.has(n));
  const blame = AGENT_FAULTS.has(f.kind) ? [...f.nodes] : nodes;
  return { unrecoverable: false, exclude: nodes, blame, reason: label };
}
