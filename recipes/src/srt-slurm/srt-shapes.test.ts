/**
 * Recipes whose resources are shaped differently from the runner the row names, written by us in
 * srt-slurm's format (the SGLang 1P1D recipe of configs/srt-slurm-recipes/ with its resources
 * changed): `gpus_per_node` below the runner's, which srtctl submits as `--gpus-per-node` of a
 * shared node, launched on that many GPUs of each node when the row's pools take as many nodes.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Deployment, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const SGLANG = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8");
const RESOURCES = `resources:
  gpu_type: "gb200"
  gpus_per_node: 4
  prefill_nodes: 1
  prefill_workers: 1
  decode_nodes: 1
  decode_workers: 1
`;

function row(resources: string, prefill: { numWorker: number; tp: number }, decodeTp = 2): Deployment {
  const configFile = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";
  expect(SGLANG).toContain(RESOURCES);
  const d = makeDeployment({
    configKey: "test-shape",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    isl: 1024,
    concs: [4, 8],
    prefill: { ...prefill, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: decodeTp, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  const text = SGLANG.replace(RESOURCES, resources);
  return { ...d, srtRecipe: { configFile, path: "srt/shape.yaml", text } };
}
const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const refusal = (d: Deployment): string => {
  try {
    plan(d);
  } catch (e) {
    if (e instanceof RecipeError) return e.message;
    throw e;
  }
  throw new Error("launched without a refusal");
};

describe("gpus_per_node below the runner's", () => {
  const two = RESOURCES.replace("gpus_per_node: 4", "gpus_per_node: 2");

  it("each TP2 worker on its own node, on 2 of its 4 GPUs, as Slurm's --gpus-per-node=2 gives srtctl", () => {
    const d = row(two, { numWorker: 1, tp: 2 });
    expect(d.gpusPerNode).toBe(4);
    const p = plan(d);
    expect(p.nodes).toHaveLength(2);
    for (const n of p.nodes) {
      const worker = n.processes.find((x) => x.role === "prefill" || x.role === "decode")!;
      expect(worker.gpus).toEqual([0, 1]);
      expect(worker.env.CUDA_VISIBLE_DEVICES).toBe("0,1");
    }
  });

  it("refused where the row's pool takes fewer nodes than the recipe's (srtctl would spread the workers)", () => {
    const twoPrefill = two.replace("prefill_nodes: 1\n  prefill_workers: 1", "prefill_nodes: 2\n  prefill_workers: 2");
    expect(refusal(row(twoPrefill, { numWorker: 2, tp: 2 }))).toMatch(
      /resources: prefill: 2 nodes of 2 GPUs \(gpus_per_node\) but the row's prefill workers take 1 of the runner's 4 \(row test-shape\)$/,
    );
  });

  it("more than the runner's: refused", () => {
    const eight = RESOURCES.replace("gpus_per_node: 4", "gpus_per_node: 8");
    expect(refusal(row(eight, { numWorker: 1, tp: 8 }, 8))).toMatch(
      /resources: gpus_per_node 8 but the row's runner has 4 GPUs a node \(row test-shape\)$/,
    );
  });
});
