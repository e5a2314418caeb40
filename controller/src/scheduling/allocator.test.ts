import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AllocDecision,
  type AllocInput,
  AllocInputError,
  type AllocJob,
  type AllocNode,
  allocate,
  effectivePriority,
  type Reservation,
} from "./allocator.js";

const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;

function node(id: string, domain: string, more: Partial<AllocNode> = {}): AllocNode {
  return { id, labels: ["h100"], domain, state: "idle", healthy: true, ...more };
}
function nodes(prefix: string, count: number, domain: string, more: Partial<AllocNode> = {}): AllocNode[] {
  return Array.from({ length: count }, (_, i) => node(`${prefix}${i}`, domain, more));
}
function job(jobId: string, more: Partial<AllocJob> = {}): AllocJob {
  return {
    jobId,
    runner: "h100",
    nodes: 1,
    priority: 10,
    enqueuedAt: T0,
    estimatedSeconds: 600,
    excludedNodes: [],
    ...more,
  };
}
function input(more: Partial<AllocInput>): AllocInput {
  return { now: T0, jobs: [], nodes: [], reservations: [], agingMsPerPriorityStep: Number.POSITIVE_INFINITY, ...more };
}
const started = (d: AllocDecision, jobId: string) => d.start.find((s) => s.jobId === jobId);
const reasonOf = (d: AllocDecision, jobId: string) => d.waiting.find((w) => w.jobId === jobId)?.reason;

describe("allocate: claim by label", () => {
  it("gives each job only idle, healthy nodes carrying its runner label", () => {
    const d = allocate(
      input({
        nodes: [
          node("h0", "d1"),
          node("h1", "d1", { healthy: false }),
          node("h2", "d1", { state: "busy", freeAt: T0 + MIN }),
          node("h3", "d1", { state: "draining" }),
          node("m0", "d2", { labels: ["mi300x", "amd"] }),
          node("m1", "d2", { labels: ["mi300x", "amd"], state: "quarantined" }),
        ],
        jobs: [job("a", { runner: "mi300x" }), job("b"), job("c"), job("d", { runner: "b200" })],
      }),
    );
    expect(started(d, "a")).toEqual({ jobId: "a", nodeIds: ["m0"], domain: "d2" });
    expect(started(d, "b")).toEqual({ jobId: "b", nodeIds: ["h0"], domain: "d1" });
    expect(started(d, "c")).toBeUndefined();
    expect(started(d, "d")).toBeUndefined();
    expect(reasonOf(d, "d")).toBe('no healthy node carries label "b200"');
    expect(reasonOf(d, "c")).toMatch(/reserved 1 node\(s\) in d1/);
    expect(d.waiting.map((w) => w.jobId).sort()).toEqual(["c", "d"]);
  });

  it("matches any of a node's labels (SKU plus configured ones)", () => {
    const d = allocate(
      input({
        nodes: [node("n0", "rack1", { labels: ["gb200", "multinode"] }), node("n1", "rack1", { labels: ["gb200"] })],
        jobs: [job("mn", { runner: "multinode" })],
      }),
    );
    expect(started(d, "mn")?.nodeIds).toEqual(["n0"]);
  });
});

