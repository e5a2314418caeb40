/**
 * An expert-parallel group that spans other engine processes: a node's process of a data-parallel
 * group launched one process per node models its own GPUs, which hold their share of the whole
 * group's experts (DeepSeek-V4 DEP8 and Kimi-K3 DEP16 over 4-GPU GB200 nodes).
 */
import { describe, expect, it } from "vitest";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";

const models = loadModelCatalog();
const skus = loadSkuCatalog();

const perf = (sku: string, model: string, o: { tp: number; ep: number; epGroup?: number; dpAttn?: boolean }) =>
  new PerfModel(findSku(skus, sku).spec, findModel(models, model).spec, "fp4", {
    tp: o.tp,
    ep: o.ep,
    ...(o.epGroup !== undefined ? { epGroup: o.epGroup } : {}),
    dpAttn: o.dpAttn ?? false,
    mtp: false,
  });

describe("an expert-parallel group beyond the engine's own GPUs", () => {
  it("fits the lab's per-node DEP processes that hold only their node's experts otherwise", () => {
    expect(() => perf("gb200", "dsv4", { tp: 4, ep: 4, dpAttn: true })).toThrow(/out of memory/);
    expect(perf("gb200", "dsv4", { tp: 4, ep: 4, epGroup: 8, dpAttn: true }).kvCapacityTokens).toBeGreaterThan(0);
    expect(() => perf("gb200", "kimik3", { tp: 4, ep: 4 })).toThrow(/out of memory/);
    const k = perf("gb200", "kimik3", { tp: 4, ep: 4, epGroup: 16 });
    // the experts split 16 ways, the dense part 4 ways
    const m = findModel(models, "kimik3").spec;
    expect(k.weightBytesPerGpu).toBeCloseTo((m.expertParamsB / 16 + m.denseParamsB / 4) * 1e9 * 0.5625, -3);
  });

  it("a group of the engine's own GPUs is the model without one", () => {
    const a = perf("b200", "dsr1", { tp: 8, ep: 8 });
    const b = perf("b200", "dsr1", { tp: 8, ep: 8, epGroup: 8 });
    const work = {
      decodeRequests: 64,
      decodeContextTokens: 64 * 4096,
      prefillTokens: 2048,
      prefillAttnPairs: 2048 * 1024,
    };
    expect(b.step(work)).toEqual(a.step(work));
    expect(b.kvCapacityTokens).toBe(a.kvCapacityTokens);
  });

  it("a step touches more of the node's experts (the group's tokens) and its all-to-all leaves the node", () => {
    const local = perf("b200", "dsr1", { tp: 8, ep: 8 });
    const spanning = perf("b200", "dsr1", { tp: 8, ep: 8, epGroup: 16 });
    const work = { decodeRequests: 4, decodeContextTokens: 4 * 1024, prefillTokens: 0, prefillAttnPairs: 0 };
    // B200 nodes of 8: the 16-GPU group's dispatch and combine cross nodes
    expect(spanning.step(work).commMs).toBeGreaterThan(local.step(work).commMs);
    expect(spanning.weightBytesPerGpu).toBeLessThan(local.weightBytesPerGpu);
  });

  it("refuses a group smaller than the engine or one whose engine does not run EP over all its GPUs", () => {
    expect(() => perf("b200", "dsr1", { tp: 8, ep: 8, epGroup: 4 })).toThrow(
      /expert-parallel group \(4\) must be an integer of at least this engine's tp \(8\)/,
    );
    expect(() => perf("b200", "dsr1", { tp: 8, ep: 1, epGroup: 16 })).toThrow(/needs ep = tp \(8\), got ep 1/);
  });
});
