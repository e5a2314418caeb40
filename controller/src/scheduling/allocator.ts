/**
 * The gang allocator: a pure decision function from (queued jobs, nodes, previous reservations, now) to
 * the jobs to start on which nodes, the nodes held for the large gang at the head of each runner label,
 * and a reason for every job left waiting. No I/O; the controller's allocation loop calls it each round.
 *
 * Rules (EASY backfilling per runner label, gangs all-or-nothing inside one topology domain):
 * - A job may start only on nodes that are `idle`, healthy, carry its runner label, are not in its
 *   `excludedNodes`, and all lie in one domain. A gang of N gets N nodes at once or nothing.
 *   An agent with `capacity` c > 1 (a Slurm partition agent) stands for c nodes: it takes a gang of
 *   N <= c alone (one Slurm allocation, nodeIds = [that agent]); gangs are never spread over several
 *   such agents, and an agent is in at most one start per round (its registry state is per agent).
 * - Jobs are considered in order of effective priority (priority minus one step per
 *   `agingMsPerPriorityStep` waited; lower first), then enqueue time, then jobId.
 * - The first job of a runner label that cannot start now, but could fit somewhere, reserves the domain
 *   where it will fit soonest (nodes free now count at `now`, busy ones at their `freeAt`). The held
 *   nodes are not given to later (lower-priority) jobs, except as backfill: a job may use a held idle
 *   node only if it finishes (now + estimatedSeconds) no later than the reservation's expected start.
 *   Nodes the reservation does not need stay free for anyone. One reservation per runner label;
 *   reservations never share a node and are made in priority order, so the highest one always gets all
 *   the nodes it needs as they free up: two competing gangs can never hold parts of each other's set.
 * - A previous round's reservation for the same job keeps its domain while that domain can still hold
 *   the gang, so held nodes are not released to others because an estimate moved a little.
 * - Among domains where a job can start, the best fit wins: the one with the fewest usable idle nodes
 *   left over, so large gangs are not fragmented.
 *
 * A node's registry state `reserved` means an attempt is being dispatched to it (treated like `busy`);
 * the holds made here live only in `AllocDecision.reservations` and do not change node state.
 * A busy node with no `freeAt` frees at an unknown time: a reservation that needs it has an unknown
 * start (`expectedStartAt` = null) and then no backfill onto its held nodes is allowed.
 */
import type { NodeState } from "@benchfleet/shared";

export interface AllocNode {
  id: string;
  labels: string[];
  domain: string;
  state: NodeState;
  healthy: boolean;
  /** when busy/reserved: expected epoch ms it frees up (from the running job's estimate) */
  freeAt?: number;
  /** slurm-partition agents stand for several nodes */
  capacity?: number;
}

export interface AllocJob {
  jobId: string;
  /** label the nodes must carry */
  runner: string;
  nodes: number;
  /** lower first */
  priority: number;
  enqueuedAt: number;
  estimatedSeconds: number;
  excludedNodes: string[];
}

export interface Reservation {
  jobId: string;
  nodeIds: string[];
  domain: string;
  /** runner label this reservation holds nodes for (set by allocate) */
  runner?: string;
  /** expected start of the gang (epoch ms); null when a needed node has no freeAt estimate (set by allocate) */
  expectedStartAt?: number | null;
}

export interface AllocInput {
  now: number;
  jobs: AllocJob[];
  nodes: AllocNode[];
  /** existing reservations held for large gangs (from the previous round) */
  reservations: Reservation[];
  agingMsPerPriorityStep: number;
}

export interface AllocStart {
  jobId: string;
  nodeIds: string[];
  domain: string;
}

export interface AllocDecision {
  start: AllocStart[];
  reservations: Reservation[];
  /** explanation per waiting job, for the UI */
  waiting: Array<{ jobId: string; reason: string }>;
}

/** Thrown for malformed allocator input (a bug in the caller, not a scheduling outcome). */
export class AllocInputError extends Error {
  override name = "AllocInputError";
}

/**
 * Priority after aging: one step better (lower) for each full `agingMsPerPriorityStep` the job has
 * waited. `Infinity` disables aging.
 */
