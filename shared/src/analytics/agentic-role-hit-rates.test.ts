/**
 * Hit rates of a disaggregated agentic point: the overall sums every role's counters (as the lab's
 * aggregation sums every worker it scrapes), per role each role's own; roles in prefill, decode,
 * worker order; one role gives no per-role text.
 */
import { describe, expect, it } from "vitest";
import type { EngineRoleMetrics } from "../engine-metrics.js";
import { makeAgenticResult } from "../test-support/agentic-results.js";
import { agenticHitRate } from "./agentic-frontier.js";
import { agenticRoleHitRates, roleHitRatesText } from "./agentic-role-hit-rates.js";

const role = (r: string, process: string, hitTokens: number | null, queryTokens: number | null): EngineRoleMetrics => ({
  role: r,
  process,
  url: `http://127.0.0.1:1/${process}`,
  engine: "sglang",
  scrapes: 5,
  failedScrapes: 0,
  kvCacheUsage: null,
  requestsRunning: null,
  requestsWaiting: null,
  prefixCache: hitTokens === null ? null : { hitRate: null, hitTokens, queryTokens },
  specDecode: null,
  preemptions: null,
  offload: null,
});

const disagg = (...roles: EngineRoleMetrics[]) => ({
  ...makeAgenticResult({ concurrency: 8, tputPerGpu: 100, interactivity: 50, hitRate: null }),
  engineMetrics: { intervalMs: 1000, roles },
});

describe("agentic hit rates per role", () => {
  it("sums every role for the overall and keeps each role's own", () => {
    const r = disagg(
      role("decode", "decode-0-rank0", 0, 4000),
      role("prefill", "prefill-0-rank0", 600, 1000),
      role("prefill", "prefill-1-rank0", 2400, 3000),
    );
    // (600 + 2400 + 0) / (1000 + 3000 + 4000)
    expect(agenticHitRate(r)).toBeCloseTo(0.375, 9);
    expect(agenticRoleHitRates(r)).toEqual([
      { role: "prefill", hitRate: 0.75 },
      { role: "decode", hitRate: 0 },
    ]);
    expect(roleHitRatesText(agenticRoleHitRates(r))).toBe("prefill 75.0% · decode 0.0%");
  });

  it("a role without figures has none; one role gives no per-role text", () => {
    const r = disagg(role("prefill", "p", 50, 100), role("decode", "d", null, null));
    expect(agenticRoleHitRates(r)).toEqual([
      { role: "prefill", hitRate: 0.5 },
      { role: "decode", hitRate: null },
    ]);
    expect(roleHitRatesText(agenticRoleHitRates(r))).toBe("prefill 50.0% · decode –");
    const agg = makeAgenticResult({ concurrency: 4, tputPerGpu: 100, interactivity: 50, hitRate: 0.4 });
    expect(agenticRoleHitRates(agg)).toEqual([{ role: "worker", hitRate: 0.4 }]);
    expect(roleHitRatesText(agenticRoleHitRates(agg))).toBe("");
    expect(agenticRoleHitRates(disagg())).toEqual([]);
  });
});
