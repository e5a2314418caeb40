/** The job view's pure parts (controller/dashboard/src/lib/job-view.ts). */
import { describe, expect, it } from "vitest";
import {
  attemptPoints,
  energyTitle,
  evalFigures,
  gangTelemetry,
  type JobPointRow,
} from "../../controller/dashboard/src/lib/job-view.js";

const point = (id: number, attemptId: string, concurrency: number): JobPointRow => ({
  id,
  attemptId,
  concurrency,
  isl: 1024,
  osl: 1024,
  status: "ok",
  tputPerGpu: 1000,
  outputThroughput: 5000,
  medianTtftMs: 100,
  medianTpotMs: 10,
  interactivity: 100,
  emulated: true,
  receivedAt: "2026-12-04T12:00:00Z",
  result: {},
});

describe("attemptPoints", () => {
  const points = [point(1, "a1", 64), point(2, "a2", 4), point(3, "a2", 16), point(4, "a1", 8)];
  it("the selected attempt's points by concurrency", () => {
    expect(attemptPoints(points, "a2", false).map((p) => p.id)).toEqual([2, 3]);
  });
  it("every point of the job when asked, or when no attempt is selected", () => {
    expect(attemptPoints(points, "a2", true).map((p) => p.concurrency)).toEqual([4, 8, 16, 64]);
    expect(attemptPoints(points, undefined, false)).toHaveLength(4);
  });
});

describe("evalFigures", () => {
  it("takes the result's figures, else the flat columns", () => {
    expect(
      evalFigures({
        result: {
          strict: { exactMatch: 0.91 },
          flexible: { exactMatch: 0.93 },
          threshold: 0.9,
          passed: true,
          n: 100,
          emulated: true,
        },
      }),
    ).toEqual({ strict: 0.91, flexible: 0.93, threshold: 0.9, passed: true, emulated: true });
    expect(evalFigures({ strictEm: 0.5, flexibleEm: 0.6, threshold: 0.9, passed: false })).toEqual({
      strict: 0.5,
      flexible: 0.6,
      threshold: 0.9,
      passed: false,
      emulated: undefined,
    });
  });
});

describe("gangTelemetry", () => {
  it("sums power over the gang's nodes and averages utilisation; a node without a figure counts 0", () => {
    expect(
      gangTelemetry([
        { powerW: 5000, utilPct: 90 },
        { powerW: null, utilPct: 30 },
      ]),
    ).toEqual({ powerW: 5000, utilPct: 60 });
    expect(gangTelemetry([])).toEqual({ powerW: 0, utilPct: 0 });
  });
});

describe("energyTitle", () => {
  it("names the total, marks it partial, lists each node's part and the note", () => {
    expect(
      energyTitle({
        complete: false,
        gpus: 16,
        totalEnergyJ: 1200,
        joulesPerTotalToken: 0.5,
        note: "node b did not report",
        nodes: [
          { node: "a", energy: { gpus: 8, totalEnergyJ: 1200, complete: true } },
          { node: "b", energy: { gpus: 8, totalEnergyJ: null, complete: false } },
        ],
      }),
    ).toBe("16 GPUs, 1,200 J (partial)\na: 8 GPUs, 1,200 J\nb: 8 GPUs, no figure\nnode b did not report");
    expect(energyTitle(undefined)).toBeUndefined();
  });
});
