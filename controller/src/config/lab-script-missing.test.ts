/**
 * Planned with a lab checkout (planFromFiles with `lab`), a single-node agentic row the checkout has
 * no script for is planned unlaunchable: the lab's launcher would run a script that is not there.
 * The reason names the row (file:line:col) and the scripts searched; the recipe check and the sweep
 * refusal name it with the `--keys` that leave it out. Without a checkout nothing is looked for.
 * The checkout and the configs are ones we write in the lab's layout and formats.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findUnlaunchable } from "@benchfleet/recipes";
import { afterEach, describe, expect, it } from "vitest";
import { planFromFiles } from "./config-files.js";
import { recipesNotFound, srtRefusal } from "./srt-refusal.js";

const ENTRY = (key: string, prefix: string) => `${key}:
  image: example/engine:1.0
  model: example/Model-8B
  model-prefix: ${prefix}
  runner: cluster:h100-lab
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    agentic-coding:
      - dram-utilization: 0.80
        search-space:
          - { tp: 8, ep: 8, kv-offloading: none, conc-list: [1, 2] }
          - { tp: 8, ep: 8, kv-offloading: dram, kv-offload-backend: { name: hicache }, conc-list: [4] }
`;

const RUNNERS = `
labels:
  cluster:h100-lab: [h100-lab_00]
hardware:
  cluster:h100-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

const SCRIPT = `#!/usr/bin/env bash
source "$(dirname "$0")/../../benchmark_lib.sh"
python3 -m sglang.launch_server --model-path $MODEL --port $PORT --tp $TP &
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `has` has a script in the checkout (the legacy name without the framework); `gone` has none */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), "bf-lab-missing-"));
  dirs.push(dir);
  const config = join(dir, "master.yaml");
  writeFileSync(config, ENTRY("has-fp8-h100-sglang-agentic", "has") + ENTRY("gone-fp8-h100-sglang-agentic", "gone"));
  writeFileSync(join(dir, "runners.yaml"), RUNNERS);
  const lab = join(dir, "lab");
  mkdirSync(join(lab, "benchmarks", "single_node", "agentic"), { recursive: true });
  writeFileSync(join(lab, "benchmarks", "single_node", "agentic", "has_fp8_h100.sh"), SCRIPT);
  // a fixed-seq-len script of the key is not the agentic row's
  mkdirSync(join(lab, "benchmarks", "single_node", "fixed_seq_len"), { recursive: true });
  writeFileSync(join(lab, "benchmarks", "single_node", "fixed_seq_len", "gone_fp8_h100.sh"), SCRIPT);
  // an empty preset folder: engine defaults
  mkdirSync(join(dir, "recipes"));
  return { config, runners: join(dir, "runners.yaml"), lab, recipes: join(dir, "recipes") };
}

describe("single-node agentic rows the lab checkout has no script for", () => {
  it("are planned unlaunchable, naming the row and the scripts searched", () => {
    const s = setup();
    const plan = planFromFiles({ config: [s.config], runners: s.runners, lab: s.lab, recipes: s.recipes });
    const gone = plan.deployments.filter((d) => d.configKey === "gone-fp8-h100-sglang-agentic");
    const has = plan.deployments.filter((d) => d.configKey === "has-fp8-h100-sglang-agentic");
    // one deployment per concurrency: 3 each
    expect(gone).toHaveLength(3);
    expect(has).toHaveLength(3);
    for (const d of has) expect(d.labScriptMissing).toBeUndefined();
    // the rows of `gone`: the 13th and 14th lines of its entry
    const first = readFileSync(s.config, "utf8").split("\n").indexOf("gone-fp8-h100-sglang-agentic:") + 1;
    const lines = gone.map((d) => Number(/^[^:]+:(\d+):\d+: /.exec(d.labScriptMissing ?? "")?.[1]));
    expect(lines.sort()).toEqual([first + 12, first + 12, first + 13]);
    expect(gone[0]!.labScriptMissing).toMatch(
      new RegExp(
        `master\\.yaml:${first + 12}:\\d+: gone-fp8-h100-sglang-agentic\\.scenarios\\.agentic-coding\\[0\\]\\.search-space\\[0\\]: the lab checkout has no agentic script for this row \\(searched benchmarks/single_node/agentic/gone_fp8_h100_sglang\\.sh, benchmarks/single_node/agentic/gone_fp8_h100\\.sh\\): the lab's own run of it would fail`,
      ),
    );
    const refused = findUnlaunchable(plan.deployments);
    expect(refused.map((u) => u.configKey)).toEqual(gone.map(() => "gone-fp8-h100-sglang-agentic"));
    expect(refused.map((u) => u.reason)).toEqual(gone.map((d) => d.labScriptMissing));
    expect(recipesNotFound(plan.deployments)).toEqual(refused);
  });

  it("a sweep holding them is refused, naming the --keys that leave them out", () => {
    const s = setup();
    const plan = planFromFiles({ config: [s.config], runners: s.runners, lab: s.lab, recipes: s.recipes });
    const refusal = srtRefusal(plan.deployments, findUnlaunchable(plan.deployments));
    expect(refusal).toMatch(
      /^rows the lab checkout has no script for:\n.*master\.yaml:\d+:\d+: gone-fp8-h100-sglang-agentic\./,
    );
    expect(refusal).toContain(
      "\nto submit the others, leave gone-fp8-h100-sglang-agentic out: --keys has-fp8-h100-sglang-agentic",
    );
    expect(refusal).not.toContain("srt-slurm");
    const ok = planFromFiles({
      config: [s.config],
      runners: s.runners,
      lab: s.lab,
      recipes: s.recipes,
      keys: ["has-fp8-h100-sglang-agentic"],
    });
    expect(srtRefusal(ok.deployments, findUnlaunchable(ok.deployments))).toBeUndefined();
  });

  it("without a checkout nothing is looked for; the deployments are the same", () => {
    const s = setup();
    const withLab = planFromFiles({ config: [s.config], runners: s.runners, lab: s.lab, recipes: s.recipes });
    const without = planFromFiles({ config: [s.config], runners: s.runners, recipes: s.recipes });
    expect(without.deployments.every((d) => d.labScriptMissing === undefined)).toBe(true);
    expect(findUnlaunchable(without.deployments)).toEqual([]);
    expect(withLab.deployments.map((d) => d.fingerprint)).toEqual(without.deployments.map((d) => d.fingerprint));
  });
});
