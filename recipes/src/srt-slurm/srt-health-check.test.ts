/**
 * A recipe's `health_check` (srtctl waits max_attempts × interval_seconds for its frontend) → the
 * planned deployment's ready phase, through the real recipe source over recipe files we write in
 * srt-slurm's format: a longer wait raises the ready timeout, a shorter one leaves the row's.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPlan, loadMasterConfigs } from "@benchfleet/shared";
import { testCatalog as catalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { srtTestDir } from "../test-support/srt-test-dir.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const dir = srtTestDir("srt-health-check-");

const master = (file: string, ready = "") => `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: true
${ready ? `  benchfleet: { timeouts: { ready: ${ready} } }\n` : ""}  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 128
      search-space:
      - conc-list: [4]
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
        decode: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
`;
const recipe = (healthCheck: string) => `name: t
model: { path: dsr1, container: dynamo-sglang, precision: fp8 }
resources: { gpu_type: gb200, prefill_nodes: 1, prefill_workers: 1, decode_nodes: 1, decode_workers: 1 }
${healthCheck}
benchmark: { type: sa-bench, isl: 1024, osl: 128, concurrencies: "4" }
`;

let n = 0;
function readyOf(healthCheck: string, ready = ""): number {
  const file = `r${n++}.yaml`;
  writeFileSync(join(dir, "recipes", file), recipe(healthCheck));
  const configs = loadMasterConfigs([{ file: "m.yaml", text: master(file, ready) }]);
  const plan = buildPlan(configs, { catalog, srtRecipes: srtRecipeSource([dir]) });
  expect(plan.deployments).toHaveLength(1);
  return plan.deployments[0]!.timeouts.ready;
}

describe("health_check → the ready phase", () => {
  it("waits as long as srtctl would: max_attempts × interval_seconds", () => {
    expect(readyOf("health_check: { max_attempts: 1440, interval_seconds: 10 }")).toBe(14_400);
  });

  it("srtctl's default (180 × 10 s) and shorter waits leave the row's ready timeout", () => {
    expect(readyOf("")).toBe(1800);
    expect(readyOf("health_check: { max_attempts: 6, interval_seconds: 10 }")).toBe(1800);
    expect(readyOf("health_check: { max_attempts: 6, interval_seconds: 10 }", "7200")).toBe(7200);
    expect(readyOf("health_check: { max_attempts: 360, interval_seconds: 10 }", "600")).toBe(3600);
  });
});
