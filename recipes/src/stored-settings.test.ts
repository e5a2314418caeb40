/**
 * Presets stored with a deployment: which are stored (a matching script preset replaces the family
 * preset), and a launch built from the stored ones ignores the presets passed in.
 */
import { fileURLToPath } from "node:url";
import { RecipeError, withRecipeSettings } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./build-launch-plan.js";
import { parsePreset } from "./preset.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { recipeSettingsFor } from "./stored-settings.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";

const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
const scripts = loadScriptPresets(recipeDir);

const family = (flag: number) =>
  parsePreset(
    `family: fam\nmoe: false\nrules:\n  - engine: vllm\n    flags: { max-num-batched-tokens: ${flag} }\n    env: { FAM_SET: "${flag}" }\n`,
    "fam.yaml",
  );
const vllmRow = () =>
  makeDeployment({
    configKey: "fam-fp8-h100-vllm",
    sku: "h100",
    framework: "vllm",
    model: "org/fam",
    modelPrefix: "fam",
    precision: "fp8",
    image: "img",
    concs: [4, 8],
    tp: 2,
  });
const workerOf = (d: ReturnType<typeof vllmRow>, opts = {}) =>
  buildLaunchPlan(d, makePlacement(d), opts).nodes[0]!.processes.find((p) => p.name === "worker-0-rank0")!;

describe("recipe settings stored with a deployment", () => {
  it("stores the script preset for a key the lab has a script for, else the family preset", () => {
    const h200 = makeDeployment({
      configKey: "dsr1-fp8-h200-sglang",
      sku: "h200",
      framework: "sglang",
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp8",
      image: "img",
      concs: [4, 64],
      tp: 8,
    });
    const s = recipeSettingsFor(h200, { presets, scripts })!;
    expect(s.family).toBeUndefined();
    expect(s.script?.script).toBe("benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200.sh");
    const mi = { ...h200, sku: "h100" as const, configKey: "dsr1-fp8-h100-sglang" };
    expect(recipeSettingsFor(mi, { presets, scripts })).toEqual({ family: presets.dsr1 });
    expect(recipeSettingsFor(vllmRow(), { presets, scripts })).toBeUndefined();
  });

  it("a launch uses the stored presets, not those passed in", () => {
    const d = withRecipeSettings(vllmRow(), { family: family(96) });
    const w = workerOf(d, { presets: { fam: family(7) } });
    expect(w.argv[w.argv.indexOf("--max-num-batched-tokens") + 1]).toBe("96");
    expect(w.env.FAM_SET).toBe("96");
    // without stored settings the passed presets apply, as before
    const bare = workerOf(vllmRow(), { presets: { fam: family(7) } });
    expect(bare.argv[bare.argv.indexOf("--max-num-batched-tokens") + 1]).toBe("7");
  });

  it("stored settings are part of the fingerprint; a deployment without any keeps its own", () => {
    const d = vllmRow();
    const a = withRecipeSettings(d, { family: family(96) });
    expect(a.fingerprint).not.toBe(d.fingerprint);
    expect(withRecipeSettings(d, { family: family(96) }).fingerprint).toBe(a.fingerprint);
    expect(withRecipeSettings(d, { family: family(97) }).fingerprint).not.toBe(a.fingerprint);
    expect(withRecipeSettings(d, undefined)).toBe(d);
    // already stored: kept as they are (a retry launches what was planned)
    expect(withRecipeSettings(a, { family: family(1) })).toBe(a);
  });

  it("refuses stored settings that are not a preset, naming the deployment", () => {
    const d = { ...vllmRow(), recipeSettings: { family: { family: "fam", rules: "none" } } };
    expect(() => workerOf(d)).toThrow(RecipeError);
    expect(() => workerOf(d)).toThrow(
      /^fam-fp8-h100-vllm: the recipe settings stored with the deployment \(family preset\): /,
    );
  });
});
