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

export interface Hold {
  jobId: string;
  runner: string;
  domain: string;
  nodeIds: string[];
  /** expected start; Infinity when unknown */
  startAt: number;
}

export interface NodeRec {
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
export interface Group {
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
export interface StartOption {
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
  const { recs, groupsOf } = indexNodes(input.nodes, now);
  const previous = new Map(input.reservations.map((r) => [r.jobId, r]));
  const holdsByLabel = new Map<string, Hold>();
  const holds: Hold[] = [];
  const start: AllocStart[] = [];
  const waiting: Array<{ jobId: string; reason: string }> = [];

  for (const job of orderJobs(input.jobs, now, agingMsPerPriorityStep)) {
    const groups = groupsOf.get(job.runner);
    if (!groups || groups.length === 0) {
      waiting.push({ jobId: job.jobId, reason: `no healthy node carries label "${job.runner}"` });
      continue;
    }
    const N = job.nodes;
    const need: Need = {
      N,
      endsAt: now + job.estimatedSeconds * 1000,
      excluded: job.excludedNodes.length > 0 ? new Set(job.excludedNodes) : null,
    };
    const excludedCounts = countExcludedSingles(job.runner, need.excluded, recs);

    const { best, blockedByHold } = bestFitStart(groups, need, excludedCounts.free);
    if (best) {
      const chosen = chooseNodes(best, need);
      for (const rec of chosen) takeNode(rec, need.endsAt);
      start.push({ jobId: job.jobId, nodeIds: chosen.map((r) => r.node.id), domain: best.group.domain });
      continue;
    }

    // it cannot start now: could it ever fit (ignoring what is busy or held now)?
    const fit = everFits(groups, need, excludedCounts.all);
    if (!fit.fits) {
      waiting.push({
        jobId: job.jobId,
        reason:
          `needs ${N} node(s) of label "${job.runner}" in one domain; the largest domain has ${fit.largest} ` +
          `schedulable node(s)${need.excluded ? " not excluded for this job" : ""}`,
      });
      continue;
    }
    const labelHold = holdsByLabel.get(job.runner);
    if (labelHold) {
      waiting.push({ jobId: job.jobId, reason: behindHoldReason(job.runner, need.endsAt, labelHold, blockedByHold) });
      continue;
    }
    const h = reserveSoonest(job, groups, need, previous.get(job.jobId));
    if (!h) {
      waiting.push({
        jobId: job.jobId,
        reason: `needs ${N} node(s) of label "${job.runner}" in one domain; the rest are held by other reservations`,
      });
      continue;
    }
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

/** What one job asks for: its gang size, when it would end if started now, the nodes it excludes. */
export interface Need {
  N: number;
  endsAt: number;
  excluded: Set<string> | null;
}

export interface NodeIndex {
  recs: Map<string, NodeRec>;
  /** the groups of each runner label, in domain-name order (deterministic tie-breaks) */
  groupsOf: Map<string, Group[]>;
}

/** The schedulable nodes (healthy; idle, busy or reserved) by runner label and domain. Pure. */
export function indexNodes(nodes: readonly AllocNode[], now: number): NodeIndex {
  const recs = new Map<string, NodeRec>();
  const byLabel = new Map<string, Map<string, Group>>();
  const sortedNodes = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
  const groupsOf = new Map<string, Group[]>();
  for (const [label, domains] of byLabel) {
    groupsOf.set(
      label,
      [...domains.values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0)),
    );
  }
  return { recs, groupsOf };
}

/** Jobs in allocation order: effective priority (after aging), then enqueue time, then id. Pure. */
export function orderJobs(jobs: readonly AllocJob[], now: number, agingMsPerPriorityStep: number): AllocJob[] {
  return jobs
    .map((job) => ({ job, eff: effectivePriority(job, now, agingMsPerPriorityStep) }))
    .sort(
      (a, b) =>
        a.eff - b.eff ||
        a.job.enqueuedAt - b.job.enqueuedAt ||
        (a.job.jobId < b.job.jobId ? -1 : a.job.jobId > b.job.jobId ? 1 : 0),
    )
    .map((o) => o.job);
}

/** The node leaves the free pool until `until` (a start this round). */
function takeNode(rec: NodeRec, until: number): void {
  rec.free = false;
  rec.availAt = until;
  if (rec.cap !== 1) return;
  for (const g of rec.groups) {
    if (rec.heldBy) g.freeHeldSingles.delete(rec);
    else g.freeUnheldSingles--;
  }
}

/** The node is held for reservation `h`. */
function holdNode(rec: NodeRec, h: Hold): void {
  rec.heldBy = h;
  if (rec.cap !== 1 || !rec.free) return;
  for (const g of rec.groups) {
    g.freeUnheldSingles--;
    g.freeHeldSingles.add(rec);
  }
}

/** May a job with this need use this free node now? (a held node only as backfill ending before the hold starts) */
function usableNow(rec: NodeRec, need: Need): boolean {
  return (
    rec.free &&
    !(need.excluded?.has(rec.node.id) ?? false) &&
    (rec.heldBy === null || endsBefore(need.endsAt, rec.heldBy))
  );
}

/** Excluded single nodes per group of the label: all schedulable ones, and those the free counts include. */
function countExcludedSingles(
  label: string,
  excluded: Set<string> | null,
  recs: Map<string, NodeRec>,
): { all: Map<Group, number> | null; free: Map<Group, number> | null } {
  if (!excluded) return { all: null, free: null };
  const all = new Map<Group, number>();
  const free = new Map<Group, number>();
  for (const id of excluded) {
    const rec = recs.get(id);
    if (rec?.cap !== 1) continue;
    for (const g of rec.groups) {
      if (g.label !== label) continue;
      all.set(g, (all.get(g) ?? 0) + 1);
      if (rec.free && rec.heldBy === null) free.set(g, (free.get(g) ?? 0) + 1);
    }
  }
  return { all, free };
}

/**
 * Can the job start now? Best fit over domains: the group with the least usable free capacity that
 * still fits the gang (single nodes, or one partition agent). When none fits, the reservation hold
 * without which one would have (for the waiting reason). Pure apart from reading the records.
 */
export function bestFitStart(
  groups: readonly Group[],
  need: Need,
  excludedFree: Map<Group, number> | null,
): { best: StartOption | null; blockedByHold: Hold | null } {
  const { N, endsAt, excluded } = need;
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
      if (usableNow(m, need)) {
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
  return { best, blockedByHold };
}

/** The nodes of the chosen group: the partition agent, or unheld nodes first, then backfill onto held ones, in id order. */
function chooseNodes(best: StartOption, need: Need): NodeRec[] {
  if (best.multi) return [best.multi];
  const unheld: NodeRec[] = [];
  const held: NodeRec[] = [];
  for (const rec of best.group.nodes) {
    if (rec.cap !== 1 || !usableNow(rec, need)) continue;
    (rec.heldBy ? held : unheld).push(rec);
    if (unheld.length >= need.N) break;
  }
  return unheld.concat(held).slice(0, need.N);
}

/** Could the gang ever fit in one domain, with every schedulable node free? And the largest domain's size. */
function everFits(
  groups: readonly Group[],
  need: Need,
  excludedAll: Map<Group, number> | null,
): { fits: boolean; largest: number } {
  let largest = 0;
  for (const g of groups) {
    const singles = g.totalSingles - (excludedAll?.get(g) ?? 0);
    // a gang takes single nodes or one partition agent, never both
    const partitions = g.multis.filter((m) => !(need.excluded?.has(m.node.id) ?? false)).map((m) => m.cap);
    largest = Math.max(largest, singles, ...partitions);
    if (singles >= need.N || partitions.some((cap) => cap >= need.N)) return { fits: true, largest };
  }
  return { fits: false, largest };
}

/** Why a job waits while another job holds its label's reservation. */
function behindHoldReason(runner: string, endsAt: number, labelHold: Hold, blockedByHold: Hold | null): string {
  return blockedByHold
    ? `backfill refused: would run until ${new Date(endsAt).toISOString()}, past the expected start ` +
        `(${isoOrUnknown(blockedByHold.startAt)}) of reserved job ${blockedByHold.jobId}`
    : `waiting behind job ${labelHold.jobId}, which holds the reservation for label "${runner}" ` +
        `(${labelHold.nodeIds.length} node(s) in ${labelHold.domain}, expected start ${isoOrUnknown(labelHold.startAt)})`;
}

/** Reserve the domain where the gang fits soonest and hold its nodes; null when other holds leave no room. */
function reserveSoonest(job: AllocJob, groups: Group[], need: Need, prev: Reservation | undefined): Hold | null {
  const plan = planReservation(groups, need.N, need.excluded, prev);
  if (!plan) return null;
  const h: Hold = {
    jobId: job.jobId,
    runner: job.runner,
    domain: plan.group.domain,
    nodeIds: plan.nodes.map((r) => r.node.id),
    startAt: plan.startAt,
  };
  for (const rec of plan.nodes) holdNode(rec, h);
  return h;
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
