/**
 * `benchfleet plan --lab` and `sweep start --lab` (the CLI as its own process) with a lab checkout
 * that has no agentic script for one key's single-node rows: `plan` names those deployments
 * unlaunchable with the row's file:line and the scripts searched; `sweep start` refuses the sweep
 * before it reaches a controller and names the `--keys` that leave them out. The checkout and the
 * configs are ones we write in the lab's layout and formats.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

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
`;

const RUNNERS = `labels:
  cluster:h100-lab: [h100-lab_00]
hardware:
  cluster:h100-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bf-lab-missing-cli-"));
  writeFileSync(
    join(dir, "master.yaml"),
    ENTRY("has-fp8-h100-sglang-agentic", "has") + ENTRY("gone-fp8-h100-sglang-agentic", "gone"),
  );
  writeFileSync(join(dir, "runners.yaml"), RUNNERS);
  const agentic = join(dir, "lab", "benchmarks", "single_node", "agentic");
  mkdirSync(agentic, { recursive: true });
  writeFileSync(join(agentic, "has_fp8_h100.sh"), "#!/usr/bin/env bash\nexit 0\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = () => [
  "--config",
  join(dir, "master.yaml"),
  "--runners",
  join(dir, "runners.yaml"),
  "--lab",
  join(dir, "lab"),
];
// the row of `gone`: the 13th line of its entry, the 26th of the file
const ROW =
  /master\.yaml:26:\d+: gone-fp8-h100-sglang-agentic\.scenarios\.agentic-coding\[0\]\.search-space\[0\]: the lab checkout has no agentic script for this row \(searched benchmarks\/single_node\/agentic\/gone_fp8_h100_sglang\.sh, benchmarks\/single_node\/agentic\/gone_fp8_h100\.sh\)/;

describe("rows the lab checkout has no agentic script for (CLI)", () => {
  it("plan --lab plans them and names them unlaunchable at their row", () => {
    const r = runCli(["plan", ...files()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 of 4 deployments cannot be launched by any recipe/);
    expect(r.stdout).toMatch(ROW);
    expect(r.stdout).toMatch(/\n +gone-fp8-h100-sglang-agentic\n/);
    const bare = runCli(["plan", "--config", join(dir, "master.yaml"), "--runners", join(dir, "runners.yaml")]);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).not.toMatch(/cannot be launched/);
  });

  it("sweep start --lab refuses a sweep that holds them, naming the --keys that leave them out", () => {
    const conn = ["--controller", "http://127.0.0.1:9", "--token", "unused"];
    const r = runCli(["sweep", "start", ...files(), ...conn]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rows the lab checkout has no script for:\n/);
    expect(r.stderr).toMatch(ROW);
    expect(r.stderr).toContain("leave gone-fp8-h100-sglang-agentic out: --keys has-fp8-h100-sglang-agentic");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
