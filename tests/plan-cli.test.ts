import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Plan } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./helpers/cli.js";
import { largeMasterConfig } from "./large-config.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bf-plan-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("benchfleet plan (CLI)", () => {
  it("prints a valid JSON plan of the example configs", () => {
    const r = runCli(["plan", "--config", "configs/", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = Plan.parse(JSON.parse(r.stdout));
    // each deployment is one launch; a configuration launched in groups counts once as a deployment
    expect(plan.totals.launches).toBe(plan.deployments.length);
    expect(plan.totals.deployments).toBe(
      new Set(
        plan.deployments.map(
          (d: { fingerprint: string; launchPart?: { of: string } }) => d.launchPart?.of ?? d.fingerprint,
        ),
      ).size,
    );
    expect(plan.totals.singleNodeDeployments).toBeGreaterThan(0);
    expect(plan.totals.multiNodeDeployments).toBeGreaterThan(0);
    const skus = new Set(plan.deployments.map((d) => d.sku));
    expect(skus.has("mi355x") && skus.has("b200")).toBe(true);
    const disagg = plan.deployments.find((d) => d.disagg)!;
    for (const k of ["numWorker", "tp", "ep", "pp", "dpAttn", "dcpSize", "pcpSize", "additionalSettings"]) {
      expect(disagg.prefill).toHaveProperty(k);
      expect(disagg.decode).toHaveProperty(k);
    }
  });

  it("prints a table grouped by SKU", () => {
    const r = runCli(["plan", "--config", "configs/nvidia-master.yaml", "--sku", "h200"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/By SKU:/);
    expect(r.stdout).toMatch(/dsr1-fp8-h200-sglang/);
    expect(r.stdout).not.toMatch(/b200/);
  });

  it("reports a bad config as file:line:col without a stack trace, exit 2", () => {
    const f = join(dir, "bad-master.yaml");
    writeFileSync(
      f,
      readFileSync(join(REPO_ROOT, "configs/nvidia-master.yaml"), "utf8").replace(
        "  precision: fp8\n",
        "  precision: fp8\n  precisoin: fp8\n",
      ),
    );
    const r = runCli(["plan", "--config", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-master\.yaml:\d+:3: dsr1-fp8-h200-sglang\.precisoin: unknown key/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("names the deployments no recipe can launch, by reason, without failing the dry run", () => {
    const f = join(dir, "tilert-master.yaml");
    const src = readFileSync(join(REPO_ROOT, "configs/nvidia-master.yaml"), "utf8");
    // a framework the reference lab uses that benchfleet has no recipe for
    writeFileSync(f, src.replace("  framework: sglang\n", "  framework: tilert\n"));
    const text = runCli(["plan", "--config", f, "--sku", "h200"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /(\d+) of \1 deployments cannot be launched by any recipe \(their jobs would fail at launch\):\n {2}- no recipe for framework tilert\n {6}dsr1-fp8-h200-sglang\n/,
    );
    const json = runCli(["plan", "--config", f, "--sku", "h200", "--json"]);
    expect(json.code).toBe(0);
    expect(Plan.parse(JSON.parse(json.stdout)).deployments.every((d) => d.framework === "tilert")).toBe(true);
    expect(json.stderr).toMatch(/cannot be launched by any recipe[\s\S]*no recipe for framework tilert/);
    // the example configs are all launchable: nothing said (the first test also checks its stderr is empty)
    expect(runCli(["plan", "--config", "configs/"]).stdout).not.toMatch(/cannot be launched/);
  });

  it("reports an unknown runner label", () => {
    const f = join(dir, "runner-master.yaml");
    writeFileSync(
      f,
      readFileSync(join(REPO_ROOT, "configs/amd-master.yaml"), "utf8").replace("runner: mi300x", "runner: tpu-v5"),
    );
    const r = runCli(["plan", "--config", f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /runner-master\.yaml:\d+:11: gptoss-fp4-mi300x-vllm\.runner: unknown runner label "tpu-v5"/,
    );
  });

  it("plans only what a changelog range added, from a real git repository", () => {
    const repo = join(dir, "lab");
    mkdirSync(repo);
    cpSync(join(REPO_ROOT, "configs/nvidia-master.yaml"), join(repo, "nvidia-master.yaml"));
    const git = (...a: string[]) =>
      execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...a], { cwd: repo, encoding: "utf8" });
    git("init", "-q");
    writeFileSync(
      join(repo, "perf-changelog.yaml"),
      `- config-keys: [dsr1-fp8-h200-sglang]\n  description: ["a"]\n  pr-link: l1\n`,
    );
    git("add", ".");
    git("commit", "-qm", "one");
    writeFileSync(
      join(repo, "perf-changelog.yaml"),
      `- config-keys: [dsr1-fp8-h200-sglang]\n  description: ["a"]\n  pr-link: l1\n\n- config-keys: ["gptoss-*"]\n  description: ["b"]\n  pr-link: l2\n`,
    );
    git("commit", "-qam", "two");
    const r = runCli([
      "plan",
      "--config",
      repo,
      "--changelog",
      join(repo, "perf-changelog.yaml"),
      "--base",
      "HEAD~1",
      "--head",
      "HEAD",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    const plan = Plan.parse(JSON.parse(r.stdout));
    expect(new Set(plan.deployments.map((d) => d.configKey))).toEqual(
      new Set(["gptoss-fp4-h100-vllm", "gptoss-fp4-b200-trt"]),
    );

    // deleting an entry is refused, naming the line
    writeFileSync(
      join(repo, "perf-changelog.yaml"),
      `- config-keys: ["gptoss-*"]\n  description: ["b"]\n  pr-link: l2\n`,
    );
    git("commit", "-qam", "three");
    const bad = runCli([
      "plan",
      "--config",
      repo,
      "--changelog",
      join(repo, "perf-changelog.yaml"),
      "--base",
      "HEAD~1",
      "--head",
      "HEAD",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/HEAD~1:perf-changelog\.yaml:1:1: deleted or modified line/);
  });

  it("plans a large real-world-shaped config (hundreds of entries, thousands of lines)", () => {
    const f = join(dir, "large-master.yaml");
    const text = largeMasterConfig(10);
    writeFileSync(f, text);
    expect(text.split("\n").length).toBeGreaterThan(10_000);
    const r = runCli(["plan", "--config", f, "--json"]);
    expect(r.code).toBe(0);
    const plan = Plan.parse(JSON.parse(r.stdout));
    // 5 models × 7 SKUs × 10 versions × 2 frameworks × 5 rows, 5 models × 4 multi × 10 × 2 rows
    expect(plan.totals.singleNodeDeployments).toBe(5 * 7 * 10 * 2 * 5);
    expect(plan.totals.multiNodeDeployments).toBe(5 * 4 * 10 * 2);
  });
});
