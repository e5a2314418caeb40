import { describe, expect, it } from "vitest";
import { combineNodeEnergy, withNodeEnergy } from "./energy-merge.js";

const part = (gpus: number, joules: number | null, complete = true, note?: string) => ({
  complete,
  gpus,
  avgPowerW: joules === null ? null : joules / 10,
  totalEnergyJ: joules,
  joulesPerOutputToken: null,
  joulesPerTotalToken: null,
  ...(note ? { note } : {}),
});
const window = { windowMs: 10_000, outputTokens: 1000, totalTokens: 5000 };

describe("energy of a deployment over several nodes", () => {
  it("sums the nodes: energy, power over the window, per-token figures; complete only if every node is", () => {
    const parts = [
      { node: "node 0", energy: part(8, 40_000) },
      { node: "node 1", energy: part(8, 30_000, false, "power samples cover 80% of the window") },
    ];
    expect(combineNodeEnergy(parts, { ...window, expectedNodes: 2 })).toEqual({
      complete: false,
      gpus: 16,
      avgPowerW: 7000,
      totalEnergyJ: 70_000,
      joulesPerOutputToken: 70,
      joulesPerTotalToken: 14,
      note: "node 1: power samples cover 80% of the window",
      nodes: parts,
    });
    const whole = combineNodeEnergy([parts[0]!, { node: "node 1", energy: part(8, 30_000) }], {
      ...window,
      expectedNodes: 2,
    });
    expect(whole.complete).toBe(true);
    expect(whole.note).toBeUndefined();
  });

  it("a node without a figure leaves the total unknown, saying which and why", () => {
    const e = combineNodeEnergy(
      [
        { node: "node 0", energy: part(8, 40_000) },
        { node: "node 1", energy: part(4, null, false, "no power samples for GPU 0 in the window") },
      ],
      { ...window, expectedNodes: 2 },
    );
    expect(e).toMatchObject({
      complete: false,
      gpus: 12,
      totalEnergyJ: null,
      avgPowerW: null,
      joulesPerOutputToken: null,
    });
    expect(e.note).toBe("node 1: no power samples for GPU 0 in the window");
  });

  it("members that have not reported yet: the sum of those that have, incomplete, and how many are missing", () => {
    const leaderOnly = combineNodeEnergy([{ node: "gb200-a", energy: part(4, 20_000) }], {
      ...window,
      expectedNodes: 3,
    });
    expect(leaderOnly).toMatchObject({
      complete: false,
      gpus: 4,
      totalEnergyJ: 20_000,
      note: "2 of 3 nodes not reported yet",
    });
    // the members' reports arrive one by one; a repeated report replaces that node's part
    let e = withNodeEnergy(leaderOnly, { node: "gb200-b", energy: part(4, 21_000) }, { ...window, expectedNodes: 3 });
    e = withNodeEnergy(e, { node: "gb200-b", energy: part(4, 22_000) }, { ...window, expectedNodes: 3 });
    expect(e).toMatchObject({ complete: false, gpus: 8, totalEnergyJ: 42_000, note: "1 of 3 nodes not reported yet" });
    e = withNodeEnergy(e, { node: "gb200-c", energy: part(4, 23_000) }, { ...window, expectedNodes: 3 });
    expect(e).toMatchObject({
      complete: true,
      gpus: 12,
      totalEnergyJ: 65_000,
      avgPowerW: 6500,
      joulesPerOutputToken: 65,
    });
    expect(e.nodes?.map((n) => n.node)).toEqual(["gb200-a", "gb200-b", "gb200-c"]);
  });

  it("a sum that includes an emulated node's part is labelled emulated", () => {
    const e = combineNodeEnergy(
      [
        { node: "emu-a", energy: { ...part(8, 10_000), emulated: true } },
        { node: "emu-b", energy: { ...part(8, 12_000), emulated: true } },
      ],
      { ...window, expectedNodes: 2 },
    );
    expect(e).toMatchObject({ complete: true, gpus: 16, totalEnergyJ: 22_000, emulated: true });
    // emulated energy is on the engines' clock (here 2× the wall window): power is the nodes' sum, not energy ÷ window
    const onEngineClock = (j: number) => ({ ...part(8, j), avgPowerW: j / 20, emulated: true });
    const scaled = combineNodeEnergy(
      [
        { node: "emu-a", energy: onEngineClock(10_000) },
        { node: "emu-b", energy: onEngineClock(12_000) },
      ],
      { ...window, expectedNodes: 2 },
    );
    expect(scaled.avgPowerW).toBe(1100);
    expect(combineNodeEnergy([{ node: "real", energy: part(8, 1) }], { ...window, expectedNodes: 1 }).emulated).toBe(
      undefined,
    );
  });
});
