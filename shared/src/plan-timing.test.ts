import { describe, expect, it } from "vitest";
import { packedSeconds, planTiming, type TimingInput } from "./plan-timing.js";

const dep = (fingerprint: string, o: Partial<TimingInput> = {}): TimingInput => ({
  fingerprint,
  sku: "h200",
  framework: "sglang",
  runner: "h200",
  nodes: 1,
  points: 3,
  modelSeconds: 1000,
  ...o,
});
const job = (fingerprint: string, wallS: number, o: Record<string, unknown> = {}) => ({
  fingerprint,
  sku: "h200",
  framework: "sglang",
  status: "succeeded" as const,
  startedAt: "2026-12-04T10:00:00.000Z",
  finishedAt: new Date(Date.parse("2026-12-04T10:00:00.000Z") + wallS * 1000).toISOString(),
  estimatedSeconds: 1000,
  pointsTotal: 3,
  ...o,
});

describe("plan timing", () => {
  it("a deployment run before takes its median measured time; its kind calibrates the model; else the model", () => {
    const t = planTiming(
      [dep("a"), dep("b"), dep("c", { framework: "vllm" }), dep("a", { points: 5 })],
      [
        job("a", 100),
        job("a", 300),
        job("a", 200),
        job("a", 900, { status: "failed" }),
        // the kind's pace: 700 s measured of 4000 planned (these three and one more)
        job("x", 100, { estimatedSeconds: 1000 }),
      ],
      { h200: 8 },
      "fleet",
    );
    expect(t.deployments.map((d) => [d.basis, Math.round(d.wallSeconds), d.jobs])).toEqual([
      ["measured", 200, 3],
      ["calibrated", 175, 4],
      ["model", 1000, 0],
      ["calibrated", 175, 4], // same fingerprint, other points: not the same run
    ]);
    expect(t.deployments[1]!.factor).toBeCloseTo(0.175);
    expect(t.bases).toEqual({ measured: 1, calibrated: 2, model: 1 });
    expect(t.serialSeconds).toBeCloseTo(1550);
    // 4 launches on 8 nodes: side by side, the longest decides
    expect(t.wallSeconds).toBeCloseTo(1000);
    expect(t.byRunner.h200).toEqual({ nodes: 8, nodesKnown: true, launches: 4, wallSeconds: 1000 });
  });

  it("packs gangs onto a label's nodes, longest first; labels side by side; unknown labels get their largest gang", () => {
    expect(
      packedSeconds(
        [
          { nodes: 1, seconds: 10 },
          { nodes: 1, seconds: 10 },
          { nodes: 1, seconds: 10 },
        ],
        2,
      ),
    ).toBe(20);
    // a 2-node gang waits for both nodes; the 1-node jobs fill in around it
    expect(
      packedSeconds(
        [
          { nodes: 2, seconds: 30 },
          { nodes: 1, seconds: 20 },
          { nodes: 1, seconds: 5 },
          { nodes: 1, seconds: 5 },
        ],
        2,
      ),
    ).toBe(50);
    const t = planTiming(
      [
        dep("p", { runner: "gb200", nodes: 4, modelSeconds: 600 }),
        dep("q", { runner: "gb200", nodes: 2, modelSeconds: 600 }),
        dep("r", { runner: "h100", modelSeconds: 300 }),
      ],
      [],
      {},
      "none",
    );
    expect(t.byRunner.gb200).toEqual({ nodes: 4, nodesKnown: false, launches: 2, wallSeconds: 1200 });
    expect(t.byRunner.h100).toEqual({ nodes: 1, nodesKnown: false, launches: 1, wallSeconds: 300 });
    expect(t.wallSeconds).toBe(1200);
    expect(t.bases).toEqual({ measured: 0, calibrated: 0, model: 3 });
  });
});
