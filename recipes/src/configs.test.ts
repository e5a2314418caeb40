/**
 * Every deployment the planner makes from the repository's master configs (configs/*master.yaml)
 * resolves to a launch plan, or to a named non-retryable RecipeError — never another exception.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildPlan, loadMasterConfigs, RecipeError } from "@benchfleet/shared";
import { testCatalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { layoutGang } from "./placement.js";
import { loadPresets } from "./preset-loader.js";

const configsDir = fileURLToPath(new URL("../../configs/", import.meta.url));
const files = readdirSync(configsDir)
  .filter((n) => /master\.ya?ml$/.test(n))
  .sort();
const presets = loadPresets(`${configsDir}recipes`);

describe("master configs in configs/", () => {
  it.skipIf(!files.length)("every deployment resolves to a plan or a RecipeError", () => {
    const configs = loadMasterConfigs(
      files.map((f) => ({ file: `configs/${f}`, text: readFileSync(`${configsDir}${f}`, "utf8") })),
    );
    const plan = buildPlan(configs, { catalog: testCatalog });
    expect(plan.deployments.length).toBeGreaterThan(0);
    const frameworks = new Set<string>();
    for (const d of plan.deployments) {
      frameworks.add(d.framework);
      const n = layoutGang(d).nodes;
      expect(n).toBe(d.nodes);
      const placement = {
        nodes: Array.from({ length: n }, (_, i) => ({
          rank: i,
          hostname: `n${i}`,
          ip: `10.0.0.${i + 1}`,
          gpuCount: d.gpusPerNode,
          rdmaDevices: ["mlx5_0"],
        })),
        portBase: 20480,
        vendor: d.sku.startsWith("mi") ? ("amd" as const) : ("nvidia" as const),
      };
      try {
        const lp = buildLaunchPlan(d, placement, { presets });
        expect(lp.nodes).toHaveLength(n);
      } catch (e) {
        expect(e).toBeInstanceOf(RecipeError);
      }
    }
    expect(frameworks.size).toBeGreaterThan(1);
  });
});
