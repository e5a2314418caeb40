/**
 * The emulated engine's catalog entries for the reference lab's newer models (DeepSeek-V4-Pro,
 * Qwen3.5-397B-A17B, Kimi-K3): the names the lab's master configs give find them, their KV bytes
 * per token follow from the config facts their comments cite, and the topologies the lab runs
 * them at fit and serve, Kimi-K3 on B200s with pipeline parallelism over two nodes (TP8 x PP2)
 * included, while Kimi-K3 on eight B200s alone is refused, naming why; MiniMax-M3 and GLM-5.2
 * likewise at every TP of the lab's single-node agentic rows.
 */
import { describe, expect, it } from "vitest";
import { defaultEngineOptions } from "./batch-engine.js";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog, parsePrecision } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { type EmulatorHandle, startEmulator } from "./server.js";
import { simulatePoint } from "./simulate.js";
import { streamRequest } from "./stream-client.js";

const models = loadModelCatalog();
const skus = loadSkuCatalog();

const perf = (
  sku: string,
  model: string,
  precision: string,
  tp: number,
  o: { ep?: number; pp?: number; dpAttn?: boolean } = {},
) =>
  new PerfModel(findSku(skus, sku).spec, findModel(models, model).spec, parsePrecision(precision), {
    tp,
    ep: o.ep ?? 1,
    pp: o.pp ?? 1,
    dpAttn: o.dpAttn ?? false,
    mtp: true,
  });

