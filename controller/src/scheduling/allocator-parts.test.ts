/** The pure steps of one allocation round (allocator.ts), each on its own. */
import { describe, expect, it } from "vitest";
import { type AllocJob, type AllocNode, bestFitStart, indexNodes, orderJobs } from "./allocator.js";

const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;

const node = (id: string, domain: string, more: Partial<AllocNode> = {}): AllocNode => ({
  id,
  labels: ["h100"],
  domain,
  state: "idle",
  healthy: true,
  ...more,
});
const job = (jobId: string, more: Partial<AllocJob> = {}): AllocJob => ({
  jobId,
  runner: "h100",
  nodes: 1,
  priority: 10,
  enqueuedAt: T0,
  estimatedSeconds: 600,
  excludedNodes: [],
  ...more,
});

describe("indexNodes", () => {
  it("groups schedulable nodes by label and domain, domains in name order, nodes in id order", () => {
    const { recs, groupsOf } = indexNodes(
      [
        node("b1", "rack-b"),
        node("a2", "rack-a", { state: "busy", freeAt: T0 + MIN }),
        node("a1", "rack-a", { labels: ["h100", "h100-multinode"] }),
        node("x", "rack-a", { healthy: false }),
        node("y", "rack-a", { state: "draining" }),
        node("p", "slurm:gpu", { capacity: 8 }),
      ],
      T0,
    );
    expect([...recs.keys()].sort()).toEqual(["a1", "a2", "b1", "p"]);
    const h100 = groupsOf.get("h100")!;
    expect(h100.map((g) => g.domain)).toEqual(["rack-a", "rack-b", "slurm:gpu"]);
    expect(h100[0]!.nodes.map((r) => r.node.id)).toEqual(["a1", "a2"]);
    expect(h100[0]).toMatchObject({ totalSingles: 2, freeUnheldSingles: 1 });
    expect(h100[2]!.multis.map((r) => r.node.id)).toEqual(["p"]);
    expect(groupsOf.get("h100-multinode")!.map((g) => g.nodes.map((r) => r.node.id))).toEqual([["a1"]]);
    // free nodes are available now; busy ones when they are expected free
    expect(recs.get("a1")!.availAt).toBe(T0);
    expect(recs.get("a2")!.availAt).toBe(T0 + MIN);
  });

  it("a busy node without an estimate is available at an unknown (infinite) time", () => {
    const { recs } = indexNodes([node("a", "d", { state: "busy" })], T0);
    expect(recs.get("a")!.availAt).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("orderJobs", () => {
  it("orders by effective priority, then enqueue time, then id", () => {
    const jobs = [
      job("c", { priority: 5, enqueuedAt: T0 + 2 }),
      job("b", { priority: 5, enqueuedAt: T0 + 1 }),
      job("a", { priority: 5, enqueuedAt: T0 + 1 }),
      job("z", { priority: 1, enqueuedAt: T0 + 9 }),
    ];
    expect(orderJobs(jobs, T0 + 10, Number.POSITIVE_INFINITY).map((j) => j.jobId)).toEqual(["z", "a", "b", "c"]);
  });

  it("aging moves a long-waiting job ahead of a newer, better one", () => {
    const old = job("old", { priority: 10, enqueuedAt: T0 });
    const fresh = job("fresh", { priority: 8, enqueuedAt: T0 + 60 * MIN });
    // one step per 20 min: after 60 min "old" is at 7, "fresh" still at 8
    expect(orderJobs([fresh, old], T0 + 60 * MIN, 20 * MIN).map((j) => j.jobId)).toEqual(["old", "fresh"]);
  });
});

describe("bestFitStart", () => {
  const need = (N: number, excluded: string[] = []) => ({
    N,
    endsAt: T0 + 10 * MIN,
    excluded: excluded.length ? new Set(excluded) : null,
  });

  it("picks the domain with the least usable free capacity that still fits the gang", () => {
    const { groupsOf } = indexNodes(
      [
        ...["a0", "a1", "a2", "a3"].map((id) => node(id, "rack-a")),
        ...["b0", "b1"].map((id) => node(id, "rack-b")),
        node("c0", "rack-c"),
      ],
      T0,
    );
    const r = bestFitStart(groupsOf.get("h100")!, need(2), null);
    expect(r.best?.group.domain).toBe("rack-b");
    expect(r.best?.usable).toBe(2);
    expect(bestFitStart(groupsOf.get("h100")!, need(3), null).best?.group.domain).toBe("rack-a");
    expect(bestFitStart(groupsOf.get("h100")!, need(5), null).best).toBeNull();
  });

  it("takes a partition agent when single nodes do not fit, the smallest one that does", () => {
    const { groupsOf } = indexNodes(
      [node("p8", "slurm", { capacity: 8 }), node("p4", "slurm", { capacity: 4 }), node("s", "slurm")],
      T0,
    );
    const r = bestFitStart(groupsOf.get("h100")!, need(3), null);
    expect(r.best?.multi?.node.id).toBe("p4");
  });

  it("excluded free nodes do not count", () => {
    const { groupsOf } = indexNodes([node("a0", "d"), node("a1", "d")], T0);
    const groups = groupsOf.get("h100")!;
    const excludedFree = new Map([[groups[0]!, 1]]);
    expect(bestFitStart(groups, need(2, ["a1"]), excludedFree).best).toBeNull();
    expect(bestFitStart(groups, need(1, ["a1"]), excludedFree).best?.usable).toBe(1);
  });
});
