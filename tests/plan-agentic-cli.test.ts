import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Plan } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const MASTER = `
qwen-fp8-h200-sglang-agentic:
  image: lmsysorg/sglang:v0.5.9
  model: Qwen/Qwen3.5-397B-A17B-FP8
  model-prefix: qwen3.5
  runner: cluster:h200-lab
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    agentic-coding:
    - dram-utilization: 0.80
      search-space:
      - { tp: 8, kv-offloading: dram, kv-offload-backend: { name: hicache, version: "0.5.9" }, conc-list: [16, 64] }
      - { tp: 8, kv-offloading: none, conc-list: [16] }
qwen-fp8-h200-sglang:
  image: lmsysorg/sglang:v0.5.9
  model: Qwen/Qwen3.5-397B-A17B-FP8
  model-prefix: qwen3.5
  runner: h200
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [4, 8] }
`;
const RUNNERS = `
labels:
  h200: [h200_00]
  cluster:h200-lab: [h200-lab_00, h200-lab_01]
hardware:
  cluster:h200-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

let repo: string;
const git = (...a: string[]) =>
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: repo, encoding: "utf8" });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "bf-plan-agentic-"));
  writeFileSync(join(repo, "lab-master.yaml"), MASTER);
  writeFileSync(join(repo, "runners.yaml"), RUNNERS);
  git("init", "-q");
  writeFileSync(
    join(repo, "perf-changelog.yaml"),
    `- config-keys: [qwen-fp8-h200-sglang]\n  description: ["a"]\n  pr-link: l1\n`,
  );
  git("add", ".");
  git("commit", "-qm", "one");
  writeFileSync(
    join(repo, "perf-changelog.yaml"),
    `- config-keys: [qwen-fp8-h200-sglang]\n  description: ["a"]\n  pr-link: l1\n\n- config-keys: ["qwen-*-agentic"]\n  description: ["b"]\n  pr-link: l2\n  scenario-type: [agentic-coding]\n`,
  );
  git("commit", "-qam", "two");
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const base = () => ["plan", "--config", join(repo, "lab-master.yaml"), "--runners", join(repo, "runners.yaml")];

describe("benchfleet plan: agentic-coding scenarios", () => {
  it("plans an agentic changelog entry: one deployment per concurrency with its DRAM budget", () => {
    const r = runCli([
      ...base(),
      "--changelog",
      join(repo, "perf-changelog.yaml"),
      "--base",
      "HEAD~1",
      "--head",
      "HEAD",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = Plan.parse(JSON.parse(r.stdout));
    expect(plan.totals.deployments).toBe(3);
    expect(plan.deployments.every((d) => d.scenario === "agentic-coding")).toBe(true);
    // 2_063_837 MiB × 2^20 × 0.80 × 8/8 / 1e9 = 1731.2 → 1731 GB (the lab's formula)
    expect(plan.deployments.map((d) => d.agentic?.dramOffloadGb).sort()).toEqual([0, 1731, 1731]);
    expect(plan.byScenario?.["agentic-coding"]?.points).toBe(3);
  });

  it("plans both scenario types by default, with totals per scenario", () => {
    const both = runCli(base());
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/agentic-coding: 3 deployments .*3 load points/);
    expect(both.stdout).toMatch(/fixed-seq-len: 1 deployments .*2 load points/);
    expect(both.stdout).toMatch(/dram:hicache 1731GB/);
  });

  it("plans one scenario type with --scenario and refuses an unknown one", () => {
    const fixed = runCli([...base(), "--scenario", "fixed-seq-len", "--json"]);
    expect(fixed.code).toBe(0);
    // launch groups may split the one fixed-seq-len row into several launches
    expect(new Set(Plan.parse(JSON.parse(fixed.stdout)).deployments.map((d) => d.scenario))).toEqual(
      new Set(["fixed-seq-len"]),
    );
    const bad = runCli([...base(), "--scenario", "agentic"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown scenario "agentic" in --scenario/);
  });

  it("names a runner without hardware facts when offloading to DRAM", () => {
    writeFileSync(join(repo, "runners-bare.yaml"), "labels:\n  h200: [h200_00]\n  cluster:h200-lab: [h200-lab_00]\n");
    const r = runCli(["plan", "--config", join(repo, "lab-master.yaml"), "--runners", join(repo, "runners-bare.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /lab-master\.yaml:\d+:\d+: qwen-fp8-h200-sglang-agentic\.scenarios\.agentic-coding\[0\]\.search-space\[0\]: .*hardware entry for runner "cluster:h200-lab"/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
