/** Where a Weka trace's branches attach to its main chain: the spawning turn and the joining turn. */
import { describe, expect, it } from "vitest";
import { joinTurnOf, spawnTurnOf } from "./weka-branches.js";

// main turns at positions 1, 3, 6 of the trace's requests, started at 0 s, 4 s, 9 s
const main = [
  { pos: 1, t: 0 },
  { pos: 3, t: 4 },
  { pos: 6, t: 9 },
];

describe("branch anchoring", () => {
  it("the last main turn before the branch in the trace spawns it; none before it: undefined", () => {
    expect(spawnTurnOf(main, 2)).toBe(0);
    expect(spawnTurnOf(main, 5)).toBe(1);
    expect(spawnTurnOf(main, 7)).toBe(2);
    expect(spawnTurnOf(main, 0)).toBeUndefined();
  });

  it("the first later main turn starting at or after the branch's end joins it; none: null", () => {
    expect(joinTurnOf(main, 2, 3.5, 0)).toBe(1);
    expect(joinTurnOf(main, 2, 4, 0)).toBe(1);
    expect(joinTurnOf(main, 2, 4.5, 0)).toBe(2);
    expect(joinTurnOf(main, 2, 9.5, 0)).toBeNull();
    // only turns after the branch's position: a branch at 4 is not joined by the turn at position 3
    expect(joinTurnOf(main, 4, 1, 1)).toBe(2);
    // never the spawning turn or one before it
    expect(joinTurnOf(main, 0, 1, 0)).toBe(1);
  });
});
