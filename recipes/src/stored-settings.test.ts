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
import { parseScriptPreset } from "./script-preset.js";
import { agenticClientPointSettings, recipeSettingsFor } from "./stored-settings.js";
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

describe("the lab client's env of an agentic script preset", () => {
  const preset = (clientEnv: string) =>
    parseScriptPreset(
      [
        "script: benchmarks/single_node/agentic/fam_fp8_h100_vllm.sh",
        "model: fam",
        "precision: fp8",
        "sku: h100",
        "framework: vllm",
        "spec: none",
        "engine: vllm",
        "client-env:",
        clientEnv,
        "rules:",
        "  - flags: { max-num-seqs: 8 }",
      ].join("\n"),
      "fam.yaml",
    );
  const agenticRow = (p: ReturnType<typeof preset>) => {
    const d = vllmRow();
    const agentic = { durationS: 3600, kvOffloading: "none" as const, dramOffloadGb: 0 };
    return withRecipeSettings(
      { ...d, scenario: "agentic-coding" as const, isl: 0, osl: 0, agentic, points: [] },
      { script: p },
    );
  };

  it("gives each point the env its script exports at that concurrency, later entries winning", () => {
    const p = preset(
      [
        '  - env: { AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.25", AIPERF_HTTP_TCP_USER_TIMEOUT: 900000 }',
        "  - when: { conc: { min: 32 } }",
        "    env: { AGENTIC_WARMUP_GRACE_PERIOD: 3600 }",
        "  - when: { conc: { min: 64 } }",
        "    env: { AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: null }",
      ].join("\n"),
    );
    const d = agenticRow(p);
    expect(agenticClientPointSettings(d, 16)).toEqual({ agenticClient: { liveFailureThreshold: 0.25 } });
    expect(agenticClientPointSettings(d, 32)).toEqual({
      agenticClient: { liveFailureThreshold: 0.25, warmupGraceS: 3600 },
    });
    expect(agenticClientPointSettings(d, 64)).toEqual({ agenticClient: { warmupGraceS: 3600 } });
    // a fixed-seq-len deployment of the same preset, or one without a stored script preset, gets none
    expect(agenticClientPointSettings({ ...d, scenario: "fixed-seq-len" }, 64)).toEqual({});
    expect(agenticClientPointSettings(vllmRow(), 64)).toEqual({});
  });

  it("a value that is not what its name takes is an error at its file:line:col", () => {
    expect(() => preset("  - env: { AGENTIC_WARMUP_GRACE_PERIOD: soon }")).toThrow(
      /fam\.yaml:9:\d+: .*AGENTIC_WARMUP_GRACE_PERIOD.*not a number/,
    );
    expect(() => preset("  - env: { VLLM_X: 1 }")).toThrow(/fam\.yaml:9:\d+: .*AIPERF_\* or AGENTIC_\*/);
  });
});