export function effectivePriority(job: AllocJob, now: number, agingMsPerPriorityStep: number): number {
  const waited = Math.max(0, now - job.enqueuedAt);
  if (!Number.isFinite(agingMsPerPriorityStep)) return job.priority;
  return job.priority - Math.floor(waited / agingMsPerPriorityStep);
}

// ---------------------------------------------------------------------------------------------------
// internal records

interface Hold {
  jobId: string;
  runner: string;
  domain: string;
  nodeIds: string[];
  /** expected start; Infinity when unknown */
  startAt: number;
}

interface NodeRec {
  node: AllocNode;
  cap: number;
  /** idle + healthy and not yet given to a start this round */
  free: boolean;
  /** when it is expected free, for reservations: now if free; Infinity if unknown */
  availAt: number;
  heldBy: Hold | null;
  /** the label groups (one per label) this node belongs to */
  groups: Group[];
}

/** The schedulable nodes of one runner label in one domain. */
interface Group {
  label: string;
  domain: string;
  /** all nodes that can ever run work here (healthy, idle/busy/reserved), sorted by id */
  nodes: NodeRec[];
  /** capacity-1 nodes that are free and not held */
  freeUnheldSingles: number;
  /** capacity-1 nodes that are free and held by a reservation (candidates for backfill) */
  freeHeldSingles: Set<NodeRec>;
  /** capacity-1 nodes, any state (for "could it ever fit") */
  totalSingles: number;
  /** multi-capacity agents (Slurm partitions), any state */
  multis: NodeRec[];
}

const SCHEDULABLE: ReadonlySet<NodeState> = new Set<NodeState>(["idle", "busy", "reserved"]);

/** backfill rule: a job ending at endsAt may use a node held by h only if it is back before h starts */
function endsBefore(endsAt: number, h: Hold): boolean {
  return Number.isFinite(h.startAt) && endsAt <= h.startAt;
}

function isoOrUnknown(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : "an unknown time";
}

function validate(input: AllocInput): void {
  const { now, agingMsPerPriorityStep } = input;
  if (!Number.isFinite(now)) throw new AllocInputError(`allocate: now must be a finite epoch ms, got ${now}`);
  if (!(agingMsPerPriorityStep > 0)) {
    throw new AllocInputError(
      `allocate: agingMsPerPriorityStep must be > 0 (Infinity disables aging), got ${agingMsPerPriorityStep}`,
    );
  }
  const nodeIds = new Set<string>();
  for (const n of input.nodes) {
    if (nodeIds.has(n.id)) throw new AllocInputError(`allocate: node id "${n.id}" appears twice`);
    nodeIds.add(n.id);
    if (n.capacity !== undefined && !(Number.isInteger(n.capacity) && n.capacity >= 1)) {
      throw new AllocInputError(`allocate: node "${n.id}": capacity must be an integer >= 1, got ${n.capacity}`);
    }
    if (n.freeAt !== undefined && Number.isNaN(n.freeAt)) {
      throw new AllocInputError(`allocate: node "${n.id}": freeAt is NaN`);
    }
  }
  const jobIds = new Set<string>();
  for (const j of input.jobs) {
    if (jobIds.has(j.jobId)) throw new AllocInputError(`allocate: job "${j.jobId}" appears twice`);
    jobIds.add(j.jobId);
    if (!(Number.isInteger(j.nodes) && j.nodes >= 1)) {
      throw new AllocInputError(`allocate: job "${j.jobId}": nodes must be an integer >= 1, got ${j.nodes}`);
    }
    if (!(j.estimatedSeconds >= 0) || !Number.isFinite(j.estimatedSeconds)) {
      throw new AllocInputError(
        `allocate: job "${j.jobId}": estimatedSeconds must be a finite number >= 0, got ${j.estimatedSeconds}`,
      );
    }
    if (!Number.isFinite(j.priority)) {
      throw new AllocInputError(`allocate: job "${j.jobId}": priority must be finite, got ${j.priority}`);
    }
    if (!Number.isFinite(j.enqueuedAt)) {
      throw new AllocInputError(`allocate: job "${j.jobId}": enqueuedAt must be finite, got ${j.enqueuedAt}`);
    }
  }
}

/** What a job could get in one group right now. */
interface StartOption {
  group: Group;
  /** usable free capacity in the domain (strict: backfill rule applied) */
  usable: number;
  /** pick a multi-capacity agent instead of single nodes */
  multi: NodeRec | null;
}

