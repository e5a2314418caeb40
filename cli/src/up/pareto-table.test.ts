import { testCatalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { costPerMillion, fmtJoules, pointEnergy, renderParetoTables } from "./pareto-table.js";

describe("up's Pareto table", () => {
  it("costs a million tokens at the SKU's hyperscaler rate", () => {
    // H100 $1.30/GPU-hour at 1000 tok/s/GPU: 3.6 M tokens per hour
    expect(costPerMillion(1000, 1.3)).toBeCloseTo(1.3 / 3.6);
  });
  it("prints one table per group, points by interactivity, with cost", () => {
    const group = {
      model: "gptoss",
      precision: "fp4",
      isl: 1024,
      osl: 128,
      sku: "h100",
      framework: "vllm",
      specDecoding: "mtp",
      disagg: false,
    };
    const out = renderParetoTables(
      [
        {
          key: "k",
          group,
          points: [
            { x: 300, y: 1000, concurrency: 8, parallelism: "TP2", gpus: 2, joulesPerToken: 0.5 },
            { x: 100, y: 2000, concurrency: 32, parallelism: "TP2", gpus: 2, joulesPerToken: null },
          ],
        },
      ],
      testCatalog,
    );
    expect(out).toContain("h100 · vllm · gptoss fp4 · ISL/OSL 1024/128 · mtp");
    const rows = out.trim().split("\n").slice(-2);
    expect(out).toMatch(/tok\/s\/user\s+tok\/s\/GPU\s+\$\/M tok\s+J\/tok\s+conc/);
    // a point without power samples leaves J/tok empty
    expect(rows[0]).toMatch(/^100\.0\s+2000\.0\s+0\.181\s+32\s+TP2\s+2$/);
    expect(rows[1]).toMatch(/^300\.0\s+1000\.0\s+0\.361\s+0\.500\s+8\s+TP2\s+2$/);
    expect(renderParetoTables([], testCatalog)).toMatch(/no results/);
    expect([0.01234, 1.5, 123.4].map(fmtJoules)).toEqual(["0.0123", "1.50", "123"]);
  });
  it("takes a stored point's energy for the JSON summary", () => {
    const energy = {
      complete: true,
      gpus: 8,
      avgPowerW: 4000,
      totalEnergyJ: 800,
      joulesPerOutputToken: 0.8,
      joulesPerTotalToken: 0.2,
      emulated: true,
    };
    expect(pointEnergy({ energy })).toEqual({
      joulesPerToken: 0.2,
      joulesPerOutputToken: 0.8,
      avgPowerW: 4000,
      energyGpus: 8,
      energyEmulated: true,
    });
    expect(pointEnergy({})).toEqual({
      joulesPerToken: null,
      joulesPerOutputToken: null,
      avgPowerW: null,
      energyGpus: null,
      energyEmulated: false,
    });
  });
});
