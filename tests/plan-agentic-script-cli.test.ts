/**
 * `benchfleet plan --lab` with agentic rows in script mode: the mode column names the lab's agentic
 * script of each deployment, and the script-mode list gives the reason (the row asks, or its
 * script's preset says `script-mode:`). The lab checkout and the presets are ones we write in the
 * lab's layout and formats.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const ROW = (key: string, prefix: string, extra = "") => `${key}:
  image: lmsysorg/sglang:v0.5.16
  model: example/${prefix}
  model-prefix: ${prefix}
  runner: cluster:h200-lab
  precision: fp8
  framework: sglang
  multinode: false
${extra}  scenarios:
    agentic-coding:
    - dram-utilization: 0.80
      search-space:
      - { tp: 8, spec-decoding: mtp, kv-offloading: dram, kv-offload-backend: { name: hicache }, conc-list: [4] }
`;

const RUNNERS = `labels:
  cluster:h200-lab: [h200-lab_00]
hardware:
  cluster:h200-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

const SCRIPT = `#!/usr/bin/env bash
source "$(dirname "$0")/../../benchmark_lib.sh"
check_env_vars MODEL TP CONC KV_OFFLOADING TOTAL_CPU_DRAM_GB RESULT_DIR DURATION
`;

const PRESET = (prefix: string, scriptMode: string) => `script: benchmarks/single_node/agentic/${prefix}_fp8_h200_mtp.sh
model: ${prefix}
precision: fp8
sku: h200
framework: sglang
spec: mtp
engine: sglang
${scriptMode}rules:
  - flags:
      mem-fraction-static: 0.8
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bf-plan-agentic-script-"));
  writeFileSync(
    join(dir, "lab-master.yaml"),
    ROW("pa-fp8-h200-sglang-agentic-mtp", "pa") +
      ROW("pb-fp8-h200-sglang-agentic-mtp", "pb", "  benchfleet: { script: true }\n") +
      ROW("pc-fp8-h200-sglang-agentic-mtp", "pc"),
  );
  writeFileSync(join(dir, "runners.yaml"), RUNNERS);
  const agentic = join(dir, "lab", "benchmarks", "single_node", "agentic");
  mkdirSync(agentic, { recursive: true });
  for (const p of ["pa", "pb", "pc"]) writeFileSync(join(agentic, `${p}_fp8_h200_mtp.sh`), SCRIPT);
  const presets = join(dir, "recipes", "scripts", "agentic");
  mkdirSync(presets, { recursive: true });
  writeFileSync(join(presets, "pa_fp8_h200_mtp.yaml"), PRESET("pa", 'script-mode: "it patches the image"\n'));
  writeFileSync(join(presets, "pb_fp8_h200_mtp.yaml"), PRESET("pb", ""));
  writeFileSync(join(presets, "pc_fp8_h200_mtp.yaml"), PRESET("pc", ""));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("benchfleet plan --lab: agentic rows in script mode", () => {
  it("shows each script-mode deployment's agentic script and why it runs in script mode", () => {
    const r = runCli([
      "plan",
      "--config",
      join(dir, "lab-master.yaml"),
      "--runners",
      join(dir, "runners.yaml"),
      "--presets",
      join(dir, "recipes"),
      "--lab",
      join(dir, "lab"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rowOf = (key: string) => r.stdout.split("\n").find((l) => l.includes(key)) ?? "";
    expect(rowOf("pa-fp8-h200-sglang-agentic-mtp")).toContain("script pa_fp8_h200_mtp.sh");
    expect(rowOf("pb-fp8-h200-sglang-agentic-mtp")).toContain("script pb_fp8_h200_mtp.sh");
    expect(rowOf("pc-fp8-h200-sglang-agentic-mtp")).toMatch(/\brecipe\b/);
    expect(r.stdout).toContain(
      "script mode: 2 of 3 deployments are planned to run the lab's own benchmark script (single-node: one run per point; multi-node: one Slurm job of the script per row, from a Slurm login-node agent):\n" +
        "  - its script's preset: it patches the image\n" +
        "      pa-fp8-h200-sglang-agentic-mtp → benchmarks/single_node/agentic/pa_fp8_h200_mtp.sh\n" +
        "  - the row asks for it (benchfleet.script: true)\n" +
        "      pb-fp8-h200-sglang-agentic-mtp → benchmarks/single_node/agentic/pb_fp8_h200_mtp.sh\n",
    );
  });
});