describe("allocate: priority and aging order", () => {
  it("starts the lower priority number first, then the older job", () => {
    const ns = [node("n0", "d")];
    const d1 = allocate(
      input({ nodes: ns, jobs: [job("low", { priority: 5 }), job("high", { priority: 1, enqueuedAt: T0 + 1 })] }),
    );
    expect(d1.start.map((s) => s.jobId)).toEqual(["high"]);
    const d2 = allocate(
      input({
        now: T0 + 10,
        nodes: ns,
        jobs: [job("newer", { enqueuedAt: T0 + 5 }), job("older", { enqueuedAt: T0 })],
      }),
    );
    expect(d2.start.map((s) => s.jobId)).toEqual(["older"]);
  });

  it("ages old jobs up one step per agingMsPerPriorityStep", () => {
    const old = job("old", { priority: 5, enqueuedAt: T0 });
    expect(effectivePriority(old, T0, MIN)).toBe(5);
    expect(effectivePriority(old, T0 + MIN - 1, MIN)).toBe(5);
    expect(effectivePriority(old, T0 + 10 * MIN, MIN)).toBe(-5);
    expect(effectivePriority(old, T0 + 10 * MIN, Number.POSITIVE_INFINITY)).toBe(5);
    expect(effectivePriority(old, T0 - MIN, MIN)).toBe(5); // clock skew never lowers priority

    const fresh = job("fresh", { priority: 1, enqueuedAt: T0 + 10 * MIN });
    const args = { nodes: [node("n0", "d")], jobs: [old, fresh] };
    // without aging the fresh high-priority job wins; with 1 min/step the 10-minute-old job is at -5 and wins
    expect(allocate(input({ ...args, now: T0 + 10 * MIN })).start[0].jobId).toBe("fresh");
    expect(allocate(input({ ...args, now: T0 + 10 * MIN, agingMsPerPriorityStep: MIN })).start[0].jobId).toBe("old");
  });
});

describe("allocate: gangs", () => {
  it("starts a gang of N all in one domain or not at all, never split across two domains", () => {
    const ns = [...nodes("a", 3, "rackA"), ...nodes("b", 3, "rackB")];
    const d = allocate(input({ nodes: ns, jobs: [job("g4", { nodes: 4 })] }));
    expect(d.start).toEqual([]);
    expect(reasonOf(d, "g4")).toBe(
      'needs 4 node(s) of label "h100" in one domain; the largest domain has 3 schedulable node(s)',
    );
    expect(d.reservations).toEqual([]);

    const d3 = allocate(input({ nodes: ns, jobs: [job("g3", { nodes: 3 }), job("g3b", { nodes: 3 })] }));
    expect(d3.start).toEqual([
      { jobId: "g3", nodeIds: ["a0", "a1", "a2"], domain: "rackA" },
      { jobId: "g3b", nodeIds: ["b0", "b1", "b2"], domain: "rackB" },
    ]);
  });

  it("does not start a gang on the idle part of a domain while the rest is busy, and reserves it", () => {
    const ns = [...nodes("a", 2, "rackA"), ...nodes("x", 2, "rackA", { state: "busy", freeAt: T0 + 5 * MIN })];
    const d = allocate(input({ nodes: ns, jobs: [job("g4", { nodes: 4 })] }));
    expect(d.start).toEqual([]);
    expect(d.reservations).toEqual([
      {
        jobId: "g4",
        nodeIds: ["a0", "a1", "x0", "x1"],
        domain: "rackA",
        runner: "h100",
        expectedStartAt: T0 + 5 * MIN,
      },
    ]);
  });

  it("next round: the held idle nodes (state reserved) start the gang once the busy ones free up", () => {
    const busy = nodes("x", 2, "rackA", { state: "busy", freeAt: T0 + 5 * MIN });
    const first = allocate(input({ nodes: [...nodes("a", 2, "rackA"), ...busy], jobs: [job("g4", { nodes: 4 })] }));
    expect(first.reservations).toHaveLength(1);
    // what the registry now shows for a0/a1 (idle, held) and x0/x1 after their attempts ended
    const held = nodes("a", 2, "rackA", { state: "reserved" });
    const later = allocate(
      input({
        now: T0 + 5 * MIN,
        nodes: [...held, ...nodes("x", 2, "rackA")],
        jobs: [job("g4", { nodes: 4 })],
        reservations: first.reservations,
      }),
    );
    expect(started(later, "g4")?.nodeIds).toEqual(["a0", "a1", "x0", "x1"]);
  });

  it("lets a Slurm-partition agent (capacity) take a gang alone", () => {
    const d = allocate(
      input({
        nodes: [node("part-small", "slurm", { capacity: 4 }), node("part-big", "slurm", { capacity: 16 })],
        jobs: [job("g8", { nodes: 8 }), job("g2", { nodes: 2 })],
      }),
    );
    expect(started(d, "g8")).toEqual({ jobId: "g8", nodeIds: ["part-big"], domain: "slurm" });
    expect(started(d, "g2")).toEqual({ jobId: "g2", nodeIds: ["part-small"], domain: "slurm" });
  });
});

