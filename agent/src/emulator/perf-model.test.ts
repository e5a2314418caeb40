import { describe, expect, it } from "vitest";
import { defaultEngineOptions } from "./batch-engine.js";
import {
  EmulatorConfigError,
  findModel,
  findSku,
  loadModelCatalog,
  loadSkuCatalog,
  parsePrecision,
} from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { simulatePoint } from "./simulate.js";

const models = loadModelCatalog();
const skus = loadSkuCatalog();

function perf(
  sku: string,
  model: string,
  precision: string,
  tp: number,
  o: { ep?: number; dpAttn?: boolean; mtp?: boolean } = {},
) {
  return new PerfModel(findSku(skus, sku).spec, findModel(models, model).spec, parsePrecision(precision), {
    tp,
    ep: o.ep ?? 1,
    dpAttn: o.dpAttn ?? false,
    mtp: o.mtp ?? false,
  });
}

function curve(m: PerfModel, concs: number[], isl = 1024, osl = 256, maxRunning?: number) {
  const opts = defaultEngineOptions(m, maxRunning ? { maxRunning } : {});
  return concs.map((c) => ({ c, ...simulatePoint(m, opts, { concurrency: c, isl, osl, requests: 2 * c }) }));
}

/** first concurrency after which doubling it raises throughput/GPU by less than 10 % */
function knee(points: Array<{ c: number; tputPerGpu: number }>): number | undefined {
  for (let i = 0; i + 1 < points.length; i++)
    if (points[i + 1]!.tputPerGpu / points[i]!.tputPerGpu < 1.1) return points[i]!.c;
  return undefined;
}

const CONCS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

describe("perf model: shape of the throughput/interactivity curve", () => {
  it("throughput per GPU rises and interactivity falls with concurrency (dense and MoE)", () => {
    for (const m of [perf("h100", "llama3-8b", "bf16", 1), perf("b200", "dsr1", "fp4", 8, { ep: 8, dpAttn: true })]) {
      const pts = curve(m, CONCS);
      for (let i = 1; i < pts.length; i++) {
        expect(pts[i]!.tputPerGpu, `tput/GPU at c=${pts[i]!.c}`).toBeGreaterThan(pts[i - 1]!.tputPerGpu);
        expect(pts[i]!.interactivity, `interactivity at c=${pts[i]!.c}`).toBeLessThan(pts[i - 1]!.interactivity);
      }
    }
  });

  it("has a knee: near-linear gains at low concurrency, flat beyond the batch limit", () => {
    const m = perf("h100", "llama3-8b", "bf16", 1);
    const pts = curve(m, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], 1024, 128, 128);
    // memory-bound decode: doubling users nearly doubles throughput
    expect(pts[1]!.tputPerGpu / pts[0]!.tputPerGpu).toBeGreaterThan(1.8);
    expect(pts[2]!.tputPerGpu / pts[1]!.tputPerGpu).toBeGreaterThan(1.7);
    const k = knee(pts);
    expect(k).toBeDefined();
    // the knee sits before the batch limit (compute-bound) or at it, never at low concurrency
    expect(k!).toBeGreaterThanOrEqual(32);
    expect(k!).toBeLessThanOrEqual(128);
    // beyond the batch limit throughput is flat and only queueing (TTFT) grows
    const at128 = pts.find((p) => p.c === 128)!;
    const at512 = pts.find((p) => p.c === 512)!;
    expect(at512.tputPerGpu / at128.tputPerGpu).toBeLessThan(1.05);
    expect(at512.meanTtftMs).toBeGreaterThan(3 * at128.meanTtftMs);
  });

  it("orders SKUs B200 > H200 > H100 in throughput/GPU and interactivity", () => {
    const order = ["b200", "h200", "h100"].map((s) => curve(perf(s, "gptoss", "fp8", 4, { ep: 4 }), [1, 16, 128]));
    for (let i = 0; i < 3; i++) {
      const [b200, h200, h100] = order.map((c) => c[i]!);
      expect(b200.tputPerGpu).toBeGreaterThan(h200.tputPerGpu);
      expect(h200.tputPerGpu).toBeGreaterThan(h100.tputPerGpu);
      expect(b200.interactivity).toBeGreaterThan(h200.interactivity);
      expect(h200.interactivity).toBeGreaterThan(h100.interactivity);
    }
  });

  it("MTP raises interactivity (and throughput at low concurrency)", () => {
    const base = curve(perf("b200", "dsr1", "fp4", 8, { ep: 8, dpAttn: true }), [1, 8, 64]);
    const mtp = curve(perf("b200", "dsr1", "fp4", 8, { ep: 8, dpAttn: true, mtp: true }), [1, 8, 64]);
    for (let i = 0; i < base.length; i++) {
      expect(mtp[i]!.interactivity, `c=${base[i]!.c}`).toBeGreaterThan(base[i]!.interactivity * 1.3);
    }
    expect(mtp[0]!.tputPerGpu).toBeGreaterThan(base[0]!.tputPerGpu);
  });

  it("decode is memory-bound at batch 1 and compute-bound for a large prefill", () => {
    const m = perf("h100", "llama3-8b", "bf16", 1);
    expect(m.step({ decodeRequests: 1, decodeContextTokens: 1000, prefillTokens: 0, prefillAttnPairs: 0 }).bound).toBe(
      "memory",
    );
    expect(
      m.step({ decodeRequests: 0, decodeContextTokens: 0, prefillTokens: 8192, prefillAttnPairs: 8192 * 4096 }).bound,
    ).toBe("compute");
    // longer context costs more per step
    const short = m.step({
      decodeRequests: 64,
      decodeContextTokens: 64 * 1000,
      prefillTokens: 0,
      prefillAttnPairs: 0,
    }).ms;
    const long = m.step({
      decodeRequests: 64,
      decodeContextTokens: 64 * 8000,
      prefillTokens: 0,
      prefillAttnPairs: 0,
    }).ms;
    expect(long).toBeGreaterThan(short * 1.2);
  });

  it("MoE experts touched grow with tokens; MTP mean accept length from the acceptance rates", () => {
    const m = perf("b200", "dsr1", "fp4", 8, { ep: 8, dpAttn: true, mtp: true });
    expect(m.expertsTouched(1)).toBeCloseTo(8 / 256, 5);
    expect(m.expertsTouched(64)).toBeGreaterThan(0.85);
    expect(m.meanAcceptLength).toBeCloseTo(1 + 0.85 + 0.85 * 0.7 + 0.85 * 0.7 * 0.6, 6);
  });

  it("rejects configurations that cannot run, naming why", () => {
    expect(() => perf("h100", "dsr1", "fp8", 8)).toThrow(/out of memory: .*83\.9 GB of weights per GPU/);
    expect(() => perf("h100", "llama3-8b", "bf16", 1, { mtp: true })).toThrow(/no MTP head/);
    expect(() => perf("h100", "llama3-8b", "bf16", 2, { ep: 2 })).toThrow(EmulatorConfigError);
    expect(() => findModel(models, "gpt-2")).toThrow(/unknown model "gpt-2": expected one of dsr1, gptoss/);
    expect(() => findSku(skus, "a100")).toThrow(/unknown SKU "a100"/);
    expect(findModel(models, "nvidia/DeepSeek-R1-0528-FP4-V2").key).toBe("dsr1");
    expect(findModel(models, "openai/gpt-oss-120b").key).toBe("gptoss");
  });
});
