import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pointMetrics, TCO_RATE_NAMES } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { rowsToCsv, rowsToJson, vllmJsonForRow, writeVllmFiles } from "./results-export.js";
import { importPath, rowsFromJson } from "./results-import.js";

const FIX = fileURLToPath(new URL("./fixtures/import/", import.meta.url));
const RATES = {
  h100: { tco: { hyperscaler: 1.3, neocloud: 1.69, rental: 1.3 }, allInPowerKw: 1.73 },
  gb200: { tco: { hyperscaler: 2.21, neocloud: 2.75, rental: 3.3 }, allInPowerKw: 2.1 },
};
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
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe("import of vllm bench serve results", () => {
  it("maps the file with the configuration given on the command line", async () => {
    const out = await importPath(join(FIX, "vllm"), ctx);
    expect(out.files).toBe(1);
    expect(out.skipped).toEqual([]);
    const [row] = out.rows;
    expect(row.provenance).toMatchObject({
      kind: "imported",
      format: "vllm-bench",
      source: "dsr1_fp8_sglang_tp8_conc64.json",
    });
    expect(row.date).toBe("2025-06-12T03:15:44.000Z");
    expect(row.sweepId).toBe("import-2025-06-12");
    expect(row.config).toMatchObject({
      sku: "h100",
      tp: 8,
      gpus: 8,
      model: "deepseek-ai/DeepSeek-R1-0528",
      configKey: "dsr1-fp8-h100-sglang",
    });
    expect(row.result.point).toEqual({ concurrency: 64, isl: 1024, osl: 1024 });
    expect(row.result.emulated).toBe(false);
    const m = pointMetrics(row.result, false, RATES.h100);
    expect(m.tputPerGpu).toBeCloseTo(2860.92 / 8, 9);
    expect(m.interactivity).toBeCloseTo(1000 / 42.6, 9);
  });

  it("says which flags are missing when the file alone cannot be placed", async () => {
    const out = await importPath(join(FIX, "vllm"), { sku: "h100" });
    expect(out.rows).toEqual([]);
    expect(out.skipped).toHaveLength(1);
    expect(out.skipped[0].reason).toBe(
      "a vllm bench serve result carries no configuration; pass --framework, --precision, --isl, --osl, --tp",
    );
  });
});

describe("import of the lab client's result files", () => {
  it("reads utils/bench_serving's --save-result JSON, which has no failed: the prompts not completed", () => {
    // the lab client's keys (benchmark_serving.py), `request_goodput:` with its colon included
    const lab = {
      date: "20261204-181500",
      backend: "vllm",
      model_id: "deepseek-ai/DeepSeek-R1-0528",
      tokenizer_id: "deepseek-ai/DeepSeek-R1-0528",
      best_of: 1,
      num_prompts: 640,
      request_rate: "inf",
      burstiness: 1.0,
      max_concurrency: 64,
      duration: 120.5,
      benchmark_start_time_unix: 1796407200,
      benchmark_end_time_unix: 1796407320.5,
      completed: 638,
      total_input_tokens: 653312,
      total_output_tokens: 653312,
      request_throughput: 5.29,
      "request_goodput:": null,
      output_throughput: 5421.7,
      total_token_throughput: 10843.4,
      mean_ttft_ms: 410.2,
      median_ttft_ms: 380.1,
      mean_tpot_ms: 11.3,
      median_tpot_ms: 11.1,
    };
    const { rows, skipped } = rowsFromJson(lab, "dsr1_1k1k_fp8_sglang_conc64_h100-cr_0.json", ctx, "2026-12-04");
    expect(skipped).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(rows[0].result.bench.failed).toBe(2);
    expect(rows[0].result.point).toEqual({ concurrency: 64, isl: 1024, osl: 1024 });
    expect(rows[0].date).toBe("2026-12-04T18:00:00.000Z");
  });
});