describe("allocate: best fit", () => {
  it("puts a small gang in the domain with the fewest idle nodes left over so a large gang still fits", () => {
    const ns = [...nodes("big", 8, "rack-big"), ...nodes("sm", 3, "rack-small")];
    const d = allocate(input({ nodes: ns, jobs: [job("g2", { nodes: 2 }), job("g8", { nodes: 8, priority: 20 })] }));
    expect(started(d, "g2")).toEqual({ jobId: "g2", nodeIds: ["sm0", "sm1"], domain: "rack-small" });
    expect(started(d, "g8")?.domain).toBe("rack-big");
  });

  it("prefers an exact fit over a larger domain", () => {
    const ns = [...nodes("a", 5, "A"), ...nodes("b", 4, "B"), ...nodes("c", 6, "C")];
    const d = allocate(input({ nodes: ns, jobs: [job("g4", { nodes: 4 })] }));
    expect(started(d, "g4")?.domain).toBe("B");
  });
});

describe("allocate: exclusion", () => {
  it("never chooses a node excluded for the job", () => {
    const ns = [...nodes("a", 2, "A"), ...nodes("b", 3, "B")];
    const d = allocate(input({ nodes: ns, jobs: [job("g2", { nodes: 2, excludedNodes: ["a1"] })] }));
    // A would be the best fit, but a1 is excluded: B is used
    expect(started(d, "g2")).toEqual({ jobId: "g2", nodeIds: ["b0", "b1"], domain: "B" });

    const d2 = allocate(input({ nodes: ns, jobs: [job("g3", { nodes: 3, excludedNodes: ["b0"] })] }));
    expect(d2.start).toEqual([]);
    expect(reasonOf(d2, "g3")).toMatch(/largest domain has 2 schedulable node\(s\) not excluded for this job/);
    expect(d2.reservations).toEqual([]);
  });

  it("counts a Slurm partition agent's nodes in the waiting reason, and none once it is excluded for the job", () => {
    const ns = [node("part-gpu", "slurm", { capacity: 3 })];
    const big = allocate(input({ nodes: ns, jobs: [job("g4", { nodes: 4 })] }));
    expect(reasonOf(big, "g4")).toBe(
      'needs 4 node(s) of label "h100" in one domain; the largest domain has 3 schedulable node(s)',
    );
    // excluded after its agent itself was lost
    const lost = allocate(input({ nodes: ns, jobs: [job("g2", { nodes: 2, excludedNodes: ["part-gpu"] })] }));
    expect(lost.start).toEqual([]);
    expect(reasonOf(lost, "g2")).toMatch(/largest domain has 0 schedulable node\(s\) not excluded for this job/);
  });

  it("does not reserve excluded nodes, and the next job still may use them", () => {
    const ns = [node("a0", "A"), node("a1", "A", { state: "busy", freeAt: T0 + MIN }), node("a2", "A")];
    const d = allocate(
      input({ nodes: ns, jobs: [job("g2", { nodes: 2, excludedNodes: ["a0", "a2"] }), job("s", { priority: 11 })] }),
    );
    expect(d.reservations).toEqual([]); // only a1 is allowed: cannot ever fit
    expect(started(d, "s")?.nodeIds).toEqual(["a0"]);
  });
});

