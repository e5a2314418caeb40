import { describe, expect, it } from "vitest";
import { makeRow, TEST_SKUS } from "../test-support/result-rows.js";
import { engineSummary, explorerPointOf } from "./explorer-point.js";
import { analyzeRow } from "./row-frontier.js";

describe("explorer points", () => {
  it("carry the scenario, series fields, every axis and the job of a measured row", () => {
    const row = makeRow({ concurrency: 16, totalTput: 8000, medianTpotMs: 20, energyJ: 5000, specDecoding: "mtp" });
    row.provenance = { kind: "measured", attemptId: "att-1", jobId: "job-1", engineVersion: "0.5.0" };
    const p = explorerPointOf(analyzeRow(row, TEST_SKUS));
    expect(p).toMatchObject({
      family: "dsr1",
      isl: 1024,
      osl: 1024,
      sku: "h100",
      spec: true,
      specDecoding: "mtp",
      parallelism: "TP8",
      jobId: "job-1",
      engineVersion: "0.5.0",
      interactivity: 50,
      tputPerGpu: 1000,
      ttftMs: 200,
      imported: false,
      engine: null,
    });
    expect(p.e2elMs).toBeCloseTo(200 + 20 * 1023);
    // $1.3 per GPU-hour at 1000 tok/s/GPU = 3.6 M tokens per hour
    expect(p.costPerMillion).toBeCloseTo(1.3 / 3.6);
    expect(p.joulesPerToken).toBeCloseTo(5000 / (1024 * 160 * 2));
  });

  it("an imported row has no job; spec decoding 'none' is off", () => {
    const row = makeRow({ concurrency: 4, totalTput: 1000, medianTpotMs: 10 });
    row.provenance = { kind: "imported", source: "agg.json", format: "inferencex-agg" };
    const p = explorerPointOf(analyzeRow(row, TEST_SKUS));
    expect(p.jobId).toBeNull();
    expect(p.imported).toBe(true);
    expect(p.spec).toBe(false);
  });

  it("engine summary: highest KV use, the busiest prefix cache, the decode role's acceptance length", () => {
    const role = (over: Record<string, unknown>) => ({
      role: "worker",
      process: "p",
      url: "http://x/metrics",
      engine: "vllm" as const,
      scrapes: 3,
      failedScrapes: 0,
      kvCacheUsage: null,
      requestsRunning: null,
      requestsWaiting: null,
      prefixCache: null,
      specDecode: null,
      preemptions: null,
      offload: null,
      ...over,
    });
    const spec = (len: number) => ({
      acceptanceLength: len,
      acceptanceRate: 0.5,
      drafts: 1,
      draftTokens: 1,
      acceptedTokens: 1,
    });
    const s = engineSummary({
      intervalMs: 1000,
      roles: [
        role({
          role: "decode",
          kvCacheUsage: { mean: 0.4, max: 0.5 },
          prefixCache: { hitRate: 0.1, hitTokens: 10, queryTokens: 100 },
          specDecode: spec(2.5),
        }),
        role({
          role: "prefill",
          kvCacheUsage: { mean: 0.7, max: 0.9 },
          prefixCache: { hitRate: 0.6, hitTokens: 600, queryTokens: 1000 },
          specDecode: spec(1.2),
        }),
      ],
    } as never);
    // peak KV use, hits over looked-up tokens of both roles, the decode role's acceptance
    expect(s).toEqual({ kvCacheUsage: 0.9, prefixHitRate: 610 / 1100, acceptanceLength: 2.5 });
    expect(engineSummary(undefined)).toBeNull();
    expect(engineSummary({ intervalMs: 1000, roles: [role({})] } as never)).toBeNull();
  });
});
