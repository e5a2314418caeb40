/**
 * Files of srt-slurm's configs/ a recipe uses (setup_script, /configs/... paths): found among the
 * --srt-slurm directories at plan time, stored with the deployment, written at /configs in every
 * worker container, and the setup script run before the worker as srtctl runs it. A directory in
 * srt-slurm's layout is written per test; the recipe is ours (configs/srt-slurm-recipes/).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeCensus } from "./recipe-census.js";
import { CONFIG_DIRECTORY_ROOT } from "./recipe-configs.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const OURS = fileURLToPath(
  new URL("../../../configs/srt-slurm-recipes/dsr1-fp4/gb200-disagg-1p1d.yaml", import.meta.url),
);
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";
const SCRIPT = "#!/bin/bash\npip install --quiet some-dep==1.2\n";
const DEEPEP = '{"normal_dispatch": {"num_sms": 24}}\n';

/** an srt-slurm checkout: recipes/, configs/ with the script under patches/ */
function checkout(recipe: string): string {
  const dir = mkdtempSync(join(tmpdir(), "srt-slurm-"));
  mkdirSync(join(dir, "recipes", "dsr1-fp4"), { recursive: true });
  mkdirSync(join(dir, "configs", "patches"), { recursive: true });
  writeFileSync(join(dir, CONFIG_FILE), recipe);
  writeFileSync(join(dir, "configs", "patches", "deps.sh"), SCRIPT);
  writeFileSync(join(dir, "configs", "deepep_config.json"), DEEPEP);
  return dir;
}

const RECIPE = readFileSync(OURS, "utf8")
  .replace(
    'name: "benchfleet-demo-gb200-fp4-1p1d"\n',
    'name: "benchfleet-demo-gb200-fp4-1p1d"\nsetup_script: "deps.sh"\n',
  )
  .replace(
    "      cuda-graph-max-bs: 64\n",
    "      cuda-graph-max-bs: 64\n      deepep-config: /configs/deepep_config.json\n",
  );

function row(): Deployment {
  return makeDeployment({
    configKey: "demo-dsr1-fp4-gb200-dynamo-sglang",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    // the demo row's load, which the recipe's benchmark section repeats
    isl: 1024,
    osl: 128,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
  });
}
const proc = (p: LaunchPlan, name: string): ProcessSpec =>
  p.nodes.flatMap((n) => n.processes).find((x) => x.name === name)!;