describe("allocate: reservation and backfill", () => {
  // rack A: 2 idle + 2 busy until +10 min; rack B: 1 idle node the reservation does not need
  const ns = [
    ...nodes("a", 2, "A"),
    node("a2", "A", { state: "busy", freeAt: T0 + 10 * MIN }),
    node("a3", "A", { state: "busy", freeAt: T0 + 8 * MIN }),
    node("b0", "B"),
  ];
  const gang = job("gang", { nodes: 4, priority: 1 });

  it("backfills a short job onto a held node when it finishes before the gang's expected start", () => {
    const d = allocate(input({ nodes: ns, jobs: [gang, job("short", { estimatedSeconds: 9 * 60 })] }));
    expect(d.reservations).toEqual([
      { jobId: "gang", nodeIds: ["a0", "a1", "a3", "a2"], domain: "A", runner: "h100", expectedStartAt: T0 + 10 * MIN },
    ]);
    // b0 is not needed by the reservation and is the better fit: the short job goes there first
    expect(started(d, "short")?.nodeIds).toEqual(["b0"]);

    const d2 = allocate(
      input({
        nodes: ns,
        jobs: [
          gang,
          job("s1", { estimatedSeconds: 60 }),
          job("s2", { estimatedSeconds: 10 * 60 }),
          job("s3", { estimatedSeconds: 11 * 60 }),
        ],
      }),
    );
    expect(started(d2, "s1")?.nodeIds).toEqual(["b0"]);
    expect(started(d2, "s2")?.nodeIds).toEqual(["a0"]); // ends exactly at the expected start: allowed
    expect(started(d2, "s3")).toBeUndefined();
    const iso = (t: number) => new Date(t).toISOString();
    expect(reasonOf(d2, "s3")).toBe(
      `backfill refused: would run until ${iso(T0 + 11 * MIN)}, past the expected start (${iso(T0 + 10 * MIN)}) of reserved job gang`,
    );
  });

  it("refuses a backfill that would delay the reserved gang", () => {
    const d = allocate(input({ nodes: ns.slice(0, 4), jobs: [gang, job("long", { estimatedSeconds: 11 * 60 })] }));
    expect(d.start).toEqual([]);
    expect(reasonOf(d, "long")).toMatch(/^backfill refused: would run until .* of reserved job gang$/);
  });

  it("refuses backfill onto held nodes when the gang's start time is unknown", () => {
    const unknown = [...nodes("a", 3, "A"), node("a3", "A", { state: "busy" })];
    const d = allocate(input({ nodes: unknown, jobs: [gang, job("tiny", { estimatedSeconds: 1 })] }));
    expect(d.reservations[0]).toMatchObject({ jobId: "gang", expectedStartAt: null });
    expect(d.start).toEqual([]);
    expect(reasonOf(d, "gang")).toMatch(/expected start an unknown time/);
  });

  it("starts the reserved gang on time despite a stream of small jobs (simulation)", () => {
    // 4 nodes: 3 idle, 1 busy until +10 min. A 4-node gang waits at the head; every minute a new
    // 30-minute single-node job arrives with the same priority. Without reservation they would take the
    // idle nodes forever. Small jobs that fit before the gang's start (<= 10 min) are backfilled.
    const fleet = new Map<string, AllocNode>(
      [...nodes("n", 3, "A"), node("n3", "A", { state: "busy", freeAt: T0 + 10 * MIN })].map((n) => [n.id, n]),
    );
    const queue: AllocJob[] = [job("gang", { nodes: 4, estimatedSeconds: 3600, enqueuedAt: T0 })];
    const startedAt = new Map<string, number>();
    let reservations: Reservation[] = [];
    for (let now = T0; now <= T0 + 15 * MIN; now += MIN) {
      for (const n of fleet.values()) {
        if (n.state === "busy" && n.freeAt !== undefined && n.freeAt <= now) {
          fleet.set(n.id, { ...n, state: "idle", freeAt: undefined });
        }
      }
      queue.push(job(`small-${now}`, { enqueuedAt: now, estimatedSeconds: now === T0 + 2 * MIN ? 8 * 60 : 30 * 60 }));
      const d = allocate(input({ now, jobs: queue, nodes: [...fleet.values()], reservations }));
      reservations = d.reservations;
      for (const s of d.start) {
        const j = queue.find((q) => q.jobId === s.jobId)!;
        startedAt.set(s.jobId, now);
        for (const id of s.nodeIds) {
          fleet.set(id, { ...fleet.get(id)!, state: "busy", freeAt: now + j.estimatedSeconds * 1000 });
        }
        queue.splice(queue.indexOf(j), 1);
      }
    }
    expect(startedAt.get("gang")).toBe(T0 + 10 * MIN);
    // the 8-minute job that arrived at +2 min fit before the gang's start and was backfilled
    expect(startedAt.get(`small-${T0 + 2 * MIN}`)).toBe(T0 + 2 * MIN);
    // no 30-minute job started before the gang
    for (const [id, at] of startedAt)
      if (id !== "gang" && id !== `small-${T0 + 2 * MIN}`) expect(at).toBeGreaterThan(T0 + 10 * MIN);
  });

  it("keeps the previous round's reserved domain while it can still hold the gang", () => {
    const two = [
      ...nodes("a", 3, "A"),
      node("a3", "A", { state: "busy", freeAt: T0 + 10 * MIN }),
      ...nodes("b", 3, "B"),
      node("b3", "B", { state: "busy", freeAt: T0 + 9 * MIN }),
    ];
    const fresh = allocate(input({ nodes: two, jobs: [gang] }));
    expect(fresh.reservations[0].domain).toBe("B"); // B frees one minute earlier
    const prev: Reservation[] = [{ jobId: "gang", nodeIds: ["a0", "a1", "a2", "a3"], domain: "A" }];
    const sticky = allocate(input({ nodes: two, jobs: [gang], reservations: prev }));
    expect(sticky.reservations[0]).toMatchObject({ domain: "A", nodeIds: ["a0", "a1", "a2", "a3"] });
    // a reservation of a job that is no longer queued is dropped
    const gone = allocate(input({ nodes: two, jobs: [job("other")], reservations: prev }));
    expect(gone.reservations).toEqual([]);
  });

  it("moves the label's reservation to a higher-priority gang; the lower one waits behind it", () => {
    const busy = [...nodes("a", 2, "A"), ...nodes("x", 2, "A", { state: "busy", freeAt: T0 + MIN })];
    const prev: Reservation[] = [{ jobId: "old", nodeIds: ["a0", "a1", "x0", "x1"], domain: "A" }];
    const d = allocate(
      input({
        nodes: busy,
        jobs: [job("old", { nodes: 3, priority: 5 }), job("urgent", { nodes: 4, priority: 1 })],
        reservations: prev,
      }),
    );
    expect(d.reservations.map((r) => r.jobId)).toEqual(["urgent"]);
    expect(reasonOf(d, "old")).toMatch(/waiting behind job urgent/);
  });
});

