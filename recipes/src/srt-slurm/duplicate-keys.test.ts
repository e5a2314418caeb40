/**
 * A recipe we write in srt-slurm's format with a key repeated in one mapping, planned through the
 * real recipe source: the last value is launched (PyYAML safe_load's reading, which srtctl uses)
 * and the plan warns once, naming recipe-file:line:col of the value kept and of the one dropped.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPlan, loadMasterConfigs, parseYamlSource } from "@benchfleet/shared";
import { testCatalog as catalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makePlacement } from "../test-support/deployments.js";
import { srtTestDir } from "../test-support/srt-test-dir.js";
import { duplicateKeys } from "./duplicate-keys.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const dir = srtTestDir("srt-duplicate-keys-");

const master = `
dup:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: true
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 128
      search-space:
      - conc-list: [4]
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/dup.yaml"] }
        decode: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/dup.yaml"] }
`;

const recipe = `name: dup
model:
  path: dsr1
  container: dynamo-sglang
  precision: fp8
resources:
  gpu_type: gb200
  prefill_nodes: 1
  prefill_workers: 1
  decode_nodes: 1
  decode_workers: 1
backend:
  sglang_config:
    decode:
      mem-fraction-static: 0.7
      chunked-prefill-size: 8192
      mem-fraction-static: 0.85
    prefill:
      mem-fraction-static: 0.8
`;

describe("a key repeated in one mapping of a recipe", () => {
  writeFileSync(join(dir, "recipes", "dup.yaml"), recipe);
  const file = join(dir, "recipes", "dup.yaml");
  const plan = buildPlan(loadMasterConfigs([{ file: "m.yaml", text: master }]), {
    catalog,
    srtRecipes: srtRecipeSource([dir]),
  });

  it("launches the last value, as srtctl's safe_load reads it", () => {
    const d = plan.deployments[0]!;
    const launch = buildLaunchPlan(d, makePlacement(d));
    const argv = (name: string) =>
      launch.nodes
        .flatMap((n) => n.processes)
        .find((p) => p.name === name)!
        .argv.join(" ");
    expect(argv("decode-0-rank0")).toContain("--mem-fraction-static 0.85");
    expect(argv("decode-0-rank0")).not.toContain("0.7");
    expect(argv("prefill-0-rank0")).toContain("--mem-fraction-static 0.8");
  });

  it("warns once, at the value kept and the one dropped, naming the row", () => {
    expect(plan.warnings?.filter((w) => w.includes("repeated key"))).toEqual([
      `${file}:17:7: backend.sglang_config.decode.mem-fraction-static: repeated key: srtctl's YAML loader (PyYAML safe_load) reads this value and drops the one at ${file}:15:7 (row dup)`,
    ]);
  });

  it("a key beside `<<` overrides the merged one: no repeat; each repeat of three is named", () => {
    const src = parseYamlSource("a: &a\n  x: 1\nb:\n  <<: *a\n  x: 2\n  y: 1\n  y: 2\n  y: 3\n", "f.yaml", {
      merge: true,
      lastKeyWins: true,
    });
    expect(src.doc.toJS()).toEqual({ a: { x: 1 }, b: { x: 2, y: 3 } });
    expect(duplicateKeys(src)).toEqual([
      {
        path: "b.y",
        dropped: [
          { line: 6, col: 3 },
          { line: 7, col: 3 },
        ],
        kept: { line: 8, col: 3 },
      },
    ]);
    expect(src.locate(["b", "y"])).toEqual({ line: 8, col: 6 });
  });
});