describe("srt-slurm configs/ files a recipe uses", () => {
  const dir = checkout(RECIPE);
  const source = srtRecipeSource([dir]);
  const found = source(CONFIG_FILE);
  if ("error" in found) throw new Error(found.error);
  const ref = { configFile: CONFIG_FILE, path: found.path, text: found.text };

  it("are found under configs/ (the setup script under configs/patches/) and stored", () => {
    expect(source.configs?.(ref, row())).toEqual([
      { path: "patches/deps.sh", text: SCRIPT },
      { path: "deepep_config.json", text: DEEPEP },
    ]);
  });

  it("are written at /configs in every worker, the setup script run before the install as srtctl does", () => {
    const configs = source.configs?.(ref, row());
    if (!configs || "error" in configs) throw new Error("no configs");
    const d = { ...row(), srtRecipe: { ...ref, configs } };
    const p = buildLaunchPlan(d, makePlacement(d));
    const worker = proc(p, "decode-0-rank0");
    expect(worker.files).toEqual([
      { path: "/configs/patches/deps.sh", content: SCRIPT },
      { path: "/configs/deepep_config.json", content: DEEPEP },
    ]);
    expect(worker.argv[2]).toMatch(
      /^setup_script=deps\.sh && script_path="\/configs\/\$\{setup_script\}" && .* && DYN_LOCK_DIR=.* && exec python3 -m dynamo\.sglang /,
    );
    expect(worker.argv[2]).toContain(" --deepep-config /configs/deepep_config.json");
    expect(execFileSync("bash", ["-n", "-c", worker.argv[2]!], { encoding: "utf8" })).toBe("");
    const fe = proc(p, "frontend-0");
    expect(fe.argv[2]).not.toContain("setup_script");
    expect(fe.argv[2]).toContain("ai-dynamo==0.8.1");
    expect(proc(p, "infra-etcd").files).toEqual([]);
  });

  it("the runner's --setup-script replaces the recipe's setup_script, as srtctl applies it", () => {
    const over = checkout(RECIPE);
    writeFileSync(join(over, "configs", "install-torchao.sh"), "pip install torchao\n");
    const runnerRef = { ...ref, setupScript: "install-torchao.sh" };
    const configs = srtRecipeSource([over]).configs?.(runnerRef, row());
    expect(configs).toEqual([
      { path: "install-torchao.sh", text: "pip install torchao\n" },
      { path: "deepep_config.json", text: DEEPEP },
    ]);
    if (!configs || "error" in configs) throw new Error("no configs");
    const d = { ...row(), srtRecipe: { ...runnerRef, configs } };
    const worker = proc(buildLaunchPlan(d, makePlacement(d)), "decode-0-rank0");
    expect(worker.argv[2]).toMatch(/^setup_script=install-torchao\.sh && /);
    expect(worker.argv[2]).not.toContain("deps.sh");
  });

  it("missing from every directory: an error naming what and where it was looked for", () => {
    const bare = checkout(RECIPE.replace('setup_script: "deps.sh"', 'setup_script: "nope.sh"'));
    const src = srtRecipeSource([bare]);
    const r = src(CONFIG_FILE);
    if ("error" in r) throw new Error(r.error);
    const out = src.configs?.({ configFile: CONFIG_FILE, path: r.path, text: r.text }, row());
    expect(out).toEqual({
      error: expect.stringMatching(
        /gb200-disagg-1p1d\.yaml: setup_script nope\.sh \(srt-slurm configs\/\) not found; searched .*configs\/nope\.sh, .*configs\/patches\/nope\.sh$/,
      ),
    });
    const census = srtRecipeCensus([{ ...row(), fingerprint: "f" }], src);
    expect(census[0]!.reason).toMatch(/setup_script nope\.sh .* not found/);
  });

  it("not stored with the deployment (planned without them): the launch is refused", () => {
    const d = { ...row(), srtRecipe: ref };
    expect(() => buildLaunchPlan(d, makePlacement(d))).toThrow(
      /setup_script deps\.sh, \/configs\/deepep_config\.json \(srt-slurm configs\/\) not stored with the deployment/,
    );
  });

  it("the census stores them and the row builds", () => {
    expect(srtRecipeCensus([{ ...row(), fingerprint: "f" }], source)).toEqual([
      { configKey: "demo-dsr1-fp4-gb200-dynamo-sglang", fingerprint: "f", configFile: CONFIG_FILE },
    ]);
  });

  it("a path no directory holds as a file and without an extension is a cache directory: a node directory mounted there", () => {
    const withCache = RECIPE.replace(
      "    NODE_TAG:",
      '    SGLANG_DG_CACHE_DIR: "/configs/deepgemm-cache"\n    NODE_TAG:',
    );
    const src = srtRecipeSource([checkout(withCache)]);
    const r = src(CONFIG_FILE);
    if ("error" in r) throw new Error(r.error);
    const plain = { configFile: CONFIG_FILE, path: r.path, text: r.text };
    const configs = src.configs?.(plain, row());
    if (!configs || "error" in configs) throw new Error(JSON.stringify(configs));
    expect(configs.map((c) => c.path)).toEqual(["patches/deps.sh", "deepep_config.json"]);
    const d = { ...row(), srtRecipe: { ...plain, configs } };
    const worker = proc(buildLaunchPlan(d, makePlacement(d)), "decode-0-rank0");
    expect(worker.env.SGLANG_DG_CACHE_DIR).toBe("/configs/deepgemm-cache");
    expect(worker.mounts).toContainEqual({
      host: `${CONFIG_DIRECTORY_ROOT}/deepgemm-cache`,
      container: "/configs/deepgemm-cache",
    });
  });
});
