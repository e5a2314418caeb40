import { describe, expect, it } from "vitest";
import { makeRow, TEST_SKUS } from "../test-support/result-rows.js";
import { costPerMillionTokens, interactivityFromTpot, pointMetrics } from "./per-point.js";

describe("per-point metrics (hand-computed, H100 $1.30/GPU-hr hyperscaler)", () => {
  it("normalises throughput by all GPUs and prices it for every TCO rate", () => {
    // 8×H100, 8000 tok/s total (4000 out) → 1000 tok/s/GPU = 3.6 M tokens per GPU-hour
    const row = makeRow({
      sku: "h100",
      tp: 8,
      concurrency: 64,
      totalTput: 8000,
      outputTput: 4000,
      medianTpotMs: 20,
      p90TpotMs: 25,
    });
    const m = pointMetrics(row.result, false, TEST_SKUS.h100);
    expect(m.tputPerGpu).toBe(1000);
    expect(m.outputTputPerGpu).toBe(500);
    expect(m.inputTputPerGpu).toBe(500);
    expect(m.cost.hyperscaler.total).toBeCloseTo(1.3 / 3.6, 12); // $0.3611 per M tokens
    expect(m.cost.hyperscaler.total).toBeCloseTo(0.36111, 5);
    expect(m.cost.neocloud.total).toBeCloseTo(1.69 / 3.6, 12);
    expect(m.cost.rental.total).toBeCloseTo(1.3 / 3.6, 12);
    expect(m.cost.hyperscaler.output).toBeCloseTo(1.3 / 1.8, 12); // 500 tok/s/GPU = 1.8 M/h
    expect(m.cost.hyperscaler.input).toBeCloseTo(1.3 / 1.8, 12);
    expect(m.interactivity).toBe(50); // 1000 / 20 ms
    expect(m.p90Interactivity).toBe(40); // 1000 / 25 ms
    expect(m.tokensPerSecPerMw).toBeCloseTo((1000 * 1000) / 1.73, 6); // 578,034.7 tok/s per MW
    expect(m.provisionedJoulesPerToken).toBeCloseTo(1.73, 12); // 1730 W ÷ 1000 tok/s
    expect(m.ttftMs.median).toBe(200);
    expect(m.e2elMs.median).toBeCloseTo(200 + 20 * 1023, 9);
    expect(m.joulesPerToken).toBeNull();
  });

  it("splits disaggregated throughput by prefill and decode GPUs", () => {
    // 1P(TP8) + 1D(TP16): 24000 tok/s total, 9600 output
    const row = makeRow({
      sku: "gb200",
      disagg: { prefillGpus: 8, decodeGpus: 16 },
      concurrency: 256,
      totalTput: 24000,
      outputTput: 9600,
      medianTpotMs: 10,
    });
    const m = pointMetrics(row.result, true, TEST_SKUS.gb200);
    expect(m.tputPerGpu).toBe(1000);
    expect(m.outputTputPerGpu).toBe(600);
    expect(m.inputTputPerGpu).toBe(1800);
    expect(m.cost.hyperscaler.total).toBeCloseTo(2.21 / 3.6, 12);
    expect(m.cost.hyperscaler.output).toBeCloseTo(2.21 / ((600 * 3600) / 1e6), 12);
    expect(m.cost.rental.input).toBeCloseTo(3.3 / ((1800 * 3600) / 1e6), 12);
  });

  it("energy per token = measured joules ÷ tokens", () => {
    const row = makeRow({
      concurrency: 8,
      totalTput: 8000,
      medianTpotMs: 20,
      energyJ: 700_000,
      inputTokens: 500_000,
      outputTokens: 500_000,
    });
    const m = pointMetrics(row.result, false, TEST_SKUS.h100);
    expect(m.joulesPerToken).toBeCloseTo(0.7, 12);
    expect(m.joulesPerOutputToken).toBeCloseTo(1.4, 12);
    expect(m.energyComplete).toBe(true);
  });

  it("falls back to the reported J/token when token totals are unknown (imported rows)", () => {
    const row = makeRow({
      concurrency: 8,
      totalTput: 8000,
      medianTpotMs: 20,
      energyJ: 700_000,
      inputTokens: 0,
      outputTokens: 0,
    });
    row.result.energy = {
      complete: true,
      gpus: 8,
      avgPowerW: 600,
      totalEnergyJ: 700_000,
      joulesPerOutputToken: 1.1,
      joulesPerTotalToken: 0.55,
    };
    const m = pointMetrics(row.result, false, TEST_SKUS.h100);
    expect(m.joulesPerToken).toBe(0.55);
    expect(m.joulesPerOutputToken).toBe(1.1);
  });

  it("edge values: no throughput → no cost; no TPOT → no interactivity", () => {
    expect(costPerMillionTokens(1.3, 0)).toBeNull();
    expect(interactivityFromTpot(0)).toBeNull();
    expect(interactivityFromTpot(undefined)).toBeNull();
    expect(interactivityFromTpot(8.62)).toBeCloseTo(116.009, 3);
  });
});
