/** The reference lab's agentic result files read as agentic points; bad files are named skips. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agenticFrontiers, ImportedAgenticRow } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { labAgenticResult } from "../../../tests/helpers/lab-agentic.js";
import { importPath, rowsFromJson } from "./results-import.js";

describe("importing the lab's agentic result files", () => {
  it("reads per-turn latencies (s → ms), throughput per GPU, hit rates, offload and the gate", () => {
    const out = rowsFromJson(
      labAgenticResult({ conc: 16, totalTps: 40_000, hit: 0.91 }),
      "agentic_h200.json",
      {},
      "2026-02-01T00:00:00.000Z",
    );
    expect(out.skipped).toEqual([]);
    expect(out.rows).toEqual([]);
    const [r] = out.agentic;
    expect(ImportedAgenticRow.parse(r)).toEqual(r);
    expect(r!.config).toMatchObject({
      sku: "h200",
      runner: "h200-dgxc_1",
      modelPrefix: "minimaxm3",
      specDecoding: "mtp",
      kvOffloading: "dram",
      kvOffloadBackend: { name: "vllm-native", version: "0.11.0" },
      dramOffloadGb: 900,
      configKey: "minimaxm3-fp8-h200-vllm-mtp-agentic",
    });
    expect(r!.source).toBe("agentic_h200.json");
    expect(r!.missing).toContain("p99 latencies");
    const res = r!.result;
    expect(res.status).toBe("ok");
    expect(res.gpus).toEqual({ total: 4, prefill: 0, decode: 0 });
    const a = res.agentic!;
    expect(a.trace).toEqual({ source: "semianalysisai/cc-traces-weka-062126", trajectories: 393, turns: 0 });
    expect(a.ttftMs.median).toBeCloseTo(800);
    expect(a.ttftMs.p95).toBeCloseTo(2000);
    expect(a.ttftMs.p99).toBeUndefined();
    expect(a.itlMs.median).toBeCloseTo(25);
    expect(a.interactivity.median).toBe(40);
    expect(a.throughput.totalTokensPerGpu).toBe(10_000);
    expect(a.requests).toEqual({ completed: 1000, failed: 10, cutAtEnd: 0 });
    expect(a.errorRatio).toBeCloseTo(10 / 1010);
    expect(a.warmup.requests).toBe(190);
    // the overall (GPU + host tier) hit rate is the point's hit rate
    const [f] = agenticFrontiers([{ id: r!.id, sweepId: r!.sweepId, imported: true, config: r!.config, result: res }]);
    expect(f!.points[0]).toMatchObject({
      hitRate: 0.91,
      offloadTokens: 5000,
      imported: true,
      jobId: null,
      x: 40,
      y: 10_000,
      ttftP99Ms: null,
      dramOffloadGb: 900,
    });
    expect(f!.group).toMatchObject({ sku: "h200", kvOffloading: "dram", kvOffloadBackend: "vllm-native" });
  });

  it("a point over the lab's 10 % error gate is a failed point; multi-node GPUs are prefill + decode", () => {
    const bad = labAgenticResult({ conc: 8, totalTps: 1000, hit: 0.5 });
    bad.request_accounting.records_error_dropped = 200;
    const multi = {
      ...labAgenticResult({ conc: 64, totalTps: 90_000, hit: 0.8, hw: "gb200" }),
      is_multinode: true,
      num_prefill_gpu: 8,
      num_decode_gpu: 16,
    };
    const out = rowsFromJson([bad, multi], "agg.json", {}, "2026-02-01T00:00:00.000Z");
    expect(out.agentic[0]!.result.status).toBe("failed");
    expect(out.agentic[0]!.result.failureReason).toMatch(/200 of 1200 requests failed/);
    expect(out.agentic[1]!.result.gpus).toEqual({ total: 24, prefill: 8, decode: 16 });
    expect(out.agentic[1]!.result.agentic!.throughput.totalTokensPerGpu).toBe(90_000 / 24);
  });

  it("names the file and the field of a bad file; importing twice gives the same ids", async () => {
    const noConc: Record<string, unknown> = labAgenticResult({ conc: 4, totalTps: 1, hit: 0.1 });
    delete noConc.conc;
    const noTput = labAgenticResult({ conc: 4, totalTps: 1, hit: 0.1 }) as { request_metrics: Record<string, unknown> };
    delete noTput.request_metrics.throughput;
    const unknownHw = labAgenticResult({ conc: 4, totalTps: 1, hit: 0.1, hw: "tpu-v5" });
    const out = rowsFromJson([noConc, noTput, unknownHw], "agentic.json", {}, "2026-02-01T00:00:00.000Z");
    expect(out.agentic).toEqual([]);
    expect(out.skipped).toEqual([
      { file: "agentic.json#0", reason: '"conc" is missing' },
      { file: "agentic.json#1", reason: '"request_metrics.throughput" must be an object, got undefined' },
      { file: "agentic.json#2", reason: 'hardware "tpu-v5" is not a known SKU' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), "agentic-import-"));
    writeFileSync(join(dir, "a.json"), JSON.stringify(labAgenticResult({ conc: 4, totalTps: 5000, hit: 0.7 })));
    writeFileSync(join(dir, "b.json"), JSON.stringify(labAgenticResult({ conc: 32, totalTps: 30_000, hit: 0.8 })));
    const first = await importPath(dir);
    const again = await importPath(dir);
    expect(first.agentic).toHaveLength(2);
    expect(again.agentic.map((r) => r.id)).toEqual(first.agentic.map((r) => r.id));
  });
});
