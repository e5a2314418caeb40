import type { Telemetry } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { TelemetryHistory } from "./telemetry-history.js";

const sample = (atMs: number, powerW: number): Telemetry => ({
  at: new Date(atMs).toISOString(),
  gpuTelemetry: true,
  gpus: [0, 1].map((index) => ({ index, powerW, utilPct: 50, memUsedMiB: 512, tempC: 40, smClockMHz: 1800 })),
  cpuPct: null,
  memUsedMiB: null,
  memTotalMiB: null,
});

describe("TelemetryHistory", () => {
  it("keeps the newest `capacity` summarised samples per node, in time order", () => {
    const h = new TelemetryHistory(3);
    for (let i = 1; i <= 5; i++) h.add("a", sample(i * 1000, i * 100));
    h.add("b", sample(1000, 7));
    expect(h.points("a").map((p) => [p.at, p.powerW])).toEqual([
      [3000, 600],
      [4000, 800],
      [5000, 1000],
    ]);
    expect(h.points("a")[0]).toMatchObject({ utilPct: 50, memUsedGiB: 1 });
    expect(h.points("b")).toHaveLength(1);
    expect(h.points("unknown")).toEqual([]);
    expect(h.nodeIds()).toEqual(["a", "b"]);
  });

  it("ignores a sample not newer than the node's last (a replayed or reordered heartbeat) and one without a readable time", () => {
    const h = new TelemetryHistory();
    h.add("a", sample(2000, 1));
    h.add("a", sample(2000, 2));
    h.add("a", sample(1000, 3));
    h.add("a", { ...sample(3000, 4), at: "not a time" });
    expect(h.points("a").map((p) => p.powerW)).toEqual([2]); // 2 GPUs × 1 W
  });
});