describe("catalog: the lab's DeepSeek-V4, Qwen3.5 and Kimi-K3", () => {
  it("finds each model by the names of the lab's master configs", () => {
    const names: Record<string, string[]> = {
      dsv4: ["deepseek-ai/DeepSeek-V4-Pro"],
      "qwen3.5": [
        "Qwen/Qwen3.5-397B-A17B-FP8",
        "nvidia/Qwen3.5-397B-A17B-NVFP4",
        "nvidia/Qwen3.5-397B-A17B-NVFP4-V2",
        "amd/Qwen3.5-397B-A17B-MXFP4",
      ],
      kimik3: ["moonshotai/Kimi-K3"],
    };
    for (const [key, hf] of Object.entries(names)) for (const n of hf) expect(findModel(models, n).key, n).toBe(key);
    // the older models keep their keys
    expect(findModel(models, "deepseek-ai/DeepSeek-R1-0528").key).toBe("dsr1");
    expect(() => findModel(models, "nvidia/Kimi-K2.6-NVFP4")).toThrow(/unknown model "nvidia\/Kimi-K2.6-NVFP4"/);
  });

  it("sizes KV per token from the layers that hold it", () => {
    const kv = (key: string) => findModel(models, key).spec.kvBytesPerToken;
    // Qwen3.5: 15 full-attention layers (1 in 4 of 60) x K,V x 2 heads x 256 dim, fp8
    expect(kv("qwen3.5").fp8).toBe((60 / 4) * 2 * 2 * 256);
    // Kimi-K3: 24 gated-MLA layers x 512 latent elements, fp8
    expect(kv("kimik3").fp8).toBe(24 * 512);
    // DeepSeek-V4: ~30 CSA layers (512/4 + indexer 64/4) and ~30 HCA layers (512/128), fp8
    expect(kv("dsv4").fp8).toBe(30 * (512 / 4 + 64 / 4 + 512 / 128));
    for (const key of ["dsv4", "qwen3.5", "kimik3"]) {
      const s = findModel(models, key).spec;
      expect(s.kvBytesPerToken.bf16, key).toBeGreaterThan(s.kvBytesPerToken.fp8);
      // the compressed / hybrid caches hold less per token than DeepSeek-R1's full MLA
      expect(s.kvBytesPerToken.fp8, key).toBeLessThan(findModel(models, "dsr1").spec.kvBytesPerToken.fp8);
      expect(s.activeParamsB, key).toBeLessThan(s.paramsB);
      // what a step reads: every parameter but the MTP layer's (DeepSeek-V4's holds 384 more experts)
      expect(s.denseParamsB + s.expertParamsB, key).toBeLessThanOrEqual(s.paramsB);
      expect(s.denseParamsB + s.expertParamsB, key).toBeGreaterThan(0.95 * s.paramsB);
    }
  });

  it("serves the lab's topologies with MTP and room for long agentic contexts", () => {
    const topologies: Array<[string, string, string, number, { ep?: number; pp?: number; dpAttn?: boolean }]> = [
      // dsv4-fp4-b300-sglang-agentic-hicache-mtp, dsv4-fp4-mi355x-vllm-agentic-mtp
      ["b300", "dsv4", "fp4", 8, { ep: 8, dpAttn: true }],
      ["mi355x", "dsv4", "fp4", 8, { ep: 8 }],
      // qwen3.5-fp8-h200-sglang-agentic-mtp, qwen3.5-fp4-b200-sglang-agentic-mtp
      ["h200", "qwen3.5", "fp8", 8, {}],
      ["b200", "qwen3.5", "fp4", 4, {}],
      // kimik3-fp4-gb300-dynamo-vllm-agentic-*-dcp8, kimik3-fp4-mi355x-vllm-agentic-mtp
      ["gb300", "kimik3", "fp4", 8, { ep: 8 }],
      ["mi355x", "kimik3", "fp4", 8, { ep: 8 }],
      // kimik3-fp4-b200-dynamo-vllm-agentic: TP8 x PP2 over two B200 nodes
      ["b200", "kimik3", "fp4", 8, { pp: 2 }],
    ];
    for (const [sku, model, precision, tp, o] of topologies) {
      const what = `${model} ${precision} ${sku} tp${tp}`;
      const m = perf(sku, model, precision, tp, o);
      expect(m.kvCapacityTokens, what).toBeGreaterThan(200_000);
      expect(m.meanAcceptLength, what).toBeGreaterThan(1);
      const p = simulatePoint(m, defaultEngineOptions(m), { concurrency: 8, isl: 8192, osl: 256, requests: 16 });
      expect(p.tputPerGpu, what).toBeGreaterThan(0);
      expect(p.interactivity, what).toBeGreaterThan(0);
    }
  });

  it("fits Kimi-K3 on two B200 nodes with TP8 x PP2, as the lab's recipe runs it, and refuses TP8 alone", () => {
    expect(() => perf("b200", "kimik3", "fp4", 8, { ep: 8 })).toThrow(
      /out of memory: moonshotai\/Kimi-K3 fp4 at tp 8 needs/,
    );
    const m = perf("b200", "kimik3", "fp4", 8, { pp: 2 });
    expect(m.gpus).toBe(16);
    // 2.8T parameters at fp4 over 16 GPUs: about 98 GB each, of the 154 GB a B200 offers
    expect(m.weightBytesPerGpu / 1e9).toBeCloseTo((2800 * 0.5625) / 16, 0);
    expect(m.kvCapacityTokens).toBeGreaterThan(1_000_000);
    // two stages of four GPUs hold no more than eight GPUs alone
    expect(() => perf("b200", "kimik3", "fp4", 4, { pp: 2 })).toThrow(/at tp 4 × pp 2 needs/);
  });

  it("runs as an emulated engine with a prefix cache and a host tier, a turn served and then reused", async () => {
    const engines: Array<[string, Record<string, unknown>]> = [
      ["deepseek-ai/DeepSeek-V4-Pro", { sku: "b300", precision: "fp4", tp: 8, ep: 8, dpAttn: true }],
      ["Qwen/Qwen3.5-397B-A17B-FP8", { sku: "h200", precision: "fp8", tp: 8 }],
      ["moonshotai/Kimi-K3", { sku: "gb300", precision: "fp4", tp: 8, ep: 8 }],
    ];
    for (const [model, par] of engines) {
      let e: EmulatorHandle | undefined;
      try {
        e = await startEmulator({
          ...par,
          model,
          spec: "mtp",
          prefixCache: true,
          dramOffloadGb: 100,
          metricNames: "sglang",
          timeScale: 0.01,
        });
        const prompt = Array.from({ length: 4096 }, (_, i) => i % 1000);
        for (let turn = 0; turn < 2; turn++) {
          const r = await streamRequest(`${e.url}/v1/completions`, { prompt, max_tokens: 4, stream: true });
          expect(r.status, `${model}: ${r.text}`).toBe(200);
          expect(r.done, model).toBe(true);
        }
        const metrics = await (await fetch(`${e.url}/metrics`)).text();
        const cached = Number(/^sglang:cached_tokens_total\{[^}]*\} ([0-9.e+]+)$/m.exec(metrics)?.[1]);
        // the second turn found the first one's prompt in the cache
        expect(cached, model).toBeGreaterThanOrEqual(4096 - 64);
      } finally {
        await e?.close();
      }
    }
  });
});

