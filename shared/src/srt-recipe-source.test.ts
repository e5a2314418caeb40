import { describe, expect, it } from "vitest";
import { loadMasterConfigs } from "./master-config-load.js";
import { buildPlan } from "./planner.js";
import type { SrtRecipeSource } from "./srt-recipe-source.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

const text = `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - conc-list: [8]
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/a.yaml"] }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/a.yaml"] }
`;
const plan = (srtRecipes?: SrtRecipeSource) =>
  buildPlan(loadMasterConfigs([{ file: "m.yaml", text }]), { catalog, ...(srtRecipes ? { srtRecipes } : {}) });
const source =
  (files: Record<string, string>, where = "/dir"): SrtRecipeSource =>
  (f) =>
    f in files
      ? { path: `${where}/${f}`, text: files[f]! }
      : { error: `recipe ${f} not found; searched ${where}/${f}` };

describe("the srt-slurm recipe a row names", () => {
  it("is stored with the deployment; its content, not where it was found, is part of the fingerprint", () => {
    const a = plan(source({ "recipes/a.yaml": "name: a\n" })).deployments[0]!;
    expect(a.srtRecipe).toEqual({
      configFile: "recipes/a.yaml",
      path: "/dir/recipes/a.yaml",
      text: "name: a\n",
      // launch_gb200-nv.sh: `srtctl apply --setup-script install-torchao.sh` for dynamo-sglang rows
      setupScript: "install-torchao.sh",
    });
    const moved = plan(source({ "recipes/a.yaml": "name: a\n" }, "/elsewhere")).deployments[0]!;
    expect(moved.fingerprint).toBe(a.fingerprint);
    const edited = plan(source({ "recipes/a.yaml": "name: b\n" })).deployments[0]!;
    expect(edited.fingerprint).not.toBe(a.fingerprint);
    const unread = plan().deployments[0]!;
    expect(unread.srtRecipe).toBeUndefined();
    expect(unread.fingerprint).not.toBe(a.fingerprint);
  });

  it("no recipes given: the entry is planned from benchfleet's recipe, with one warning naming it", () => {
    expect(plan().warnings).toEqual([
      "m.yaml:2:1: dis: its rows name srt-slurm recipes (CONFIG_FILE=) but no recipes were given (--srt-slurm DIR or BENCHFLEET_SRT_SLURM): planned from benchfleet's dynamo-sglang recipe, not the lab's",
    ]);
    expect(plan(source({ "recipes/a.yaml": "name: a\n" })).warnings).toBeUndefined();
    const llmd = text.replace("framework: dynamo-sglang", "framework: llmd-vllm");
    expect(buildPlan(loadMasterConfigs([{ file: "m.yaml", text: llmd }]), { catalog }).warnings).toBeUndefined();
  });

  it("carries the setup script the lab's runner passes to srtctl for the row's SKU and framework, else none", () => {
    const trt = text.replace("framework: dynamo-sglang", "framework: dynamo-trt");
    const d = buildPlan(loadMasterConfigs([{ file: "m.yaml", text: trt }]), {
      catalog,
      srtRecipes: source({ "recipes/a.yaml": "name: a\n" }),
    }).deployments[0]!;
    expect(d.srtRecipe).toBeDefined();
    expect(d.srtRecipe!.setupScript).toBeUndefined();
    const sgl = plan(source({ "recipes/a.yaml": "name: a\n" })).deployments[0]!;
    expect(d.fingerprint).not.toBe(sgl.fingerprint);
  });

  it("not found: planned with one line naming the row's setting (file:line:col) and the paths searched", () => {
    const p = plan(source({}));
    const d = p.deployments[0]!;
    expect(d.srtRecipe).toEqual({
      configFile: "recipes/a.yaml",
      path: "",
      text: "",
      notFound:
        "m.yaml:18:87: dis.scenarios.fixed-seq-len[0].search-space[0].prefill.additional-settings[0]: recipe recipes/a.yaml not found; searched /dir/recipes/a.yaml",
    });
    // where it was searched for is not part of the fingerprint; found, it is another deployment
    expect(plan(source({}, "/elsewhere")).deployments[0]!.fingerprint).toBe(d.fingerprint);
    expect(plan(source({ "recipes/a.yaml": "" })).deployments[0]!.fingerprint).not.toBe(d.fingerprint);
    expect(p.warnings).toBeUndefined();
  });

  it("an llmd-vllm row's CONFIG_FILE names llm-d's own recipe: not looked up among the srt-slurm directories", () => {
    const llmd = text.replace("framework: dynamo-sglang", "framework: llmd-vllm");
    const d = buildPlan(loadMasterConfigs([{ file: "m.yaml", text: llmd }]), { catalog, srtRecipes: source({}) })
      .deployments[0]!;
    expect(d.srtRecipe).toBeUndefined();
    expect(d.prefill!.additionalSettings).toEqual(["CONFIG_FILE=recipes/a.yaml"]);
  });

  it("adds the nodes the recipe needs beyond the row's workers (a dedicated etcd/NATS node)", () => {
    const plain = plan(source({ "recipes/a.yaml": "name: a\n" })).deployments[0]!;
    const withInfra = source({ "recipes/a.yaml": "name: a\n" });
    const seen: unknown[] = [];
    withInfra.infraNodes = (ref, row) => {
      seen.push([ref.configFile, row.configKey, row.gpusPerNode, row.prefill?.numWorker, row.decode?.tp]);
      return 1;
    };
    const d = plan(withInfra).deployments[0]!;
    expect(seen).toEqual([["recipes/a.yaml", "dis", 4, 1, 8]]);
    expect(d.infraNodes).toBe(1);
    expect(d.nodes).toBe(plain.nodes + 1);
    expect(d.gpus).toBe(plain.gpus);
    expect(plain.infraNodes).toBeUndefined();
  });
});