describe("allocate: no deadlock between competing gangs", () => {
  /** run rounds until the queue is empty; return start times */
  function simulate(fleet0: AllocNode[], jobs: AllocJob[], maxRounds = 200) {
    const fleet = new Map(fleet0.map((n) => [n.id, { ...n }]));
    const queue = [...jobs];
    const startedAt = new Map<string, number>();
    let reservations: Reservation[] = [];
    let now = T0;
    for (let round = 0; round < maxRounds && queue.length > 0; round++) {
      for (const n of fleet.values()) {
        if (n.state === "busy" && n.freeAt! <= now) Object.assign(n, { state: "idle", freeAt: undefined });
      }
      const d = allocate(input({ now, jobs: queue, nodes: [...fleet.values()], reservations }));
      const held = d.reservations.flatMap((r) => r.nodeIds);
      expect(new Set(held).size).toBe(held.length); // reservations never share a node
      reservations = d.reservations;
      for (const s of d.start) {
        const j = queue.find((q) => q.jobId === s.jobId)!;
        startedAt.set(j.jobId, now);
        for (const id of s.nodeIds)
          Object.assign(fleet.get(id)!, { state: "busy", freeAt: now + j.estimatedSeconds * 1000 });
        queue.splice(queue.indexOf(j), 1);
      }
      const next = Math.min(...[...fleet.values()].filter((n) => n.state === "busy").map((n) => n.freeAt!));
      if (!Number.isFinite(next)) break;
      now = next;
    }
    return { startedAt, left: queue.map((q) => q.jobId) };
  }

  it("two gangs of different labels on shared nodes both run", () => {
    // six nodes carry both labels; three are busy with staggered end times. Each gang needs four.
    const fleet = [
      ...nodes("n", 3, "rack", { labels: ["h100", "multinode"] }),
      node("n3", "rack", { labels: ["h100", "multinode"], state: "busy", freeAt: T0 + MIN }),
      node("n4", "rack", { labels: ["h100", "multinode"], state: "busy", freeAt: T0 + 2 * MIN }),
      node("n5", "rack", { labels: ["h100", "multinode"], state: "busy", freeAt: T0 + 3 * MIN }),
    ];
    const gA = job("gA", { nodes: 4, runner: "h100", estimatedSeconds: 300 });
    const gB = job("gB", { nodes: 4, runner: "multinode", estimatedSeconds: 300, enqueuedAt: T0 + 1 });
    const first = allocate(input({ nodes: fleet, jobs: [gA, gB] }));
    expect(first.reservations.map((r) => r.jobId)).toEqual(["gA"]); // B cannot hold a partial set
    expect(reasonOf(first, "gB")).toMatch(/held by other reservations/);
    const { startedAt, left } = simulate(fleet, [gA, gB]);
    expect(left).toEqual([]);
    expect(startedAt.get("gA")).toBe(T0 + MIN);
    expect(startedAt.get("gB")).toBe(T0 + MIN + 300_000);
  });

  it("many gangs of one label over two racks all run", () => {
    const fleet = [...nodes("a", 4, "A"), ...nodes("b", 4, "B")];
    const jobs = [3, 4, 2, 4, 1, 3, 4, 2].map((n, i) =>
      job(`g${i}`, { nodes: n, enqueuedAt: T0 + i, estimatedSeconds: 60 * (i + 1) }),
    );
    const { startedAt, left } = simulate(fleet, jobs);
    expect(left).toEqual([]);
    expect(startedAt.size).toBe(8);
  });
});