describe("catalog: the lab's MiniMax-M3 and GLM-5.2", () => {
  it("finds each model by the names of the lab's master configs and agentic scripts", () => {
    const names: Record<string, string[]> = {
      minimaxm3: ["MiniMaxAI/MiniMax-M3-MXFP8", "nvidia/MiniMax-M3-NVFP4", "amd/MiniMax-M3-MXFP4", "minimaxm3"],
      "glm5.2": ["zai-org/GLM-5.2-FP8", "nvidia/GLM-5.2-NVFP4", "amd/GLM-5.2-MXFP4", "glm5.2"],
    };
    for (const [key, hf] of Object.entries(names)) for (const n of hf) expect(findModel(models, n).key, n).toBe(key);
    // an older GLM or MiniMax is not taken for these
    expect(() => findModel(models, "zai-org/GLM-4.6")).toThrow(/unknown model "zai-org\/GLM-4.6"/);
    expect(() => findModel(models, "MiniMaxAI/MiniMax-M2.5")).toThrow(/unknown model/);
  });

  it("sizes KV per token and parameters from the cited config facts", () => {
    const m3 = findModel(models, "minimaxm3").spec;
    // GQA: 60 layers x K,V x 4 KV heads x 128 dim, fp8
    expect(m3.kvBytesPerToken.fp8).toBe(60 * 2 * 4 * 128);
    const glm = findModel(models, "glm5.2").spec;
    // MLA: 78 layers x (512 latent + 64 rope + the DSA indexer's 128-dim key), fp8
    expect(glm.kvBytesPerToken.fp8).toBe(78 * (512 + 64 + 128));
    for (const s of [m3, glm]) {
      expect(s.kvBytesPerToken.bf16, s.name).toBeGreaterThan(s.kvBytesPerToken.fp8);
      expect(s.activeParamsB, s.name).toBeLessThan(s.paramsB);
      expect(s.denseParamsB + s.expertParamsB, s.name).toBeLessThanOrEqual(s.paramsB);
      expect(s.denseParamsB + s.expertParamsB, s.name).toBeGreaterThan(0.95 * s.paramsB);
      // the active parameters: the dense part and the top-k routed experts' share
      const active = s.denseParamsB + (s.expertParamsB * s.activeExperts) / s.experts;
      expect(Math.abs(active - s.activeParamsB) / s.activeParamsB, s.name).toBeLessThan(0.15);
      expect(s.maxModelLen, s.name).toBe(1_048_576);
      expect(s.mtp?.draftTokens, s.name).toBe(3);
    }
  });

  // every TP of the lab's single-node agentic rows (configs/{nvidia,amd}-master.yaml)
  const rows: Array<[string, string, string, number, { ep?: number }]> = [
    // minimaxm3-fp8-{h100,h200,mi300x,mi325x}-vllm-agentic-mtp: TP8
    ["h100", "MiniMaxAI/MiniMax-M3-MXFP8", "fp8", 8, {}],
    ["h200", "MiniMaxAI/MiniMax-M3-MXFP8", "fp8", 8, {}],
    ["mi300x", "MiniMaxAI/MiniMax-M3-MXFP8", "fp8", 8, {}],
    ["mi325x", "MiniMaxAI/MiniMax-M3-MXFP8", "fp8", 8, {}],
    // minimaxm3-fp4-{b200,b300}-{vllm,trtllm}-agentic-mtp: TP8, TP4 (and TP2 on B300)
    ["b200", "nvidia/MiniMax-M3-NVFP4", "fp4", 8, {}],
    ["b200", "nvidia/MiniMax-M3-NVFP4", "fp4", 4, {}],
    ["b300", "nvidia/MiniMax-M3-NVFP4", "fp4", 8, {}],
    ["b300", "nvidia/MiniMax-M3-NVFP4", "fp4", 4, {}],
    ["b300", "nvidia/MiniMax-M3-NVFP4", "fp4", 2, {}],
    // minimaxm3-fp4-mi355x-vllm-agentic-mtp: TP4, TP2
    ["mi355x", "amd/MiniMax-M3-MXFP4", "fp4", 4, {}],
    ["mi355x", "amd/MiniMax-M3-MXFP4", "fp4", 2, {}],
    // glm5.2-fp8-mi325x-sglang-agentic-mtp: TP8 EP1
    ["mi325x", "zai-org/GLM-5.2-FP8", "fp8", 8, {}],
    // glm5.2-fp4-{b200,b300}-sglang-agentic-mtp: TP8
    ["b200", "nvidia/GLM-5.2-NVFP4", "fp4", 8, {}],
    ["b300", "nvidia/GLM-5.2-NVFP4", "fp4", 8, {}],
    // glm5.2-fp4-mi355x-sglang-agentic-mtp: TP4 EP4, TP8 EP8; the atom row: TP4, TP8
    ["mi355x", "amd/GLM-5.2-MXFP4", "fp4", 4, { ep: 4 }],
    ["mi355x", "amd/GLM-5.2-MXFP4", "fp4", 8, { ep: 8 }],
    ["mi355x", "amd/GLM-5.2-MXFP4", "fp4", 4, {}],
    ["mi355x", "amd/GLM-5.2-MXFP4", "fp4", 8, {}],
  ];

  it("fits every TP of the lab's agentic rows with MTP and room for a long agentic context", () => {
    for (const [sku, model, precision, tp, o] of rows) {
      const what = `${model} ${sku} tp${tp}`;
      const m = perf(sku, model, precision, tp, o);
      expect(m.kvCapacityTokens, what).toBeGreaterThan(200_000);
      expect(m.meanAcceptLength, what).toBeGreaterThan(1);
      const p = simulatePoint(m, defaultEngineOptions(m), { concurrency: 4, isl: 8192, osl: 256, requests: 8 });
      expect(p.tputPerGpu, what).toBeGreaterThan(0);
      expect(p.interactivity, what).toBeGreaterThan(0);
    }
  });

  it("refuses MiniMax-M3 fp8 on fewer H100s than the lab's TP8, naming why", () => {
    expect(() => perf("h100", "MiniMaxAI/MiniMax-M3-MXFP8", "fp8", 4)).toThrow(
      /out of memory: MiniMaxAI\/MiniMax-M3 fp8 at tp 4 needs/,
    );
  });

  it("serves one request as an emulated engine at each lab row's topology", async () => {
    for (const [sku, model, precision, tp, o] of rows) {
      const what = `${model} ${sku} tp${tp}`;
      let e: EmulatorHandle | undefined;
      try {
        e = await startEmulator({ sku, precision, tp, ...o, model, spec: "mtp", prefixCache: true, timeScale: 0.01 });
        const r = await streamRequest(`${e.url}/v1/completions`, {
          prompt: Array.from({ length: 2048 }, (_, i) => i % 1000),
          max_tokens: 4,
          stream: true,
        });
        expect(r.status, `${what}: ${r.text}`).toBe(200);
        expect(r.done, what).toBe(true);
      } finally {
        await e?.close();
      }
    }
  });
});
