import { describe, expect, it } from "vitest";
import { BatchEngine, defaultEngineOptions } from "./batch-engine.js";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog, parsePrecision } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { blockHashes, PrefixCache } from "./prefix-cache.js";

const words = (n: number, tag = "w") => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

describe("block hashes", () => {
  it("name full blocks by everything before them, across message boundaries and for token ids", () => {
    const a = blockHashes([words(40)], 16);
    expect(a).toHaveLength(2);
    // the same tokens split over two messages hash alike
    const split = words(40).split(" ");
    expect(blockHashes([split.slice(0, 7).join(" "), split.slice(7).join(" ")], 16)).toEqual(a);
    // a change in block 0 renames every later block; a change in block 1 keeps block 0
    const changed0 = ["x", ...split.slice(1)].join(" ");
    const b = blockHashes([changed0], 16);
    expect(b[0]).not.toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    const changed1 = [...split.slice(0, 20), "x", ...split.slice(21)].join(" ");
    expect(blockHashes([changed1], 16)[0]).toBe(a[0]);
    expect(blockHashes([changed1], 16)[1]).not.toBe(a[1]);
    expect(blockHashes([1, 2, 3, 4], 2)).toEqual(blockHashes([1, 2, 3, 4, 5], 2));
    expect(blockHashes([1, 2, 3, 4], 2)).not.toEqual(blockHashes([1, 2, 4, 3], 2));
  });
});

describe("two-tier prefix cache", () => {
  it("matches the cached prefix, moves GPU evictions to DRAM and loads them back", () => {
    const c = new PrefixCache(16, 4, 4);
    const p1 = [1, 2, 3, 4];
    expect(c.match(p1)).toEqual({ blocks: 4, gpuBlocks: 0, dramBlocks: 0 });
    c.store(p1);
    expect(c.match([1, 2, 9])).toEqual({ blocks: 3, gpuBlocks: 2, dramBlocks: 0 });
    // a second prompt pushes p1's blocks out of the GPU tier into DRAM
    c.store([5, 6, 7]);
    expect(c.sizes).toEqual({ gpu: 4, dram: 3 });
    expect(c.match(p1)).toEqual({ blocks: 4, gpuBlocks: 1, dramBlocks: 3 });
    c.store(p1);
    expect(c.match(p1)).toEqual({ blocks: 4, gpuBlocks: 4, dramBlocks: 0 });
  });

  it("forgets without a DRAM tier and keeps more with a larger one", () => {
    const hits = (dram: number) => {
      const c = new PrefixCache(16, 2, dram);
      c.store([1, 2]);
      c.store([3, 4]);
      c.store([5, 6]);
      const m = c.match([1, 2]);
      return m.gpuBlocks + m.dramBlocks;
    };
    expect(hits(0)).toBe(0);
    expect(hits(2)).toBe(0);
    expect(hits(4)).toBe(2);
  });
});

describe("cached prompts in the batch engine", () => {
  const perf = new PerfModel(
    findSku(loadSkuCatalog(), "h200").spec,
    findModel(loadModelCatalog(), "llama3-8b").spec,
    parsePrecision("bf16"),
    { tp: 1, ep: 1, dpAttn: false, mtp: false },
  );
  /** emulated ms until the request's first token */
  function ttft(cachedTokens: number, loadedTokens: number): number {
    const e = new BatchEngine(perf, defaultEngineOptions(perf));
    e.add({ id: 1, promptTokens: 32_000, outputTokens: 4, cachedTokens, loadedTokens });
    let ms = 0;
    for (;;) {
      const s = e.step();
      ms += s.ms;
      if (s.emissions.some((x) => x.tokens > 0)) return ms;
    }
  }

  it("skips the cached prefix; KV loaded back from DRAM costs its transfer time, less than prefill", () => {
    const cold = ttft(0, 0);
    const gpuHit = ttft(31_000, 0);
    const dramHit = ttft(31_000, 31_000);
    expect(gpuHit).toBeLessThan(cold / 5);
    expect(dramHit - gpuHit).toBeCloseTo(perf.hostLoadMs(31_000), 6);
    expect(dramHit).toBeLessThan(cold);
    // a whole-prompt hit still computes the last token
    expect(ttft(32_000, 0)).toBeGreaterThan(0);
  });
});