describe("allocate: input validation", () => {
  it("rejects malformed input with a message naming what is wrong", () => {
    expect(() => allocate(input({ nodes: [node("n", "d"), node("n", "d")] }))).toThrow(/node id "n" appears twice/);
    expect(() => allocate(input({ jobs: [job("j"), job("j")] }))).toThrow(/job "j" appears twice/);
    expect(() => allocate(input({ jobs: [job("j", { nodes: 0 })] }))).toThrow(/job "j": nodes must be an integer >= 1/);
    expect(() => allocate(input({ jobs: [job("j", { estimatedSeconds: -1 })] }))).toThrow(AllocInputError);
    expect(() => allocate(input({ agingMsPerPriorityStep: 0 }))).toThrow(/agingMsPerPriorityStep must be > 0/);
    expect(() => allocate(input({ nodes: [node("n", "d", { capacity: 0 })] }))).toThrow(/capacity/);
  });
});

// ---------------------------------------------------------------------------------------------------
// property tests

const LABELS = ["h100", "mi300x", "multinode"];
const STATES = ["idle", "idle", "idle", "busy", "reserved", "draining", "drained", "quarantined", "offline"] as const;

const arbNode = (i: number) =>
  fc.record({
    id: fc.constant(`n${i}`),
    labels: fc.subarray(LABELS, { minLength: 1 }),
    domain: fc.constantFrom("d0", "d1", "d2", "d3"),
    state: fc.constantFrom(...STATES),
    healthy: fc.constant(true), // set below: every third node may be unhealthy
    freeAt: fc.option(
      fc.integer({ min: -5, max: 60 }).map((m) => T0 + m * MIN),
      { nil: undefined },
    ),
    capacity: fc.option(fc.constantFrom(1, 1, 1, 4, 8), { nil: undefined }),
  });