/** Decide one allocation round. Pure and deterministic for a given input. */
export function allocate(input: AllocInput): AllocDecision {
  validate(input);
  const { now, agingMsPerPriorityStep } = input;

  // --- index the nodes ------------------------------------------------------------------------
  const recs = new Map<string, NodeRec>();
  const byLabel = new Map<string, Map<string, Group>>();
  const sortedNodes = [...input.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const node of sortedNodes) {
    if (!node.healthy || !SCHEDULABLE.has(node.state)) continue;
    // reserved = idle but held by an earlier round's reservation (input.reservations decides holds)
    const free = node.state === "idle" || node.state === "reserved";
    const rec: NodeRec = {
      node,
      cap: node.capacity ?? 1,
      free,
      availAt: free ? now : node.freeAt === undefined ? Number.POSITIVE_INFINITY : Math.max(now, node.freeAt),
      heldBy: null,
      groups: [],
    };
    recs.set(node.id, rec);
    for (const label of new Set(node.labels)) {
      let domains = byLabel.get(label);
      if (!domains) {
        domains = new Map();
        byLabel.set(label, domains);
      }
      let g = domains.get(node.domain);
      if (!g) {
        g = {
          label,
          domain: node.domain,
          nodes: [],
          freeUnheldSingles: 0,
          freeHeldSingles: new Set(),
          totalSingles: 0,
          multis: [],
        };
        domains.set(node.domain, g);
      }
      g.nodes.push(rec);
      rec.groups.push(g);
      if (rec.cap === 1) {
        g.totalSingles++;
        if (free) g.freeUnheldSingles++;
      } else {
        g.multis.push(rec);
      }
    }
  }
  // groups of each label in domain-name order (deterministic tie-breaks)
  const groupsOf = new Map<string, Group[]>();
  for (const [label, domains] of byLabel) {
    groupsOf.set(
      label,
      [...domains.values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0)),
    );
  }

  const previous = new Map<string, Reservation>();
  for (const r of input.reservations) previous.set(r.jobId, r);

  // --- order the jobs ---------------------------------------------------------------------------
  const ordered = input.jobs
    .map((job) => ({ job, eff: effectivePriority(job, now, agingMsPerPriorityStep) }))
    .sort(
      (a, b) =>
        a.eff - b.eff ||
        a.job.enqueuedAt - b.job.enqueuedAt ||
        (a.job.jobId < b.job.jobId ? -1 : a.job.jobId > b.job.jobId ? 1 : 0),
    );

  const holdsByLabel = new Map<string, Hold>();
  const holds: Hold[] = [];
  const start: AllocStart[] = [];
  const waiting: Array<{ jobId: string; reason: string }> = [];

  const take = (rec: NodeRec, until: number): void => {
    rec.free = false;
    rec.availAt = until;
    if (rec.cap !== 1) return;
    for (const g of rec.groups) {
      if (rec.heldBy) g.freeHeldSingles.delete(rec);
      else g.freeUnheldSingles--;
    }
  };
  const hold = (rec: NodeRec, h: Hold): void => {
    rec.heldBy = h;
    if (rec.cap !== 1 || !rec.free) return;
    for (const g of rec.groups) {
      g.freeUnheldSingles--;
      g.freeHeldSingles.add(rec);
    }
  };

  for (const { job } of ordered) {
    const groups = groupsOf.get(job.runner);
    if (!groups || groups.length === 0) {
      waiting.push({ jobId: job.jobId, reason: `no healthy node carries label "${job.runner}"` });
      continue;
    }
    const N = job.nodes;
    const endsAt = now + job.estimatedSeconds * 1000;
    const excluded = job.excludedNodes.length > 0 ? new Set(job.excludedNodes) : null;
    /** may this job use this free node now? (a held node only as backfill that ends before the hold starts) */
    const usableNow = (rec: NodeRec): boolean =>
      rec.free && !(excluded?.has(rec.node.id) ?? false) && (rec.heldBy === null || endsBefore(endsAt, rec.heldBy));

    // excluded single nodes per group of this label: all schedulable ones, and those the free counts include
    let excludedAll: Map<Group, number> | null = null;
    let excludedFree: Map<Group, number> | null = null;
    if (excluded) {
      excludedAll = new Map();
      excludedFree = new Map();
      for (const id of excluded) {
        const rec = recs.get(id);
        if (rec?.cap !== 1) continue;
        for (const g of rec.groups) {
          if (g.label !== job.runner) continue;
          excludedAll.set(g, (excludedAll.get(g) ?? 0) + 1);
          if (rec.free && rec.heldBy === null) excludedFree.set(g, (excludedFree.get(g) ?? 0) + 1);
        }
      }
    }

    // --- can it start now? best fit over domains --------------------------------------------
    let best: StartOption | null = null;
    let blockedByHold: Hold | null = null;
    for (const g of groups) {
      let backfillable = 0;
      let heldBlocking = 0;
      let blocker: Hold | null = null;
      for (const rec of g.freeHeldSingles) {
        if (excluded?.has(rec.node.id)) continue;
        if (endsBefore(endsAt, rec.heldBy!)) backfillable++;
        else {
          heldBlocking++;
          blocker = rec.heldBy;
        }
      }
      const singles = g.freeUnheldSingles - (excludedFree?.get(g) ?? 0) + backfillable;
      let multi: NodeRec | null = null;
      let multiFree = 0;
      let multiBlocker: Hold | null = null;
      for (const m of g.multis) {
        if (usableNow(m)) {
          multiFree += m.cap;
          if (m.cap >= N && (multi === null || m.cap < multi.cap)) multi = m;
        } else if (m.free && m.heldBy && m.cap >= N && !(excluded?.has(m.node.id) ?? false)) {
          multiBlocker = m.heldBy;
        }
      }
      const usable = singles + multiFree;
      if (singles >= N || multi) {
        if (best === null || usable < best.usable) best = { group: g, usable, multi: singles >= N ? null : multi };
      } else if (blockedByHold === null) {
        // would it have started without the reservation's hold? then say so
        if (singles + heldBlocking >= N && blocker) blockedByHold = blocker;
        else if (multiBlocker) blockedByHold = multiBlocker;
      }
    }

    if (best) {
      const g = best.group;
      let chosen: NodeRec[];
      if (best.multi) {
        chosen = [best.multi];
      } else {
        // unheld nodes first, then backfill onto held ones; ids in order
        const unheld: NodeRec[] = [];
        const held: NodeRec[] = [];
        for (const rec of g.nodes) {
          if (rec.cap !== 1 || !usableNow(rec)) continue;
          (rec.heldBy ? held : unheld).push(rec);
          if (unheld.length >= N) break;
        }
        chosen = unheld.concat(held).slice(0, N);
      }
      for (const rec of chosen) take(rec, endsAt);
      start.push({ jobId: job.jobId, nodeIds: chosen.map((r) => r.node.id), domain: g.domain });
      continue;
    }

    // --- it cannot start now ----------------------------------------------------------------
    // could it ever fit (ignoring what is busy or held now)?
    let largest = 0;
    let everFits = false;
    for (const g of groups) {
      const singles = g.totalSingles - (excludedAll?.get(g) ?? 0);
      // a gang takes single nodes or one partition agent, never both
      const partitions = g.multis.filter((m) => !(excluded?.has(m.node.id) ?? false)).map((m) => m.cap);
      largest = Math.max(largest, singles, ...partitions);
      if (singles >= N || partitions.some((cap) => cap >= N)) {
        everFits = true;
        break;
      }
    }
    if (!everFits) {
      waiting.push({
        jobId: job.jobId,
        reason:
          `needs ${N} node(s) of label "${job.runner}" in one domain; the largest domain has ${largest} ` +
          `schedulable node(s)${excluded ? " not excluded for this job" : ""}`,
      });
      continue;
    }

    const labelHold = holdsByLabel.get(job.runner);
    if (labelHold) {
      const reason = blockedByHold
        ? `backfill refused: would run until ${new Date(endsAt).toISOString()}, past the expected start ` +
          `(${isoOrUnknown(blockedByHold.startAt)}) of reserved job ${blockedByHold.jobId}`
        : `waiting behind job ${labelHold.jobId}, which holds the reservation for label "${job.runner}" ` +
          `(${labelHold.nodeIds.length} node(s) in ${labelHold.domain}, expected start ${isoOrUnknown(labelHold.startAt)})`;
      waiting.push({ jobId: job.jobId, reason });
      continue;
    }

    // reserve the domain where it fits soonest
    const prev = previous.get(job.jobId);
    const plan = planReservation(groups, N, excluded, prev);
    if (!plan) {
      waiting.push({
        jobId: job.jobId,
        reason: `needs ${N} node(s) of label "${job.runner}" in one domain; the rest are held by other reservations`,
      });
      continue;
    }
    const h: Hold = {
      jobId: job.jobId,
      runner: job.runner,
      domain: plan.group.domain,
      nodeIds: plan.nodes.map((r) => r.node.id),
      startAt: plan.startAt,
    };
    for (const rec of plan.nodes) hold(rec, h);
    holdsByLabel.set(job.runner, h);
    holds.push(h);
    waiting.push({
      jobId: job.jobId,
      reason:
        `reserved ${h.nodeIds.length} node(s) in ${h.domain} for label "${job.runner}"; ` +
        `expected start ${isoOrUnknown(h.startAt)}`,
    });
  }

  return {
    start,
    reservations: holds.map((h) => ({
      jobId: h.jobId,
      nodeIds: h.nodeIds,
      domain: h.domain,
      runner: h.runner,
      expectedStartAt: Number.isFinite(h.startAt) ? h.startAt : null,
    })),
    waiting,
  };
}

