/** Chain detection inside a subagent, on requests written as the lab's Weka traces record them. */
import { describe, expect, it } from "vitest";
import { type ChainRequest, detectChains } from "./weka-chains.js";

const req = (t: number, hashIds: number[], o: { api?: number; model?: string; out?: number } = {}): ChainRequest => ({
  t,
  model: o.model ?? "haiku",
  out: o.out ?? 200,
  hash_ids: hashIds,
  api_time: o.api ?? 1,
});

describe("subagent chain detection", () => {
  it("a request extending the previous one's blocks stays on its chain", () => {
    const reqs = [req(0, [1, 2]), req(2, [1, 2, 3]), req(4, [1, 2, 3, 4])];
    expect(detectChains(reqs).chains).toEqual([[0, 1, 2]]);
  });

  it("two forks of one context running side by side are two chains, each extended by its own requests", () => {
    const reqs = [
      req(0, [1, 2]),
      // both fork the subagent's context at 2 s; the second does not extend the first
      req(2, [1, 2, 3]),
      req(2.1, [1, 2, 4]),
      // each continues its own fork
      req(3.5, [1, 2, 4, 6]),
      req(3.6, [1, 2, 3, 5]),
    ];
    expect(detectChains(reqs).chains).toEqual([
      [0, 1, 4],
      [2, 3],
    ]);
  });

  it("a request that starts before its prefix's request ended, or on another model, forks", () => {
    // the second starts at 0.5 s, before the first ends at 1 s: a parallel call, not a next turn
    expect(detectChains([req(0, [1, 2]), req(0.5, [1, 2, 3])]).chains).toEqual([[0], [1]]);
    // another model sharing the prefix is another agent
    expect(
      detectChains([req(0, [1, 2], { model: "haiku" }), req(0.5, [5]), req(2, [1, 2, 3], { model: "opus" })]).chains,
    ).toEqual([[0], [1], [2]]);
  });

  it("a continuation of a tail that ended its chain (a compacted context) is spliced back onto it", () => {
    // [1, 2, 9] shares 2 of the tail's 3 blocks and starts after it ended; it then grows on its own
    const reqs = [req(0, [1, 2, 3]), req(3, [1, 2, 9]), req(5, [1, 2, 9, 10])];
    expect(detectChains(reqs).chains).toEqual([[0, 1, 2]]);
    // while the forked-from chain carries on past it, the fork is a chain of its own
    const going = [req(0, [1, 2, 3]), req(3, [1, 2, 9]), req(3.2, [1, 2, 3, 4])];
    expect(detectChains(going).chains).toEqual([[0, 2], [1]]);
  });

  it("a late continuation sharing under half the tail's blocks is a new agent, not a seam", () => {
    const reqs = [req(0, [1, 2, 3, 4]), req(5000, [1, 9])];
    expect(detectChains(reqs).chains).toEqual([[0], [1]]);
    // within the hour it is a seam
    expect(detectChains([req(0, [1, 2, 3, 4]), req(3000, [1, 9])]).chains).toEqual([[0, 1]]);
  });

  it("a disjoint one-shot call beside the subagent is a chain of its own", () => {
    const reqs = [req(0, [1, 2]), req(0.2, [40, 41], { out: 30 }), req(2, [1, 2, 3])];
    expect(detectChains(reqs).chains).toEqual([[0, 2], [1]]);
  });

  it("a leading title-generation call is set aside and put back on the main chain", () => {
    // the first call shares no prefix with anything; without the rule it would found the main chain
    const reqs = [req(0, [90], { out: 20 }), req(1, [1, 2]), req(3, [1, 2, 3])];
    expect(detectChains(reqs).chains).toEqual([[0, 1, 2]]);
    // a large leading call whose blocks are used again is not a preamble
    const reused = [req(0, [90, 91], { out: 500 }), req(1, [1, 91]), req(3, [1, 91, 3])];
    expect(detectChains(reused).chains).toEqual([[0], [1, 2]]);
  });

  it("requests without hash ids ride the main chain; chains come out in time order", () => {
    const reqs = [req(4, [1, 2, 3]), req(1, []), req(0, [1, 2]), req(0.5, [7, 8])];
    expect(detectChains(reqs).chains).toEqual([[2, 1, 0], [3]]);
    expect(detectChains([]).chains).toEqual([]);
  });
});