const arbFleet = fc
  .integer({ min: 0, max: 24 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbNode(i))))
  .chain((ns) => fc.tuple(fc.constant(ns), fc.array(fc.boolean(), { minLength: ns.length, maxLength: ns.length })))
  .map(([ns, unhealthy]) => ns.map((n, i) => ({ ...n, healthy: !(unhealthy[i] && i % 3 === 0) })) as AllocNode[]);

const arbJobs = (nodeCount: number) =>
  fc.uniqueArray(
    fc.record({
      jobId: fc.integer({ min: 0, max: 999 }).map((i) => `j${i}`),
      runner: fc.constantFrom(...LABELS, "b200"),
      nodes: fc.constantFrom(1, 1, 2, 3, 4, 8),
      priority: fc.integer({ min: 0, max: 4 }),
      enqueuedAt: fc.integer({ min: -120, max: 0 }).map((m) => T0 + m * MIN),
      estimatedSeconds: fc.integer({ min: 0, max: 7200 }),
      excludedNodes: fc.array(
        fc.integer({ min: 0, max: Math.max(0, nodeCount - 1) }).map((i) => `n${i}`),
        {
          maxLength: 3,
        },
      ),
    }),
    { selector: (j) => j.jobId, maxLength: 30 },
  );

const arbInput = arbFleet.chain((ns) =>
  fc.record({
    now: fc.constant(T0),
    nodes: fc.constant(ns),
    jobs: arbJobs(ns.length),
    reservations: fc.constant([] as Reservation[]),
    agingMsPerPriorityStep: fc.constantFrom(MIN, 30 * MIN, Number.POSITIVE_INFINITY),
  }),
);

/** position of a job in the allocator's order (effective priority, enqueue time, id) */
function order(inp: AllocInput, j: AllocJob): number {
  const key = (x: AllocJob) => [effectivePriority(x, inp.now, inp.agingMsPerPriorityStep), x.enqueuedAt] as const;
  return [...inp.jobs]
    .sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1] || (a.jobId < b.jobId ? -1 : 1))
    .indexOf(j);
}

function checkInvariants(inp: AllocInput, d: AllocDecision): void {
  const byId = new Map(inp.nodes.map((n) => [n.id, n]));
  const jobs = new Map(inp.jobs.map((j) => [j.jobId, j]));
  // every job is either started or waiting, exactly once
  const accounted = [...d.start.map((s) => s.jobId), ...d.waiting.map((w) => w.jobId)];
  expect(accounted.sort()).toEqual([...jobs.keys()].sort());
  // no node in two starts
  const used = d.start.flatMap((s) => s.nodeIds);
  expect(new Set(used).size).toBe(used.length);
  for (const s of d.start) {
    const j = jobs.get(s.jobId)!;
    const ns = s.nodeIds.map((id) => byId.get(id)!);
    for (const n of ns) {
      expect(["idle", "reserved"]).toContain(n.state); // reserved: idle, held by a reservation
      expect(n.healthy).toBe(true);
      expect(n.labels).toContain(j.runner);
      expect(n.domain).toBe(s.domain);
      expect(j.excludedNodes).not.toContain(n.id);
    }
    // right size: N single nodes, or one partition agent of capacity >= N
    if (ns.length === 1 && (ns[0].capacity ?? 1) > 1) expect(ns[0].capacity!).toBeGreaterThanOrEqual(j.nodes);
    else {
      expect(ns.length).toBe(j.nodes);
      for (const n of ns) expect(n.capacity ?? 1).toBe(1);
    }
  }
  // reservations: one per label, disjoint, eligible nodes of one domain, and backfill never delays them
  const labels = d.reservations.map((r) => r.runner);
  expect(new Set(labels).size).toBe(labels.length);
  const held = d.reservations.flatMap((r) => r.nodeIds);
  expect(new Set(held).size).toBe(held.length);
  for (const r of d.reservations) {
    const j = jobs.get(r.jobId)!;
    expect(r.runner).toBe(j.runner);
    expect(d.start.find((s) => s.jobId === r.jobId)).toBeUndefined();
    for (const id of r.nodeIds) {
      const n = byId.get(id)!;
      expect(n.healthy).toBe(true);
      expect(["idle", "busy", "reserved"]).toContain(n.state);
      expect(n.labels).toContain(j.runner);
      expect(n.domain).toBe(r.domain);
      expect(j.excludedNodes).not.toContain(id);
    }
    for (const s of d.start) {
      if (!s.nodeIds.some((id) => r.nodeIds.includes(id))) continue;
      const ends = inp.now + jobs.get(s.jobId)!.estimatedSeconds * 1000;
      if (r.expectedStartAt === null) {
        // unknown start: no backfill at all; only a job ahead of the reserved one in the order took the node
        expect(order(inp, jobs.get(s.jobId)!)).toBeLessThan(order(inp, j));
      } else {
        expect(ends).toBeLessThanOrEqual(r.expectedStartAt!);
      }
    }
  }
}