interface ReservationPlan {
  group: Group;
  nodes: NodeRec[];
  startAt: number;
  /** free-now nodes of the domain the plan leaves unused (best fit among equal start times) */
  leftover: number;
}

/** Earliest gang of N in one group: nodes not excluded and not held by another reservation. */
function planInGroup(
  g: Group,
  N: number,
  excluded: Set<string> | null,
  prefer: Set<string> | null,
): ReservationPlan | null {
  const singles: NodeRec[] = [];
  let bestMulti: NodeRec | null = null;
  let freeNow = 0;
  for (const rec of g.nodes) {
    if (rec.heldBy || excluded?.has(rec.node.id)) continue;
    if (rec.free) freeNow += rec.cap;
    if (rec.cap === 1) singles.push(rec);
    else if (
      rec.cap >= N &&
      (bestMulti === null ||
        rec.availAt < bestMulti.availAt ||
        (rec.availAt === bestMulti.availAt && rec.cap < bestMulti.cap))
    ) {
      bestMulti = rec;
    }
  }
  let single: ReservationPlan | null = null;
  if (singles.length >= N) {
    // earliest first; among equal times keep the previous reservation's nodes, then id order (stable sort)
    singles.sort((a, b) => a.availAt - b.availAt || (prefer ? +!prefer.has(a.node.id) - +!prefer.has(b.node.id) : 0));
    const nodes = singles.slice(0, N);
    const used = nodes.filter((r) => r.free).length;
    single = { group: g, nodes, startAt: nodes[N - 1].availAt, leftover: freeNow - used };
  }
  const multi: ReservationPlan | null = bestMulti
    ? {
        group: g,
        nodes: [bestMulti],
        startAt: bestMulti.availAt,
        leftover: freeNow - (bestMulti.free ? bestMulti.cap : 0),
      }
    : null;
  if (single && multi) return multi.startAt < single.startAt ? multi : single;
  return single ?? multi;
}

function planReservation(
  groups: Group[],
  N: number,
  excluded: Set<string> | null,
  prev: Reservation | undefined,
): ReservationPlan | null {
  const prefer = prev ? new Set(prev.nodeIds) : null;
  let best: ReservationPlan | null = null;
  let sticky: ReservationPlan | null = null;
  for (const g of groups) {
    const p = planInGroup(g, N, excluded, prev && prev.domain === g.domain ? prefer : null);
    if (!p) continue;
    if (prev && prev.domain === g.domain) sticky = p;
    if (best === null || p.startAt < best.startAt || (p.startAt === best.startAt && p.leftover < best.leftover)) {
      best = p;
    }
  }
  // keep the previous domain while it can still hold the gang at a known time
  if (sticky && (Number.isFinite(sticky.startAt) || !best || !Number.isFinite(best.startAt))) return sticky;
  return best;
}
