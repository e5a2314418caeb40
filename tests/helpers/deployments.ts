/** Test helper: valid `Deployment` objects made by hand (no planner needed). */
import { createHash } from "node:crypto";
import { makeDeployment as makeRecipeDeployment } from "@benchfleet/recipes/test-support";
import { Deployment, type LoadPoint, type SkuName } from "@benchfleet/shared";

export interface MakeDeployment {
  seed: string;
  runner?: string;
  sku?: SkuName;
  nodes?: number;
  gpusPerNode?: number;
  points?: LoadPoint[];
  eval?: boolean;
  priority?: number;
  wallSeconds?: number;
  /** phase timeout in seconds (all phases) */
  phaseTimeoutS?: number;
}

export function makeDeployment(o: MakeDeployment): Deployment {
  const sku = o.sku ?? "h100";
  const gpusPerNode = o.gpusPerNode ?? 8;
  const nodes = o.nodes ?? 1;
  const t = o.phaseTimeoutS ?? 600;
  return Deployment.parse({
    fingerprint: createHash("sha256").update(o.seed).digest("hex"),
    configKey: `test-${o.seed}`,
    configKeys: [`test-${o.seed}`],
    sourceFiles: ["tests/helpers/deployments.ts"],
    runner: o.runner ?? sku,
    sku,
    gpusPerNode,
    image: "example/engine:1.0",
    model: "example/model",
    modelPrefix: "example",
    precision: "fp8",
    framework: "vllm",
    isl: 1024,
    osl: 1024,
    specDecoding: "none",
    multinode: nodes > 1,
    disagg: false,
    scenario: "fixed-seq-len",
    tp: gpusPerNode,
    ep: 1,
    pp: 1,
    dpAttn: false,
    dcpSize: 1,
    pcpSize: 1,
    nodes,
    gpus: nodes * gpusPerNode,
    points: o.points ?? [
      { concurrency: 4, isl: 1024, osl: 1024 },
      { concurrency: 8, isl: 1024, osl: 1024 },
    ],
    eval: o.eval ?? false,
    evalsOnly: false,
    launchPerPoint: false,
    promptsPerConc: 10,
    maxModelLen: 4096,
    recipeOverrides: {},
    priority: o.priority ?? 100,
    timeouts: { prepare: t, launch: t, ready: t, warmup: t, load: t, eval: t, teardown: t },
    estimate: {
      launchSeconds: 60,
      loadSeconds: 120,
      evalSeconds: 0,
      wallSeconds: o.wallSeconds ?? 300,
      gpuHours: ((o.wallSeconds ?? 300) * nodes * gpusPerNode) / 3600,
    },
  });
}

/**
 * A 2-node disaggregated SGLang deployment (one prefill and one decode worker, TP8 each, DeepSeek-R1
 * FP8 on H200) with short phase timeouts, for gang and Slurm tests; distinct seeds give distinct
 * fingerprints.
 */
export function twoNodeDisagg(seed: string, o: { osl?: number; promptsPerConc?: number } = {}): Deployment {
  const d = makeRecipeDeployment({
    configKey: `dsr1-fp8-h200-sglang-disagg-${seed}`,
    sku: "h200",
    framework: "sglang-disagg",
    model: "deepseek-ai/DeepSeek-R1-0528",
    modelPrefix: "dsr1",
    precision: "fp8",
    image: "lmsysorg/sglang:v0.5.16-cu129",
    isl: 256,
    osl: o.osl ?? 16,
    concs: [4],
    kvP2pTransfer: "nixl",
    prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
    decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
  });
  const t = 60;
  return {
    ...d,
    fingerprint: createHash("sha256").update(seed).digest("hex"),
    promptsPerConc: o.promptsPerConc ?? 2,
    timeouts: { prepare: t, launch: t, ready: t, warmup: t, load: t, eval: t, teardown: t },
  };
}