describe("allocate: properties", () => {
  it("no node assigned twice; every gang in one domain with the right size and label; reservations safe", () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        const d = allocate(inp);
        checkInvariants(inp, d);
        // deterministic, and independent of input order
        expect(allocate({ ...inp, nodes: [...inp.nodes].reverse(), jobs: [...inp.jobs].reverse() })).toEqual(d);
        // feeding the reservations back keeps the invariants
        checkInvariants({ ...inp, reservations: d.reservations }, allocate({ ...inp, reservations: d.reservations }));
      }),
      { numRuns: 300 },
    );
  });

  it("every job that can ever fit eventually starts (no deadlock, no starvation) when estimates hold", () => {
    fc.assert(
      fc.property(arbInput, (inp) => {
        // fleet of healthy schedulable nodes; jobs that fit in some domain
        const fleet = inp.nodes
          .filter((n) => n.healthy && ["idle", "busy", "reserved"].includes(n.state))
          .map((n) => ({
            ...n,
            state: n.state === "idle" ? ("idle" as const) : ("busy" as const),
            freeAt: n.freeAt ?? T0 + 30 * MIN,
          }));
        const fits = (j: AllocJob) =>
          [...new Set(fleet.map((n) => n.domain))].some((dom) => {
            const ok = fleet.filter(
              (n) => n.domain === dom && n.labels.includes(j.runner) && !j.excludedNodes.includes(n.id),
            );
            return (
              ok.filter((n) => (n.capacity ?? 1) === 1).length >= j.nodes ||
              ok.some((n) => (n.capacity ?? 1) >= j.nodes)
            );
          });
        const jobs = inp.jobs.filter(fits).map((j) => ({ ...j, estimatedSeconds: Math.max(1, j.estimatedSeconds) }));
        const nodesNow = new Map(fleet.map((n) => [n.id, n as AllocNode]));
        const queue = [...jobs];
        let reservations: Reservation[] = [];
        let now = T0;
        for (let round = 0; round < 400 && queue.length > 0; round++) {
          for (const n of nodesNow.values()) {
            if (n.state === "busy" && n.freeAt! <= now) nodesNow.set(n.id, { ...n, state: "idle", freeAt: undefined });
          }
          const cur = { ...inp, now, nodes: [...nodesNow.values()], jobs: queue, reservations };
          const d = allocate(cur);
          checkInvariants(cur, d);
          reservations = d.reservations;
          for (const s of d.start) {
            const j = queue.find((q) => q.jobId === s.jobId)!;
            for (const id of s.nodeIds) {
              nodesNow.set(id, { ...nodesNow.get(id)!, state: "busy", freeAt: now + j.estimatedSeconds * 1000 });
            }
            queue.splice(queue.indexOf(j), 1);
          }
          const busy = [...nodesNow.values()].filter((n) => n.state === "busy").map((n) => n.freeAt!);
          if (busy.length === 0) {
            // nothing running: then nothing may be left waiting
            expect(queue).toEqual([]);
            break;
          }
          now = Math.max(now, Math.min(...busy));
        }
        expect(queue.map((q) => q.jobId)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
