/**
 * Automatic quarantine decision (pure): a node whose attempts failed for K DIFFERENT jobs within a
 * sliding window is quarantined. Several failures of one job count once, so a single bad
 * configuration that crashes on every node cannot quarantine the fleet by itself retrying;
 * failures of many jobs on one node point at the node.
 */

import type { NodeFailure } from "@benchfleet/shared";

export type { NodeFailure };

export interface QuarantinePolicy {
  /** number of different jobs that must have failed on the node (>= 1) */
  k: number;
  /** sliding window in ms (> 0): failures older than now - windowMs are forgotten */
  windowMs: number;
}

export interface QuarantineVerdict {
  quarantine: boolean;
  /** the different jobs that failed on the node within the window, most recent failure first */
  jobs: Array<{ jobId: string; at: number; reason: string }>;
  /** one line for the node's record and the UI */
  reason: string;
}

function checkPolicy(policy: QuarantinePolicy): void {
  if (!(Number.isInteger(policy.k) && policy.k >= 1)) {
    throw new RangeError(`quarantine policy: k must be an integer >= 1, got ${policy.k}`);
  }
  if (!(policy.windowMs > 0)) {
    throw new RangeError(`quarantine policy: windowMs must be > 0, got ${policy.windowMs}`);
  }
}

/** Failures of K different jobs on this node within the window (now - windowMs, now]? With the evidence. */
export function quarantineVerdict(
  history: readonly NodeFailure[],
  nodeId: string,
  now: number,
  policy: QuarantinePolicy,
): QuarantineVerdict {
  checkPolicy(policy);
  const since = now - policy.windowMs;
  const latest = new Map<string, NodeFailure>();
  for (const f of history) {
    if (f.nodeId !== nodeId || f.at <= since || f.at > now) continue;
    const seen = latest.get(f.jobId);
    if (!seen || f.at > seen.at) latest.set(f.jobId, f);
  }
  const jobs = [...latest.values()]
    .sort((a, b) => b.at - a.at || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0))
    .map((f) => ({ jobId: f.jobId, at: f.at, reason: f.reason }));
  const quarantine = jobs.length >= policy.k;
  const minutes = Math.round(policy.windowMs / 60_000);
  const window = minutes >= 1 ? `${minutes} min` : `${policy.windowMs} ms`;
  const reason = quarantine
    ? `attempts of ${jobs.length} different jobs failed on ${nodeId} within ${window} (threshold ${policy.k}): ` +
      jobs
        .slice(0, policy.k)
        .map((j) => `${j.jobId} (${j.reason})`)
        .join("; ")
    : `${jobs.length} of ${policy.k} different-job failures on ${nodeId} within ${window}`;
  return { quarantine, jobs, reason };
}

/** true when attempts of at least K different jobs failed on the node within the window. */
export function shouldQuarantine(
  history: readonly NodeFailure[],
  nodeId: string,
  now: number,
  policy: QuarantinePolicy,
): boolean {
  return quarantineVerdict(history, nodeId, now, policy).quarantine;
}
