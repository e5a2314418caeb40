/**
 * Recipes whose resources are shaped differently from the runner the row names, written by us in
 * srt-slurm's format (the SGLang 1P1D recipe of configs/srt-slurm-recipes/ with its resources
 * changed): `gpus_per_node` below the runner's, which srtctl submits as `--gpus-per-node` of a
 * shared node, launched on that many GPUs of each node when the row's pools take as many nodes;
 * an aggregated recipe whose worker is wider than its row's, planned through the real recipe
 * source: launched as the recipe says, with one warning, per-GPU results counted as the lab does.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlan, type Deployment, loadMasterConfigs, RecipeError } from "@benchfleet/shared";
import { testCatalog as catalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtTestDir } from "../test-support/srt-test-dir.js";
import { srtRecipeSource } from "./recipe-dirs.js";

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

describe("an aggregated recipe whose worker differs from its row's", () => {
  const dir = srtTestDir("srt-agg-shape-");
  // one worker of TP8 over two nodes, where the row says TP4
  const recipe = `name: agg
model: { path: dsr1, container: dynamo-sglang, precision: fp8 }
resources:
  gpu_type: gb200
  gpus_per_node: 4
  agg_nodes: 2
  agg_workers: 1
backend:
  type: sglang
  sglang_config:
    aggregated: { tp-size: 8 }
`;
  writeFileSync(join(dir, "recipes", "agg.yaml"), recipe);
  const file = join(dir, "recipes", "agg.yaml");
  const master = `
agg:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: false
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 128
      search-space:
      - conc-list: [4]
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/agg.yaml"] }
        decode: { num-worker: 0, tp: 4, ep: 1, dp-attn: false }
`;
  const plan = buildPlan(loadMasterConfigs([{ file: "m.yaml", text: master }]), {
    catalog,
    srtRecipes: srtRecipeSource([dir]),
  });
  const d = plan.deployments[0]!;

  it("is planned with the recipe's worker: 8 GPUs on 2 nodes; per-GPU results over the row's 4", () => {
    expect(d.prefill).toMatchObject({ numWorker: 1, tp: 4, gpusPerWorker: 8, gpus: 8, nodes: 2 });
    expect(d.decode).toMatchObject({ numWorker: 0, gpus: 0 });
    expect([d.gpus, d.nodes, d.resultGpus]).toEqual([8, 2, 4]);
    const launch = buildLaunchPlan(d, makePlacement(d));
    const workers = launch.nodes.map((n) => n.processes.filter((x) => x.role === "worker").map((x) => x.name));
    expect(workers).toEqual([["agg-0-rank0"], ["agg-0-rank1"]]);
  });

  it("warns once, at the recipe's resources, naming the row", () => {
    expect(plan.warnings?.filter((w) => w.includes("aggregated worker"))).toEqual([
      `${file}:3:1: resources: srtctl launches the recipe's 1 aggregated worker(s) of 8 GPUs (8 GPUs) where the master-config row agg (m.yaml:16) names 1 of 4 (tp 4, ep 1): launched as the recipe says; per-GPU results divide by the row's 4 GPUs (num-worker × tp × pp × pcp), as the lab's result files do`,
    ]);
  });
});
