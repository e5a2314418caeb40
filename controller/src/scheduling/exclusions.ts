/**
 * Job exclusions (pure): after an attempt fails, the job avoids the nodes the failure is attributed
 * to. An exclusion is a preference, never a ban that can strand a job:
 * - while the job has enough other schedulable nodes of its label in one domain, it waits for them
 *   and the excluded nodes are skipped;
 * - when it has not (every node that could run it is excluded), the exclusions whose back-off has
 *   passed (`retryOnAt`) are lifted for the allocation and the job goes back to such a node; until
 *   then it waits with a reason that names the time. A start on a node drops that node's exclusion.
 * `JobRecord.exclusions` holds the records (with reason and attempt); `excludedNodes` mirrors their ids.
 * Records written before exclusions had reasons are read as due at once.
 */
import type { JobExclusion, JobRecord } from "@benchfleet/shared";

/** What the dispatcher knows of a node when deciding exclusions. */
export interface ExclusionNode {
  id: string;
  labels: string[];
  domain: string;
  /** connected, healthy and not drained or quarantined (busy counts: it frees up) */
  schedulable: boolean;
  /** nodes it stands for (a Slurm partition agent: several) */
  capacity: number;
}

/** The job's exclusion records (old records: one per id in `excludedNodes`, due at once). */
export function exclusionsOf(j: JobRecord): JobExclusion[] {
  if (j.exclusions) return j.exclusions;
  return j.excludedNodes.map((nodeId) => ({
    nodeId,
    reason: "failed an attempt of this job",
    attemptId: "",
    at: 0,
    retryOnAt: 0,
  }));
}

function store(j: JobRecord, list: JobExclusion[]): void {
  j.exclusions = list;
  j.excludedNodes = list.map((e) => e.nodeId);
}

/** Excludes `nodes` for the job after a failed attempt (a node already excluded gets the new record). */
export function addExclusions(
  j: JobRecord,
  nodes: string[],
  o: { reason: string; attemptId: string; at: number; backoffMs: number },
): void {
  if (nodes.length === 0) return;
  const kept = exclusionsOf(j).filter((e) => !nodes.includes(e.nodeId));
  const added = nodes.map((nodeId) => ({
    nodeId,
    reason: o.reason,
    attemptId: o.attemptId,
    at: o.at,
    retryOnAt: o.at + o.backoffMs,
  }));
  store(j, [...kept, ...added]);
}

/** Drops the exclusions one attempt made (it succeeded after all). */
export function dropExclusionsOf(j: JobRecord, attemptId: string): void {
  store(
    j,
    exclusionsOf(j).filter((e) => e.attemptId !== attemptId),
  );
}

/** Drops the exclusion of each node (the job starts there, or an operator lifted it); returns those dropped. */
export function liftExclusions(j: JobRecord, nodeIds: string[]): JobExclusion[] {
  const all = exclusionsOf(j);
  const lifted = all.filter((e) => nodeIds.includes(e.nodeId));
  if (lifted.length)
    store(
      j,
      all.filter((e) => !nodeIds.includes(e.nodeId)),
    );
  return lifted;
}

export interface ExclusionVerdict {
  /** node ids the allocator must skip for this job now */
  excluded: string[];
  /** when every node that could run the job is excluded: why it waits (none while some exclusion is due) */
  waiting?: string;
}

/**
 * The exclusions that apply to a job now. `nodes` is the whole fleet; the job needs `j.nodes` nodes
 * carrying `j.runner` in one domain (or one partition agent of that capacity).
 */
export function effectiveExclusions(j: JobRecord, nodes: ExclusionNode[], now: number): ExclusionVerdict {
  const all = exclusionsOf(j);
  if (all.length === 0) return { excluded: [] };
  const ids = new Set(all.map((e) => e.nodeId));
  const fits = (skip: Set<string>) => {
    const perDomain = new Map<string, number>();
    for (const n of nodes) {
      if (!n.schedulable || skip.has(n.id) || !n.labels.includes(j.runner)) continue;
      if (n.capacity > 1) {
        if (n.capacity >= j.nodes) return true;
        continue;
      }
      const c = (perDomain.get(n.domain) ?? 0) + 1;
      if (c >= j.nodes) return true;
      perDomain.set(n.domain, c);
    }
    return false;
  };
  if (fits(ids)) return { excluded: [...ids] };
  const due = all.filter((e) => e.retryOnAt <= now);
  const held = all.filter((e) => e.retryOnAt > now);
  if (due.length > 0) return { excluded: held.map((e) => e.nodeId) };
  const next = Math.min(...held.map((e) => e.retryOnAt));
  return {
    excluded: [...ids],
    waiting:
      `every node that could run it is excluded after failing an attempt of this job ` +
      `(${all.map((e) => e.nodeId).join(", ")}); it retries on one of them from ${new Date(next).toISOString()}`,
  };
}
