import { fileURLToPath } from "node:url";
import { throughputPerGpu } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { labAggRowOf, rowsToLabAgg } from "./lab-agg-export.js";
import { importPath, rowsFromJson } from "./results-import.js";

const FIX = fileURLToPath(new URL("./fixtures/import/", import.meta.url));
const ctx = {
  sku: "h100" as const,
  tp: 8,
  framework: "sglang",
  precision: "fp8",
  isl: 1024,
  osl: 1024,
  image: "lmsysorg/sglang:v0.5.2-cu126",
  modelPrefix: "dsr1",
};

describe("export as the lab's aggregated rows", () => {
  it("round-trips: exported agg rows read back with the same configuration and figures", async () => {
    const { rows } = await importPath(FIX, ctx);
    expect(rows.some((r) => r.config.disagg)).toBe(true);
    expect(rows.some((r) => !r.config.disagg)).toBe(true);
    const text = rowsToLabAgg(rows);
    const exported = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(exported).toHaveLength(rows.filter((r) => r.result.status === "ok").length);
    const back = rowsFromJson(exported, "agg_bmk.json", {}, "2026-01-01T00:00:00.000Z");
    expect(back.skipped).toEqual([]);
    expect(back.rows).toHaveLength(exported.length);
    const ok = rows.filter((r) => r.result.status === "ok");
    for (const [i, r] of back.rows.entries()) {
      const orig = ok[i]!;
      const { fingerprint: _a, configKey: _b, ...cfg } = r.config;
      const { fingerprint: _c, configKey: _d, ...origCfg } = orig.config;
      expect(cfg, orig.id).toEqual({ ...origCfg, pp: cfg.pp, nodes: cfg.nodes });
      expect(r.result.point).toEqual(orig.result.point);
      expect(r.result.gpus).toEqual(orig.result.gpus);
      const m = throughputPerGpu(r.result.bench, r.result.gpus, r.config.disagg);
      const o = throughputPerGpu(orig.result.bench, orig.result.gpus, orig.config.disagg);
      expect(m.tputPerGpu).toBeCloseTo(o.tputPerGpu, 9);
      expect(m.outputTputPerGpu).toBeCloseTo(o.outputTputPerGpu, 9);
      for (const k of ["median_ttft_ms", "p99_tpot_ms", "mean_e2el_ms"]) {
        const want = (orig.result.bench as Record<string, unknown>)[k];
        if (typeof want === "number") expect((r.result.bench as Record<string, unknown>)[k]).toBeCloseTo(want, 9);
      }
    }
  });

  it("writes the lab's per-GPU divisions, seconds and interactivity", () => {
    const row = {
      id: "r1",
      sweepId: "s",
      date: "2026-03-01T00:00:00.000Z",
      provenance: { kind: "measured" as const },
      config: {
        fingerprint: "f",
        configKey: "dsr1-fp8-h200-sglang-disagg",
        sku: "h200" as const,
        runner: "h200",
        model: "deepseek-ai/DeepSeek-R1-0528",
        modelPrefix: "dsr1",
        precision: "fp8",
        framework: "sglang-disagg",
        image: "img",
        isl: 1024,
        osl: 1024,
        specDecoding: "mtp",
        multinode: true,
        disagg: true,
        prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, gpus: 8 },
        decode: { numWorker: 2, tp: 8, ep: 8, dpAttn: true, gpus: 16 },
        gpus: 24,
      },
      result: {
        point: { concurrency: 64, isl: 1024, osl: 1024 },
        status: "ok" as const,
        startedAt: "",
        finishedAt: "",
        failures: {},
        gpus: { total: 24, prefill: 8, decode: 16 },
        emulated: false,
        bench: {
          date: "",
          backend: "vllm",
          model_id: "deepseek-ai/DeepSeek-R1-0528",
          num_prompts: 640,
          request_rate: "inf" as const,
          burstiness: 1,
          max_concurrency: 64,
          duration: 100,
          completed: 640,
          failed: 0,
          total_input_tokens: 0,
          total_output_tokens: 0,
          request_throughput: 6.4,
          output_throughput: 3200,
          total_token_throughput: 4800,
          median_tpot_ms: 20,
          p99_ttft_ms: 1500,
        },
      },
    };
    const agg = labAggRowOf(row);
    expect(agg).toMatchObject({
      hw: "h200",
      conc: 64,
      is_multinode: true,
      spec_decoding: "mtp",
      num_prefill_gpu: 8,
      num_decode_gpu: 16,
      decode_num_workers: 2,
      tput_per_gpu: 200,
      output_tput_per_gpu: 200,
      input_tput_per_gpu: 200,
      median_tpot: 0.02,
      median_intvty: 50,
      p99_ttft: 1.5,
    });
    expect(agg).not.toHaveProperty("avg_power_w");
    expect(JSON.parse(rowsToLabAgg([{ ...row, result: { ...row.result, status: "failed" as const } }]))).toEqual([]);
  });
});