describe("import of the reference lab's agg rows", () => {
  it("reads a single agg_*.json row and an agg_bmk.json array, single-node and disaggregated", async () => {
    const out = await importPath(join(FIX, "inferencex"), { date: "2025-07-01T00:00:00.000Z" });
    expect(out.files).toBe(2);
    expect(out.skipped).toEqual([]);
    expect(out.rows).toHaveLength(3);
    const single = out.rows.find((r) => r.result.point.concurrency === 16);
    expect(single?.config).toMatchObject({
      sku: "h100",
      tp: 8,
      ep: 1,
      dpAttn: false,
      framework: "sglang",
      image: "lmsysorg/sglang:v0.5.2-cu126",
      modelPrefix: "dsr1",
    });
    expect(single?.result.bench.median_ttft_ms).toBeCloseTo(468, 9);
    expect(single?.result.bench["p99.9_tpot_ms"]).toBeCloseTo(33.4, 9);
    expect(single?.provenance.missing).toContain("duration");
    const sm = pointMetrics(single!.result, false, RATES.h100);
    expect(sm.tputPerGpu).toBeCloseTo(181.4, 9); // per-GPU throughput survives the round trip
    expect(sm.outputTputPerGpu).toBeCloseTo(90.8, 9);
    expect(sm.interactivity).toBeCloseTo(1000 / 29.8, 9);
    expect(sm.joulesPerToken).toBe(2.06); // token totals are unknown → the row's own J/token
    expect(sm.cost.hyperscaler.total).toBeCloseTo(1.3 / ((181.4 * 3600) / 1e6), 12);

    const dis = out.rows.find((r) => r.config.sku === "gb200");
    expect(dis?.config).toMatchObject({
      disagg: true,
      multinode: true,
      gpus: 24,
      prefill: { numWorker: 2, tp: 4, ep: 4, dpAttn: true, gpus: 8 },
      decode: { numWorker: 1, tp: 16, gpus: 16 },
    });
    const dm = pointMetrics(dis!.result, true, RATES.gb200);
    expect(dm.tputPerGpu).toBeCloseTo(2240.5, 9);
    expect(dm.outputTputPerGpu).toBeCloseTo(1679.1, 9);
    expect(dm.gpus).toEqual({ total: 24, prefill: 8, decode: 16 });
    for (const r of out.rows) expect(r.date).toBe("2025-07-01T00:00:00.000Z");
  });

  it("is idempotent: the same sources give the same row ids, duplicates are kept once", async () => {
    const a = await importPath(FIX, ctx);
    const b = await importPath(FIX, ctx);
    expect(a.rows.map((r) => r.id)).toEqual(b.rows.map((r) => r.id));
    expect(new Set(a.rows.map((r) => r.id)).size).toBe(4);
    const dir = await mkdtemp(join(tmpdir(), "bf-import-"));
    tmp.push(dir);
    const text = await readFile(join(FIX, "inferencex", "agg_bmk.json"), "utf8");
    await writeFile(join(dir, "copy1.json"), text);
    await writeFile(join(dir, "copy2.json"), text);
    const c = await importPath(dir);
    expect(c.rows).toHaveLength(2);
  });

  it("skips what it cannot read, with the reason and where", () => {
    const r = rowsFromJson(
      [
        { hw: "tpu-v5", conc: 4, tput_per_gpu: 1 },
        { hello: 1 },
        { hw: "h100", conc: 4, tput_per_gpu: 1 },
        { hw: "h100", isl: 1024, osl: 1024, conc: 0, tput_per_gpu: 1 },
      ],
      "x.json",
      {},
      "2025-01-01T00:00:00Z",
    );
    expect(r.rows).toEqual([]);
    expect(r.skipped).toEqual([
      { file: "x.json#0", reason: 'hardware "tpu-v5" is not a known SKU' },
      {
        file: "x.json#1",
        reason:
          "neither a vllm bench serve result (total_token_throughput, model_id), an aggregated row (hw, tput_per_gpu) nor an agentic result (scenario_type agentic-coding, request_metrics)",
      },
      { file: "x.json#2", reason: "the row has no isl/osl (older agg format); pass --isl and --osl" },
      { file: "x.json#3", reason: '"conc" must be a positive integer, got 0' },
    ]);
  });
});

describe("export", () => {
  it("vllm-shaped JSON per point reads back into the same row; full JSON and CSV carry every row", async () => {
    const { rows } = await importPath(FIX, ctx);
    const dir = await mkdtemp(join(tmpdir(), "bf-export-"));
    tmp.push(dir);
    const files = await writeVllmFiles(rows, dir);
    expect(files).toHaveLength(4);
    const shaped = vllmJsonForRow(rows[0]);
    expect(shaped.total_token_throughput).toBe(rows[0].result.bench.total_token_throughput);
    const back = await importPath(dir);
    expect(back.skipped).toEqual([]);
    expect(back.rows.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const r of back.rows) {
      const orig = rows.find((o) => o.id === r.id)!;
      expect(r.config).toEqual(orig.config);
      expect(r.result).toEqual(orig.result);
    }
    expect(JSON.parse(rowsToJson(rows))).toEqual(rows);

    const csv = rowsToCsv(rows, RATES).trim().split("\n");
    expect(csv).toHaveLength(5);
    const header = csv[0].split(",");
    const line = csv.find((l) => l.includes(",16,ok,"))!.split(",");
    expect(Number(line[header.indexOf("tput_per_gpu")])).toBeCloseTo(181.4, 9);
    expect(Number(line[header.indexOf("cost_hyperscaler")])).toBeCloseTo(1.3 / ((181.4 * 3600) / 1e6), 9);
    expect(line[header.indexOf("parallelism")]).toBe("TP8");
    expect(TCO_RATE_NAMES.every((r) => header.includes(`cost_${r}`))).toBe(true);
  });
});
