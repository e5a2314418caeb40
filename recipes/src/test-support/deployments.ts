/**
 * Deployment and gang builders for recipe tests: every field of the Deployment schema, with the
 * planner's derived values (pool GPUs/nodes, max-model-len) computed the same way.
 */
import {
  type Deployment,
  Deployment as DeploymentSchema,
  type Placement,
  type PoolSpec,
  type SkuName,
} from "@benchfleet/shared";
import { layoutGang } from "../placement.js";

const GPUS_PER_NODE: Record<string, number> = { gb200: 4, gb300: 4 };

export function pool(p: Partial<PoolSpec> & { numWorker: number; tp: number }, gpusPerNode: number): PoolSpec {
  const pp = p.pp ?? 1;
  const pcpSize = p.pcpSize ?? 1;
  const gpusPerWorker = p.tp * pp * pcpSize;
  const gpus = p.numWorker * gpusPerWorker;
  return {
    numWorker: p.numWorker,
    tp: p.tp,
    ep: p.ep ?? 1,
    pp,
    dpAttn: p.dpAttn ?? false,
    dcpSize: p.dcpSize ?? 1,
    pcpSize,
    additionalSettings: p.additionalSettings ?? [],
    gpusPerWorker,
    gpus,
    nodes: Math.ceil(gpus / gpusPerNode),
  };
}

export interface DeploymentInput {
  configKey: string;
  sku: SkuName;
  framework: string;
  model: string;
  modelPrefix: string;
  precision: string;
  image: string;
  isl?: number;
  osl?: number;
  concs: number[];
  specDecoding?: "mtp" | "none" | "draft_model";
  tp?: number;
  ep?: number;
  dpAttn?: boolean;
  prefill?: Partial<PoolSpec> & { numWorker: number; tp: number };
  decode?: Partial<PoolSpec> & { numWorker: number; tp: number };
  kvP2pTransfer?: string;
  router?: { name: string; version?: string };
  recipeOverrides?: Deployment["recipeOverrides"];
}

/** A single-node SGLang DeepSeek-R1 FP8 deployment on 8×H200: the base most recipe tests vary. */
export const DSR1_H200_SGLANG: DeploymentInput = {
  configKey: "dsr1-fp8-h200-sglang",
  sku: "h200",
  framework: "sglang",
  model: "deepseek-ai/DeepSeek-R1-0528",
  modelPrefix: "dsr1",
  precision: "fp8",
  image: "img",
  concs: [4, 64],
  tp: 8,
};

export function makeDeployment(i: DeploymentInput): Deployment {
  const gpn = GPUS_PER_NODE[i.sku] ?? 8;
  const isl = i.isl ?? 1024;
  const osl = i.osl ?? 1024;
  const multinode = !!(i.prefill && i.decode);
  const prefill = i.prefill ? pool(i.prefill, gpn) : undefined;
  const decode = i.decode ? pool(i.decode, gpn) : undefined;
  const gpus = multinode ? prefill!.gpus + decode!.gpus : i.tp!;
  const d: Deployment = {
    fingerprint: "0".repeat(64),
    configKey: i.configKey,
    configKeys: [i.configKey],
    sourceFiles: ["test"],
    runner: i.sku,
    sku: i.sku,
    gpusPerNode: gpn,
    image: i.image,
    model: i.model,
    modelPrefix: i.modelPrefix,
    precision: i.precision,
    framework: i.framework,
    ...(i.router ? { router: i.router } : {}),
    ...(i.kvP2pTransfer ? { kvP2pTransfer: i.kvP2pTransfer } : {}),
    isl,
    osl,
    specDecoding: i.specDecoding ?? "none",
    multinode,
    disagg: multinode,
    scenario: "fixed-seq-len",
    ...(multinode
      ? { prefill, decode }
      : { tp: i.tp!, ep: i.ep ?? 1, pp: 1, dpAttn: i.dpAttn ?? false, dcpSize: 1, pcpSize: 1 }),
    nodes: 1,
    gpus,
    points: i.concs.map((c) => ({ concurrency: c, isl, osl })),
    eval: true,
    evalsOnly: false,
    launchPerPoint: false,
    promptsPerConc: 10,
    maxModelLen: isl + osl + 256,
    recipeOverrides: i.recipeOverrides ?? {},
    priority: 100,
    timeouts: { prepare: 1800, launch: 600, ready: 1800, warmup: 600, load: 3600, eval: 3600, teardown: 120 },
    estimate: { launchSeconds: 0, loadSeconds: 0, evalSeconds: 0, wallSeconds: 0, gpuHours: 0 },
  };
  d.nodes = layoutGang(d).nodes;
  return DeploymentSchema.parse(d);
}

/** A gang of `n` nodes 10.0.0.1.. with the SKU's GPU count and (optionally) RDMA devices. */
export function makePlacement(
  d: Deployment,
  opts: { portBase?: number; rdma?: string[]; netIfname?: string; nodes?: number } = {},
): Placement {
  const n = opts.nodes ?? layoutGang(d).nodes;
  return {
    nodes: Array.from({ length: n }, (_, i) => ({
      rank: i,
      hostname: `${d.sku}-node-${String(i).padStart(2, "0")}`,
      ip: `10.0.0.${i + 1}`,
      gpuCount: d.gpusPerNode,
      rdmaDevices: opts.rdma ?? [],
      ...(opts.netIfname ? { netIfname: opts.netIfname } : {}),
    })),
    portBase: opts.portBase ?? 20480,
    vendor: d.sku.startsWith("mi") ? "amd" : "nvidia",
  };
}
