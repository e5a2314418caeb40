/** The live error gate: the lab's grace floor, a strict ratio, decided once. */
import { describe, expect, it } from "vitest";
import { LiveErrorGate, localGate } from "./agentic-error-gate.js";

describe("the live error gate", () => {
  it("waits for max(concurrency, 10) finished turns, then trips when the ratio exceeds the threshold", () => {
    const g = new LiveErrorGate(0.1, 4);
    expect(g.floor).toBe(10);
    expect(g.add(9, 9)).toBeUndefined();
    expect(g.add(1, 0)).toBe("live error ratio 9/10 exceeded 10 %");
    // decided once
    expect(g.add(5, 5)).toBeUndefined();
    expect(new LiveErrorGate(0.1, 64).floor).toBe(64);
  });

  it("a ratio equal to the threshold passes", () => {
    const g = new LiveErrorGate(0.1, 1);
    expect(g.add(90, 0)).toBeUndefined();
    expect(g.add(10, 10)).toBeUndefined();
    expect(g.add(1, 1)).toBe("live error ratio 11/101 exceeded 10 %");
  });

  it("counts from several sources add up before the gate judges", () => {
    const g = new LiveErrorGate(0.5, 10);
    // one source failing every turn, another never: 6 of 12 is not over half
    expect(g.add(6, 6)).toBeUndefined();
    expect(g.add(6, 0)).toBeUndefined();
    expect(g.add(1, 1)).toBe("live error ratio 7/13 exceeded 50 %");
  });

  it("a local gate calls the replay's stop once, with the reason", () => {
    const gate = localGate(new LiveErrorGate(0, 1));
    const stops: string[] = [];
    gate.onTrip((r) => stops.push(r));
    for (let i = 0; i < 9; i++) gate.count(false);
    expect(stops).toEqual([]);
    gate.count(true);
    gate.count(true);
    expect(stops).toEqual(["live error ratio 1/10 exceeded 0 %"]);
  });
});
