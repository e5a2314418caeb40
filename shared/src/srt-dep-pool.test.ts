import { describe, expect, it } from "vitest";
import { loadMasterConfigs } from "./master-config-load.js";
import { buildPlan } from "./planner.js";
import { srtDepDeployment } from "./srt-dep-pool.js";
import type { SrtRecipeSource } from "./srt-recipe-source.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

/** the lab's vLLM DEP rows: prefill `tp: 1, ep: 8, dp-attn: true` (DP8 × TP1), decode TP8 */
const text = (settings: string) => `
dep:
  image: img
  model: m
  model-prefix: dsv4
  runner: b200
  precision: fp4
  framework: dynamo-vllm
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - conc-list: [8]
        prefill: { num-worker: 2, tp: 1, ep: 8, dp-attn: true, additional-settings: [${settings}] }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false, additional-settings: [${settings}] }
`;
const source: SrtRecipeSource = (f) => ({ path: `/dir/${f}`, text: "name: a\n" });
const plan = (settings: string, srtRecipes?: SrtRecipeSource) =>
  buildPlan(loadMasterConfigs([{ file: "m.yaml", text: text(settings) }]), {
    catalog,
    ...(srtRecipes ? { srtRecipes } : {}),
  }).deployments[0]!;

describe("a DEP pool (tp 1, ep N, dp-attn) of a row launched from its srt-slurm recipe", () => {
  it("has workers of N GPUs, as srtctl launches the recipe's data-parallel group", () => {
    const d = plan('"CONFIG_FILE=recipes/dep.yaml"', source);
    expect(d.prefill).toMatchObject({ numWorker: 2, tp: 1, ep: 8, gpusPerWorker: 8, gpus: 16, nodes: 2 });
    expect(d.decode).toMatchObject({ gpusPerWorker: 8, gpus: 8, nodes: 1 });
    expect(d.gpus).toBe(24);
    expect(d.nodes).toBe(3);
  });

  it("keeps tp × pp × pcp when the row names no recipe or no recipes are given", () => {
    for (const d of [plan("", source), plan('"CONFIG_FILE=recipes/dep.yaml"')]) {
      expect(d.prefill).toMatchObject({ gpusPerWorker: 1, gpus: 2, nodes: 1 });
      expect(d.gpus).toBe(10);
    }
  });

  it("srtDepDeployment widens a deployment planned without recipes the same way; a row naming none stays", () => {
    const narrow = plan('"CONFIG_FILE=recipes/dep.yaml"');
    const wide = plan('"CONFIG_FILE=recipes/dep.yaml"', source);
    const widened = srtDepDeployment(narrow);
    expect([widened.prefill, widened.decode, widened.gpus, widened.nodes]).toEqual([
      wide.prefill,
      wide.decode,
      wide.gpus,
      wide.nodes,
    ]);
    const unnamed = plan("", source);
    expect(srtDepDeployment(unnamed)).toBe(unnamed);
  });
});
