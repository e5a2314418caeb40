/** Test helper: valid `Deployment` objects made by hand (no planner needed). */
import { createHash } from "node:crypto";
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
