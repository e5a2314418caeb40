/** The deployments pinned by golden files (recipes/src/golden/<name>.json). */
import type { Deployment, Placement } from "@benchfleet/shared";
import { makeDeployment, makePlacement } from "./deployments.js";

export interface GoldenCase {
  name: string;
  deployment: Deployment;
  placement: Placement;
}

const DSR1 = "deepseek-ai/DeepSeek-R1-0528";
const DSR1_FP4 = "nvidia/DeepSeek-R1-0528-FP4-V2";
const GPTOSS = "openai/gpt-oss-120b";
const QWEN = "Qwen/Qwen3.5-397B-A17B-FP8";
const MLX = ["mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"];

function c(name: string, d: Deployment, p: Parameters<typeof makePlacement>[1] = {}): GoldenCase {
  return { name, deployment: d, placement: makePlacement(d, p) };
}

export function goldenCases(): GoldenCase[] {
  return [
    c(
      "sglang-h200-fp8-tp8-mtp",
      makeDeployment({
        configKey: "dsr1-fp8-h200-sglang",
        sku: "h200",
        framework: "sglang",
        model: DSR1,
        modelPrefix: "dsr1",
        precision: "fp8",
        image: "lmsysorg/sglang:v0.5.16-cu129",
        isl: 8192,
        concs: [4, 16, 64],
        specDecoding: "mtp",
        tp: 8,
        ep: 1,
      }),
    ),
    c(
      "sglang-mi355x-dpa-ep8",
      makeDeployment({
        configKey: "dsr1-fp8-mi355x-sglang",
        sku: "mi355x",
        framework: "sglang",
        model: DSR1,
        modelPrefix: "dsr1",
        precision: "fp8",
        image: "rocm/sgl-dev:v0.5.9-rocm720-mi35x",
        concs: [32, 64, 128, 256],
        tp: 8,
        ep: 8,
        dpAttn: true,
      }),
    ),
    c(
      "sglang-disagg-b200-2p1d-mooncake",
      makeDeployment({
        configKey: "dsr1-fp4-b200-sglang-disagg",
        sku: "b200",
        framework: "sglang-disagg",
        model: DSR1_FP4,
        modelPrefix: "dsr1",
        precision: "fp4",
        image: "lmsysorg/sglang:v0.5.16-cu130",
        isl: 8192,
        concs: [256, 512],
        kvP2pTransfer: "mooncake",
        router: { name: "sglang-router", version: "0.3.2" },
        prefill: {
          numWorker: 2,
          tp: 8,
          ep: 8,
          dpAttn: true,
          additionalSettings: ["SGLANG_DISAGGREGATION_QUEUE_SIZE=4"],
        },
        decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
      }),
      { rdma: MLX },
    ),
    c(
      "sglang-disagg-mi355x-mori-mtp",
      makeDeployment({
        configKey: "dsr1-fp8-mi355x-sglang-disagg",
        sku: "mi355x",
        framework: "sglang-disagg",
        model: DSR1,
        modelPrefix: "dsr1",
        precision: "fp8",
        image: "rocm/sgl-dev:sglang-0.5.9-rocm720-mi35x-mori-0227-2",
        isl: 8192,
        concs: [512, 1024],
        specDecoding: "mtp",
        kvP2pTransfer: "mori",
        router: { name: "sglang-router", version: "0.3.2" },
        prefill: { numWorker: 2, tp: 8, ep: 8, dpAttn: true, additionalSettings: ["PREFILL_NODES=2"] },
        decode: {
          numWorker: 1,
          tp: 8,
          ep: 8,
          dpAttn: true,
          additionalSettings: ["DECODE_NODES=1", "DECODE_MTP_SIZE=1"],
        },
      }),
      { rdma: ["ionic_0", "ionic_1", "ionic_2", "ionic_3"], netIfname: "enp81s0f1" },
    ),
    c(
      "vllm-h100-gptoss-tp2",
      makeDeployment({
        configKey: "gptoss-fp4-h100-vllm",
        sku: "h100",
        framework: "vllm",
        model: GPTOSS,
        modelPrefix: "gptoss",
        precision: "fp4",
        image: "vllm/vllm-openai:v0.11.2",
        concs: [4, 8, 16, 32, 64],
        tp: 2,
      }),
    ),
    c(
      "vllm-b200-nixl-pd-2p1d",
      makeDeployment({
        configKey: "gptoss-fp4-b200-vllm-disagg",
        sku: "b200",
        framework: "vllm",
        model: GPTOSS,
        modelPrefix: "gptoss",
        precision: "fp4",
        image: "vllm/vllm-openai:v0.11.2",
        concs: [64, 128],
        kvP2pTransfer: "nixl",
        prefill: { numWorker: 2, tp: 4 },
        decode: { numWorker: 1, tp: 8 },
      }),
      { rdma: MLX },
    ),
    c(
      "trt-b200-dsr1-fp4-mtp",
      makeDeployment({
        configKey: "dsr1-fp4-b200-trt",
        sku: "b200",
        framework: "trt",
        model: DSR1_FP4,
        modelPrefix: "dsr1",
        precision: "fp4",
        image: "nvcr.io/nvidia/tensorrt-llm/release:1.2.0rc2",
        concs: [4, 8, 16, 32],
        specDecoding: "mtp",
        tp: 8,
        ep: 8,
        dpAttn: true,
      }),
    ),
    c(
      "dynamo-trt-gb200-1p4d-mtp",
      makeDeployment({
        configKey: "dsr1-fp4-gb200-dynamo-trt",
        sku: "gb200",
        framework: "dynamo-trt",
        model: DSR1_FP4,
        modelPrefix: "dsr1",
        precision: "fp4",
        image: "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.7.0",
        isl: 8192,
        concs: [8, 32],
        specDecoding: "mtp",
        kvP2pTransfer: "nixl",
        router: { name: "dynamo-router", version: "0.7.0" },
        prefill: { numWorker: 1, tp: 4, ep: 4, dpAttn: true },
        decode: { numWorker: 4, tp: 8, ep: 8, dpAttn: true },
      }),
    ),
    c(
      "dynamo-sglang-b200-1p1d",
      makeDeployment({
        configKey: "dsr1-fp4-b200-dynamo-sglang",
        sku: "b200",
        framework: "dynamo-sglang",
        model: DSR1_FP4,
        modelPrefix: "dsr1",
        precision: "fp4",
        image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.7.0",
        isl: 8192,
        concs: [128, 256],
        kvP2pTransfer: "nixl",
        prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
        decode: { numWorker: 1, tp: 16, ep: 16, dpAttn: true },
      }),
      { rdma: MLX },
    ),
    c(
      "dynamo-vllm-gb200-dep8-tp8",
      makeDeployment({
        configKey: "dsv4-fp4-gb200-dynamo-vllm",
        sku: "gb200",
        framework: "dynamo-vllm",
        model: "deepseek-ai/DeepSeek-V4-Pro",
        modelPrefix: "dsv4",
        precision: "fp4",
        image: "vllm/vllm-openai:v0.25.1",
        isl: 8192,
        concs: [1],
        kvP2pTransfer: "nixl",
        router: { name: "dynamo-router", version: "1.2.0.dev20260426" },
        prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
        decode: { numWorker: 1, tp: 8, ep: 1, dpAttn: false },
      }),
    ),
    c(
      "atom-mi355x-dsr1-mtp",
      makeDeployment({
        configKey: "dsr1-fp8-mi355x-atom",
        sku: "mi355x",
        framework: "atom",
        model: DSR1,
        modelPrefix: "dsr1",
        precision: "fp8",
        image: "rocm/atom:rocm7.1.1",
        isl: 8192,
        concs: [4, 8, 16],
        specDecoding: "mtp",
        tp: 8,
        ep: 1,
      }),
    ),
    c(
      "sglang-h200-agentic-hicache",
      agentic(
        makeDeployment({
          configKey: "qwen3.5-fp8-h200-sglang-agentic",
          sku: "h200",
          framework: "sglang",
          model: QWEN,
          modelPrefix: "qwen3.5",
          precision: "fp8",
          image: "lmsysorg/sglang:v0.5.16-cu129",
          concs: [16],
          tp: 8,
        }),
        { name: "hicache" },
        1651,
      ),
    ),
    c(
      "vllm-h200-agentic-native",
      agentic(
        makeDeployment({
          configKey: "qwen3.5-fp8-h200-vllm-agentic",
          sku: "h200",
          framework: "vllm",
          model: QWEN,
          modelPrefix: "qwen3.5",
          precision: "fp8",
          image: "vllm/vllm-openai:v0.25.1",
          concs: [16],
          tp: 4,
        }),
        { name: "vllm-native" },
        825,
      ),
    ),
    c(
      "vllm-b200-agentic-simple",
      agentic(
        makeDeployment({
          configKey: "dsv4-fp4-b200-vllm-agentic",
          sku: "b200",
          framework: "vllm",
          model: "deepseek-ai/DeepSeek-V4-Pro",
          modelPrefix: "dsv4",
          precision: "fp4",
          image: "vllm/vllm-openai:v0.25.1",
          concs: [32],
          tp: 8,
          ep: 8,
          dpAttn: true,
        }),
        { name: "vllm-simple" },
        1651,
      ),
    ),
    c(
      "vllm-h100-agentic-mooncake",
      agentic(
        makeDeployment({
          configKey: "minimaxm3-fp8-h100-vllm-agentic",
          sku: "h100",
          framework: "vllm",
          model: "MiniMaxAI/MiniMax-M3",
          modelPrefix: "minimaxm3",
          precision: "fp8",
          image: "vllm/vllm-openai:v0.25.1",
          concs: [8],
          tp: 8,
        }),
        { name: "mooncake" },
        1651,
      ),
      { rdma: MLX },
    ),
    c(
      "vllm-mi300x-agentic-lmcache",
      agentic(
        makeDeployment({
          configKey: "minimaxm3-fp8-mi300x-vllm-agentic",
          sku: "mi300x",
          framework: "vllm",
          model: "MiniMaxAI/MiniMax-M3",
          modelPrefix: "minimaxm3",
          precision: "fp8",
          image: "vllm/vllm-openai-rocm:v0.25.1",
          concs: [16],
          tp: 4,
        }),
        { name: "lmcache" },
        1200,
      ),
    ),
    c(
      "dynamo-vllm-gb200-agg-tp16-agentic-mooncake",
      agentic(
        makeDeployment({
          configKey: "kimik3-fp4-gb200-dynamo-vllm-agentic-mooncake-agg",
          sku: "gb200",
          framework: "dynamo-vllm",
          model: "moonshotai/Kimi-K3",
          modelPrefix: "kimik3",
          precision: "fp4",
          image: "vllm/vllm-openai:v0.25.1",
          concs: [16],
          router: { name: "dynamo-router", version: "1.2.0.dev20260426" },
          prefill: { numWorker: 1, tp: 16, ep: 1, dpAttn: false },
          decode: { numWorker: 0, tp: 16, ep: 1, dpAttn: false },
        }),
        { name: "mooncake" },
        384,
      ),
      { rdma: MLX },
    ),
    c(
      "dynamo-sglang-gb300-agg-tp4-agentic-hicache",
      agentic(
        makeDeployment({
          configKey: "dsv4-fp4-gb300-dynamo-sglang-agentic-agg",
          sku: "gb300",
          framework: "dynamo-sglang",
          model: "deepseek-ai/DeepSeek-V4-Pro",
          modelPrefix: "dsv4",
          precision: "fp4",
          image: "lmsysorg/sglang:nightly-dev-cu13-20260719-99f5a6f4",
          concs: [16],
          specDecoding: "mtp",
          router: { name: "dynamo-router", version: "1.3.0.dev20260718" },
          prefill: { numWorker: 1, tp: 4, ep: 1, dpAttn: false },
          decode: { numWorker: 0, tp: 4, ep: 1, dpAttn: false },
        }),
        { name: "hicache" },
        1800,
      ),
    ),
    c(
      "dynamo-trt-gb300-agg-tp8-agentic-mtp",
      agentic(
        makeDeployment({
          configKey: "glm5.2-fp4-gb300-dynamo-trt-agentic-agg-mtp",
          sku: "gb300",
          framework: "dynamo-trt",
          model: "nvidia/GLM-5.2-NVFP4",
          modelPrefix: "glm5.2",
          precision: "fp4",
          image: "nvcr.io/nvidia/tensorrt-llm/release:1.3.0rc22.post1",
          concs: [1],
          specDecoding: "mtp",
          router: { name: "dynamo-router", version: "1.4.0.dev20260807" },
          prefill: { numWorker: 1, tp: 8, ep: 1, dpAttn: false },
          decode: { numWorker: 0, tp: 8, ep: 1, dpAttn: false },
        }),
        undefined,
        0,
      ),
    ),
  ];
}

/** The deployment as the planner makes an agentic row of it: no ISL/OSL or context cap, DRAM offload. */
function agentic(d: Deployment, backend: { name: string } | undefined, dramOffloadGb: number): Deployment {
  const kvOffloading = backend ? "dram" : "none";
  const { maxModelLen: _, ...rest } = d;
  return {
    ...rest,
    scenario: "agentic-coding",
    isl: 0,
    osl: 0,
    eval: false,
    points: d.points.map((p) => ({ concurrency: p.concurrency, isl: 0, osl: 0, durationS: 3600 })),
    kvOffloading,
    agentic: { durationS: 3600, kvOffloading, ...(backend ? { kvOffloadBackend: backend } : {}), dramOffloadGb },
  };
}
