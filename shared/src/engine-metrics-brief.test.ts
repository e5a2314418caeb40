import { describe, expect, it } from "vitest";
import type { EngineRoleMetrics } from "./engine-metrics.js";
import { engineMetricsBrief, formatEngineMetrics } from "./engine-metrics-brief.js";

function role(over: Partial<EngineRoleMetrics>): EngineRoleMetrics {
  return {
    role: "worker",
    process: "worker-0",
    url: "http://127.0.0.1:8000/metrics",
    engine: "vllm",
    scrapes: 10,
    failedScrapes: 0,
    kvCacheUsage: null,
    requestsRunning: null,
    requestsWaiting: null,
    prefixCache: null,
    specDecode: null,
    preemptions: null,
    offload: null,
    ...over,
  };
}

describe("engineMetricsBrief", () => {
  it("folds a disaggregated deployment's roles: kv max, token-weighted hit rate, the decode role's acceptance", () => {
    const b = engineMetricsBrief({
      intervalMs: 1000,
      roles: [
        role({
          role: "prefill",
          kvCacheUsage: { mean: 0.2, max: 0.35 },
          prefixCache: { hitRate: 0.5, hitTokens: 500, queryTokens: 1000 },
          // a prefill role's figure does not count while a decode role reports one
          specDecode: { acceptanceLength: 1.1, acceptanceRate: 0.1, drafts: 1, draftTokens: 3, acceptedTokens: 0 },
          preemptions: 1,
        }),
        role({
          role: "decode",
          kvCacheUsage: { mean: 0.6, max: 0.81 },
          prefixCache: { hitRate: 0, hitTokens: 0, queryTokens: 3000 },
          specDecode: { acceptanceLength: 2.4, acceptanceRate: 0.7, drafts: 10, draftTokens: 30, acceptedTokens: 14 },
          preemptions: 2,
        }),
      ],
    });
    expect(b).toEqual({
      kvCacheUsageMax: 0.81,
      prefixHitRate: 500 / 4000,
      acceptanceLength: 2.4,
      acceptanceRate: 0.7,
      preemptions: 3,
      problems: [],
    });
  });

  it("takes the roles' hit-rate gauges when no role counts looked-up tokens", () => {
    const b = engineMetricsBrief({
      intervalMs: 1000,
      roles: [
        role({ engine: "sglang", prefixCache: { hitRate: 0.2, hitTokens: null, queryTokens: null } }),
        role({ engine: "sglang", prefixCache: { hitRate: 0.4, hitTokens: null, queryTokens: null } }),
      ],
    });
    expect(b.prefixHitRate).toBeCloseTo(0.3, 10);
    expect(b.kvCacheUsageMax).toBeNull();
    expect(b.preemptions).toBeNull();
  });
});

describe("formatEngineMetrics", () => {
  it("prints the figures served and leaves out the others", () => {
    expect(
      formatEngineMetrics({
        intervalMs: 1000,
        roles: [
          role({
            kvCacheUsage: { mean: 0.5, max: 0.624 },
            specDecode: {
              acceptanceLength: 2.414,
              acceptanceRate: null,
              drafts: null,
              draftTokens: null,
              acceptedTokens: null,
            },
            preemptions: 0,
          }),
        ],
      }),
    ).toBe("kv 62% · accept 2.41 · preempt 0");
  });

  it("says why a point has no figures, and nothing for a point never scraped", () => {
    expect(
      formatEngineMetrics({
        intervalMs: 1000,
        roles: [role({ scrapes: 0, failedScrapes: 3, problem: "3 of 3 scrapes failed: HTTP 404" })],
      }),
    ).toBe("engine metrics: worker: 3 of 3 scrapes failed: HTTP 404");
    expect(formatEngineMetrics({ intervalMs: 1000, roles: [role({})] })).toBe("engine metrics: none read");
    expect(formatEngineMetrics(undefined)).toBe("");
  });
});
