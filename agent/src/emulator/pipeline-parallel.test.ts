/**
 * Pipeline parallelism in the roofline model: pp stages of tp GPUs split the weights and the KV, so
 * a model too large for one node fits on two; a step passes the stages in turn, paying a hop per
 * stage boundary, so PP adds memory, not speed.
 */
import { describe, expect, it } from "vitest";
import { defaultEngineOptions } from "./batch-engine.js";
import { EmulatorConfigError, findModel, findSku, loadModelCatalog, loadSkuCatalog } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { simulatePoint } from "./simulate.js";

const models = loadModelCatalog();
const skus = loadSkuCatalog();

const perf = (sku: string, model: string, tp: number, pp: number, constants = {}) =>
  new PerfModel(
    findSku(skus, sku).spec,
    findModel(models, model).spec,
    "fp8",
    { tp, pp, ep: 1, dpAttn: false, mtp: false },
    constants,
  );

describe("pipeline parallelism in the performance model", () => {
  it("splits weights and KV over the stages: half the weights per GPU, more than twice the KV room", () => {
    const one = perf("h200", "dsr1", 8, 1);
    const two = perf("h200", "dsr1", 8, 2);
    expect(two.gpus).toBe(16);
    expect(two.weightBytesPerGpu).toBeCloseTo(one.weightBytesPerGpu / 2, 0);
    // each GPU holds half the KV bytes of a token, and the weights it freed hold more
    expect(two.kvCapacityTokens).toBeGreaterThan(2 * one.kvCapacityTokens);
    // the omitted pp is one stage
    const plain = new PerfModel(findSku(skus, "h200").spec, findModel(models, "dsr1").spec, "fp8", {
      tp: 8,
      ep: 1,
      dpAttn: false,
      mtp: false,
    });
    expect(plain.kvCapacityTokens).toBe(one.kvCapacityTokens);
    expect(plain.gpus).toBe(8);
  });

  it("a step costs the whole model's roofline plus one hop per stage boundary", () => {
    const one = perf("h200", "dsr1", 8, 1);
    const two = perf("h200", "dsr1", 8, 2);
    const four = perf("h200", "dsr1", 8, 4);
    const work = { decodeRequests: 32, decodeContextTokens: 32 * 2048, prefillTokens: 0, prefillAttnPairs: 0 };
    const [a, b, d] = [one.step(work), two.step(work), four.step(work)];
    expect(b.memMs).toBeCloseTo(a.memMs, 6);
    expect(b.computeMs).toBeCloseTo(a.computeMs, 6);
    expect(two.hopMs(32)).toBeGreaterThan(0);
    expect(one.hopMs(32)).toBe(0);
    expect(b.commMs).toBeCloseTo(a.commMs + two.hopMs(32), 9);
    expect(b.ms).toBeGreaterThan(a.ms);
    // three boundaries cost three hops
    expect(four.hopMs(32)).toBeCloseTo(3 * two.hopMs(32), 9);
    expect(d.ms).toBeGreaterThan(b.ms);
  });

  it("a hop across nodes pays the cross-node latency and scale-out bandwidth; inside an NVL72 domain it does not", () => {
    // H200: two 8-GPU nodes; GB200: 16 GPUs inside one 72-GPU NVLink domain
    const tokens = 4096;
    const h200 = perf("h200", "dsr1", 8, 2, { crossNodeLatencyUs: 25, scaleOutGBps: 50 });
    const bytes = (tokens * findModel(models, "dsr1").spec.hidden * 2) / 8;
    expect(h200.hopMs(tokens)).toBeCloseTo(25e-3 + (bytes / 50e9) * 1e3, 9);
    const gb200 = perf("gb200", "dsr1", 8, 2, { collectiveLatencyUs: 8 });
    expect(gb200.hopMs(tokens)).toBeCloseTo(8e-3 + (bytes / (findSku(skus, "gb200").spec.scaleUpGBps * 1e9)) * 1e3, 9);
  });

  it("serves a point: throughput per GPU counts every stage's GPUs, interactivity below one stage's", () => {
    const one = perf("h200", "dsr1", 8, 1);
    const two = perf("h200", "dsr1", 8, 2);
    const point = { concurrency: 16, isl: 1024, osl: 128, requests: 32 };
    const a = simulatePoint(one, defaultEngineOptions(one), point);
    const b = simulatePoint(two, defaultEngineOptions(two), point);
    expect(b.interactivity).toBeLessThan(a.interactivity);
    // the same work on twice the GPUs: about half the throughput per GPU
    expect(b.tputPerGpu).toBeLessThan(0.55 * a.tputPerGpu);
    expect(b.tputPerGpu).toBeGreaterThan(0.4 * a.tputPerGpu);
  });

  it("refuses a pp that is not a positive integer or exceeds the layers, naming it", () => {
    expect(() => perf("h200", "dsr1", 8, 0)).toThrow(EmulatorConfigError);
    expect(() => perf("h200", "dsr1", 8, 1.5)).toThrow(/pp must be a positive integer, got 1.5/);
    expect(() => perf("h200", "llama3-8b", 1, 64)).toThrow(/pp \(64\) must not exceed the layers of .* \(32\)/);
  });
});
