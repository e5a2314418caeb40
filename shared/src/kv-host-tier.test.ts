/** The launched host tier of a point in a line: the largest process, the total, per-role detail. */
import { describe, expect, it } from "vitest";
import { hostTierBrief, type KvHostTier } from "./kv-host-tier.js";

const prefill = (process: string, gb: number, ranks: number): KvHostTier => ({
  process,
  role: "prefill",
  kind: "gb",
  gb,
  setting: `--hicache-size ${gb / ranks} (GB per rank) × ${ranks} ranks`,
});

describe("hostTierBrief", () => {
  it("gives the largest process's tier, the total and each role's settings", () => {
    expect(
      hostTierBrief([
        prefill("prefill-0-rank0", 16, 4),
        prefill("prefill-1-rank0", 8, 2),
        { process: "decode-0-rank0", role: "decode", kind: "none" },
      ]),
    ).toEqual({
      gbPerProcess: 16,
      totalGb: 24,
      label: "16 GB",
      detail:
        "prefill ×2: 16 GB (--hicache-size 4 (GB per rank) × 4 ranks), 8 GB (--hicache-size 4 (GB per rank) × 2 ranks); decode ×1: none",
    });
  });

  it("names tiers without a size, and nothing when the point has no record", () => {
    expect(hostTierBrief(undefined)).toBeNull();
    expect(hostTierBrief([])).toBeNull();
    expect(hostTierBrief([{ process: "w", role: "worker", kind: "none" }])).toMatchObject({
      gbPerProcess: null,
      totalGb: 0,
      label: "none",
      detail: "worker ×1: none",
    });
    const ratio = hostTierBrief([
      { process: "w", role: "worker", kind: "ratio", ratio: 2, setting: "--hicache-ratio 2 (default)" },
    ]);
    expect(ratio).toMatchObject({ gbPerProcess: null, label: "2× GPU pool" });
    expect(ratio!.detail).toBe("worker ×1: 2× GPU pool (--hicache-ratio 2 (default))");
    expect(
      hostTierBrief([{ process: "w", role: "worker", kind: "external", setting: "LMCacheConnectorV1" }])!.label,
    ).toBe("external");
  });
});
