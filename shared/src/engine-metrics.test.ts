import { describe, expect, it } from "vitest";
import {
  ENGINE_METRIC_LABEL_SPLITS,
  EngineRoleMetrics,
  type EngineScrape,
  summarizeEngineScrapes,
} from "./engine-metrics.js";
import { PrometheusTextError, parsePrometheusText, totalsByName } from "./prometheus-text.js";

const ref = { role: "decode", process: "decode-0-rank0", url: "http://10.0.0.2:8000/metrics" };

function scrape(atMs: number, text: string): EngineScrape {
  return { atMs, totals: totalsByName(parsePrometheusText(text)) };
}

describe("parsePrometheusText", () => {
  it("reads names, labels (with escapes) and values, skipping comments", () => {
    const s = parsePrometheusText(
      [
        "# HELP vllm:num_requests_running Requests running",
        "# TYPE vllm:num_requests_running gauge",
        'vllm:num_requests_running{model_name="m",engine="0"} 3',
        'sglang:token_usage{model_name="a \\"q\\" b",tp_rank="0"} 2.5e-1',
        "plain_total 7 1700000000000",
        "lag_seconds Nan",
        'x{le="+Inf"} +Inf',
        "",
      ].join("\n"),
    );
    expect(s).toEqual([
      { name: "vllm:num_requests_running", labels: { model_name: "m", engine: "0" }, value: 3 },
      { name: "sglang:token_usage", labels: { model_name: 'a "q" b', tp_rank: "0" }, value: 0.25 },
      { name: "plain_total", labels: {}, value: 7 },
      { name: "lag_seconds", labels: {}, value: Number.NaN },
      { name: "x", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it("names the line and column of what it cannot read", () => {
    expect(() => parsePrometheusText("ok 1\nvllm:x{model_name=m} 1")).toThrow(PrometheusTextError);
    expect(() => parsePrometheusText("ok 1\nvllm:x{model_name=m} 1")).toThrow(/^line 2:8: expected label="value"/);
    expect(() => parsePrometheusText("vllm:y twelve")).toThrow(/^line 1:7: expected a number after vllm:y/);
    expect(() => parsePrometheusText("<html>not metrics</html>")).toThrow(/^line 1:1: expected a metric name/);
    expect(() => parsePrometheusText('a{b="c} 1')).toThrow(/unterminated value of label b/);
  });
});

describe("summarizeEngineScrapes", () => {
  it("summarises vLLM gauges, counter increases and spec-decode acceptance over the point", () => {
    const at = (i: number, run: number, kv: number, drafts: number, acc: number, hits: number, q: number) =>
      scrape(
        i * 1000,
        [
          `vllm:num_requests_running{model_name="m"} ${run}`,
          'vllm:num_requests_waiting{model_name="m"} 0',
          `vllm:kv_cache_usage_perc{model_name="m"} ${kv}`,
          `vllm:spec_decode_num_drafts_total{model_name="m"} ${drafts}`,
          `vllm:spec_decode_num_draft_tokens_total{model_name="m"} ${drafts * 3}`,
          `vllm:spec_decode_num_accepted_tokens_total{model_name="m"} ${acc}`,
          `vllm:prefix_cache_hits_total{model_name="m"} ${hits}`,
          `vllm:prefix_cache_queries_total{model_name="m"} ${q}`,
          `vllm:num_preemptions_total{model_name="m"} 4`,
        ].join("\n"),
      );
    const m = summarizeEngineScrapes(ref, [at(0, 2, 0.1, 100, 150, 0, 1000), at(1, 6, 0.5, 300, 450, 600, 3000)], []);
    expect(EngineRoleMetrics.parse(m)).toEqual(m);
    expect(m.engine).toBe("vllm");
    expect(m.problem).toBeUndefined();
    expect(m.requestsRunning).toEqual({ mean: 4, max: 6 });
    expect(m.kvCacheUsage).toEqual({ mean: 0.3, max: 0.5 });
    // 200 drafts of 3 tokens, 300 accepted: 1 + 300/200 tokens a step, 300/600 of drafts accepted
    expect(m.specDecode).toEqual({
      acceptanceLength: 2.5,
      acceptanceRate: 0.5,
      drafts: 200,
      draftTokens: 600,
      acceptedTokens: 300,
    });
    expect(m.prefixCache).toEqual({ hitRate: 0.3, hitTokens: 600, queryTokens: 2000 });
    expect(m.preemptions).toBe(0);
    expect(m.offload).toBeNull();
  });

  it("reads SGLang's gauges, averaging fractions over ranks and summing counts", () => {
    const text = (usage: number) =>
      [
        `sglang:token_usage{tp_rank="0"} ${usage}`,
        `sglang:token_usage{tp_rank="1"} ${usage + 0.2}`,
        'sglang:num_running_reqs{tp_rank="0"} 5',
        'sglang:num_running_reqs{tp_rank="1"} 7',
        'sglang:num_queue_reqs{tp_rank="0"} 1',
        'sglang:cache_hit_rate{tp_rank="0"} 0.75',
        'sglang:spec_accept_length{tp_rank="0"} 3.5',
        'sglang:spec_accept_rate{tp_rank="0"} 0.8',
        "sglang:num_retracted_requests_total 2",
        "sglang:load_back_tokens_total 100",
      ].join("\n");
    const s2 = text(0.4)
      .replace("retracted_requests_total 2", "retracted_requests_total 5")
      .replace("tokens_total 100", "tokens_total 350");
    const m = summarizeEngineScrapes(ref, [scrape(0, text(0.2)), scrape(500, s2)], []);
    expect(m.engine).toBe("sglang");
    expect(m.kvCacheUsage!.mean).toBeCloseTo(0.4);
    expect(m.kvCacheUsage!.max).toBeCloseTo(0.5);
    expect(m.requestsRunning).toEqual({ mean: 12, max: 12 });
    expect(m.prefixCache).toEqual({ hitRate: 0.75, hitTokens: null, queryTokens: null });
    expect(m.specDecode).toMatchObject({ acceptanceLength: 3.5, acceptanceRate: 0.8 });
    expect(m.preemptions).toBe(3);
    expect(m.offload).toEqual({ externalHitTokens: null, externalQueryTokens: null, loadedTokens: 250 });
  });

  it("reads SGLang's cached-token counters as the hit rate and their host share as offload traffic", () => {
    const text = (device: number, host: number, prompt: number) =>
      [
        'sglang:cache_hit_rate{tp_rank="0"} 0.99',
        `sglang:prompt_tokens_total{model_name="m"} ${prompt}`,
        `sglang:cached_tokens_total{model_name="m",cache_source="device"} ${device}`,
        `sglang:cached_tokens_total{model_name="m",cache_source="host"} ${host}`,
      ].join("\n");
    const splits = { "sglang:cached_tokens_total": "cache_source" };
    const at = (ms: number, t: string) => ({ atMs: ms, totals: totalsByName(parsePrometheusText(t), splits) });
    expect(at(0, text(1, 2, 3)).totals.get('sglang:cached_tokens_total{cache_source="host"}')).toEqual({
      sum: 2,
      count: 1,
    });
    const m = summarizeEngineScrapes(ref, [at(0, text(100, 0, 1000)), at(1000, text(700, 100, 2000))], []);
    // (600 + 100) cached of 1000 prompt tokens over the point, not the gauge's last value
    expect(m.prefixCache).toEqual({ hitRate: 0.7, hitTokens: 700, queryTokens: 1000 });
    expect(m.offload).toEqual({ externalHitTokens: null, externalQueryTokens: null, loadedTokens: 100 });
    // the splits are the ones the engine-metrics names use
    expect(ENGINE_METRIC_LABEL_SPLITS).toMatchObject(splits);
  });

  it("reads vLLM's prompt tokens by source as the lab does: local-cache and connector hits over all", () => {
    const text = (local: number, external: number, compute: number, hits: number) =>
      [
        `vllm:prompt_tokens_by_source_total{model_name="m",source="local_cache_hit"} ${local}`,
        `vllm:prompt_tokens_by_source_total{model_name="m",source="external_kv_transfer"} ${external}`,
        `vllm:prompt_tokens_by_source_total{model_name="m",source="local_compute"} ${compute}`,
        `vllm:prefix_cache_hits_total{model_name="m"} ${hits}`,
        `vllm:prefix_cache_queries_total{model_name="m"} ${(local + external + compute) * 2}`,
      ].join("\n");
    const at = (ms: number, t: string) => ({
      atMs: ms,
      totals: totalsByName(parsePrometheusText(t), ENGINE_METRIC_LABEL_SPLITS),
    });
    const m = summarizeEngineScrapes(ref, [at(0, text(10, 0, 90, 10)), at(1000, text(310, 150, 540, 310))], []);
    // (300 + 150) of 900 prompt tokens: the lab's fixture figures, its overall rate 0.5
    expect(m.prefixCache).toEqual({ hitRate: 0.5, hitTokens: 450, queryTokens: 900 });
    // an engine without the by-source counter keeps its prefix-cache counters
    const plain = (hits: number, q: number) =>
      `vllm:prefix_cache_hits_total{model_name="m"} ${hits}\nvllm:prefix_cache_queries_total{model_name="m"} ${q}`;
    const p = summarizeEngineScrapes(ref, [at(0, plain(0, 0)), at(1000, plain(30, 120))], []);
    expect(p.prefixCache).toEqual({ hitRate: 0.25, hitTokens: 30, queryTokens: 120 });
  });

  it("counts a counter reset from zero", () => {
    const m = summarizeEngineScrapes(
      ref,
      [
        scrape(0, "vllm:num_preemptions_total 10"),
        scrape(1, "vllm:num_preemptions_total 12"),
        scrape(2, "vllm:num_preemptions_total 3"),
      ],
      [],
    );
    expect(m.preemptions).toBe(5);
  });

  it("keeps the point's figures null and says why when the endpoint failed or served other names", () => {
    const absent = summarizeEngineScrapes(ref, [], ["connect ECONNREFUSED 10.0.0.2:8000", "again"]);
    expect(absent.problem).toBe(`2 of 2 scrapes of ${ref.url} failed: connect ECONNREFUSED 10.0.0.2:8000`);
    expect(absent).toMatchObject({ kvCacheUsage: null, specDecode: null, prefixCache: null, preemptions: null });
    expect(EngineRoleMetrics.parse(absent)).toEqual(absent);
    const other = summarizeEngineScrapes(ref, [scrape(0, "process_cpu_seconds_total 3")], []);
    expect(other.problem).toMatch(/serves none of the vLLM\/SGLang metric names/);
    expect(other.engine).toBe("unknown");
    const none = summarizeEngineScrapes(ref, [], []);
    expect(none.problem).toMatch(/no scrape .* finished/);
  });
});
