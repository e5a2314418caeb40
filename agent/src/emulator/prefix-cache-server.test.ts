/**
 * The emulated engine's prefix cache and DRAM tier under an agentic trace replay: hit rate and TTFT
 * respond to reuse and to the DRAM budget, and /metrics serves the counters under vLLM's and
 * SGLang's names as the engine-metrics scraper reads them.
 */
import { parsePrometheusText, totalsByName } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { runLoadPoint } from "../loadgen/run-load-point.js";
import { type EmulatorOptionsInput, parseEmulatorOptions } from "./options.js";
import { startEmulator } from "./server.js";

const trace = {
  seed: 11,
  trajectories: 8,
  turns: { min: 6, max: 10 },
  sharedPrefixTokens: 2048,
  firstTurnTokens: { median: 2000, sigma: 0.3 },
  newTokensPerTurn: { median: 600, sigma: 0.5 },
  outputTokens: { median: 12, sigma: 0.3 },
  gapMs: { median: 20, sigma: 0.3 },
  blockTokens: 64,
};

async function scrape(url: string): Promise<Map<string, number>> {
  const totals = totalsByName(parsePrometheusText(await (await fetch(`${url}/metrics`)).text()));
  return new Map([...totals].map(([k, v]) => [k, v.sum]));
}

/** sglang:cached_tokens_total per cache_source */
function cachedBySource(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parsePrometheusText(text))
    if (s.name === "sglang:cached_tokens_total") out[s.labels.cache_source!] = s.value;
  return out;
}

/** replays the trace against an emulator with these options; the counters' increase and mean TTFT */
async function replay(o: EmulatorOptionsInput) {
  const emu = await startEmulator({ sku: "h200", model: "llama3-8b", timeScale: 0.05, prefixCache: true, ...o });
  try {
    const before = await scrape(emu.url);
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 8,
      timing: "engine",
      agentic: { trace: { synthetic: trace }, durationS: 2.5, graceS: 10 },
    });
    const metricsText = await (await fetch(`${emu.url}/metrics`)).text();
    const after = await scrape(emu.url);
    const inc = (n: string) => (after.get(n) ?? Number.NaN) - (before.get(n) ?? 0);
    expect(res.status).toBe("ok");
    return { res, inc, after, metricsText, ttftMs: res.agentic!.ttftMs.mean! };
  } finally {
    await emu.close();
  }
}

describe("emulated prefix cache under trace replay", () => {
  it("hit rate and TTFT follow reuse and the DRAM budget", async () => {
    const none = await replay({ prefixCache: false });
    const small = await replay({ cacheTokens: 12_000 });
    const dram = await replay({ cacheTokens: 12_000, dramOffloadGb: 20 });
    const hitRate = (r: typeof none) =>
      r.inc("vllm:prefix_cache_hits_total") / r.inc("vllm:prefix_cache_queries_total");
    expect(hitRate(none)).toBe(0);
    expect(none.after.has("vllm:external_prefix_cache_hits_total")).toBe(false);
    // growing histories: most of each turn's prompt was sent before
    expect(hitRate(dram)).toBeGreaterThan(0.6);
    expect(hitRate(dram)).toBeGreaterThan(hitRate(small) + 0.1);
    expect(dram.inc("vllm:external_prefix_cache_hits_total")).toBeGreaterThan(0);
    expect(dram.inc("vllm:external_prefix_cache_queries_total")).toBeGreaterThanOrEqual(
      dram.inc("vllm:external_prefix_cache_hits_total"),
    );
    expect(dram.ttftMs).toBeLessThan(none.ttftMs / 2);
    expect(dram.ttftMs).toBeLessThan(small.ttftMs);
  }, 120_000);

  it("sizes the host tier as a multiple of the GPU tier (SGLang's --hicache-ratio)", async () => {
    const tiny = await replay({ cacheTokens: 12_000, dramOffloadRatio: 0.05, metricNames: "sglang" });
    const large = await replay({ cacheTokens: 12_000, dramOffloadRatio: 8, metricNames: "sglang" });
    const models = async (ratio: number) => {
      const emu = await startEmulator({ sku: "h200", prefixCache: true, cacheTokens: 12_000, dramOffloadRatio: ratio });
      try {
        return (await (await fetch(`${emu.url}/v1/models`)).json()).data[0].benchfleet.prefix_cache;
      } finally {
        await emu.close();
      }
    };
    expect(await models(8)).toMatchObject({ dram_offload_ratio: 8, dram_tier_tokens: 96_000 });
    expect(large.inc("sglang:load_back_tokens_total")).toBeGreaterThan(tiny.inc("sglang:load_back_tokens_total"));
    expect(large.after.get("sglang:cache_hit_rate")).toBeGreaterThan(tiny.after.get("sglang:cache_hit_rate")! + 0.1);
    expect(large.ttftMs).toBeLessThan(tiny.ttftMs);
    expect(() => parseEmulatorOptions({ dramOffloadGb: 10, dramOffloadRatio: 2 })).toThrow(
      "dramOffloadRatio: give the host-DRAM tier as --dram-offload-gb or --dram-offload-ratio, not both",
    );
  }, 120_000);

  it("serves SGLang's names: cache hit rate and tokens loaded back from the host tier", async () => {
    const r = await replay({ cacheTokens: 12_000, dramOffloadGb: 20, metricNames: "sglang" });
    expect(r.after.has("vllm:prefix_cache_hits_total")).toBe(false);
    expect(r.after.get("sglang:cache_hit_rate")).toBeGreaterThan(0.5);
    expect(r.inc("sglang:load_back_tokens_total")).toBeGreaterThan(0);
    expect(r.after.get("sglang:num_running_reqs")).toBeGreaterThanOrEqual(0);
    // cached prompt tokens by source (device + host), of every prompt token
    const cached = cachedBySource(r.metricsText);
    expect(cached.host).toBe(r.after.get("sglang:load_back_tokens_total"));
    expect(cached.device).toBeGreaterThan(0);
    const rate = (cached.device! + cached.host!) / r.after.get("sglang:prompt_tokens_total")!;
    expect(rate).toBeGreaterThan(0.5);
    expect(rate).toBeLessThan(1);
  }, 120_000);
});
