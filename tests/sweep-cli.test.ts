/**
 * `benchfleet sweep start` against a running controller (real Redis, the CLI as its own process):
 * the sweep is created from the master config, and deployments no recipe can launch are named on
 * stderr before they are queued (they are still submitted: each fails at launch with that reason).
 * The plan API's dry run (the dashboard's preview) names them too. A row whose srt-slurm recipe file
 * is missing is planned and named there; creating a sweep with it is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, runCliAsync } from "./helpers/cli.js";
import { startTestController, type TestController, TOKENS } from "./helpers/controller.js";

const redisUrl = inject("redisUrl");

describe("benchfleet sweep start (CLI)", () => {
  let ctl: TestController;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-sweep-cli-"));
    ctl = await startTestController(redisUrl);
  });
  afterAll(async () => {
    await ctl?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the sweep and warns about the deployments no recipe can launch", async () => {
    const f = join(dir, "tilert-master.yaml");
    const src = readFileSync(join(REPO_ROOT, "configs/nvidia-master.yaml"), "utf8");
    writeFileSync(f, src.replace("  framework: sglang\n", "  framework: tilert\n"));
    const conn = ["--controller", ctl.url, "--token", TOKENS.operator];
    const r = await runCliAsync([
      "sweep",
      "start",
      "--config",
      f,
      "--sku",
      "h200",
      "--name",
      "tilert",
      "--json",
      ...conn,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout) as { sweepId: string; jobCount: number };
    expect(created.jobCount).toBeGreaterThan(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `${created.jobCount} of ${created.jobCount} deployments cannot be launched by any recipe[\\s\\S]*no recipe for framework tilert\\n +dsr1-fp8-h200-sglang`,
      ),
    );
    const sweep = await ctl.api("GET", `/api/v1/sweeps/${created.sweepId}`, undefined, TOKENS.viewer);
    expect(sweep.body.name).toBe("tilert");

    const clean = await runCliAsync([
      "sweep",
      "start",
      "--config",
      "configs/nvidia-master.yaml",
      "--sku",
      "h200",
      "--json",
      ...conn,
    ]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).not.toMatch(/cannot be launched/);
  });

  it("the plan API's dry run lists them with fingerprint, framework, SKU and reason", async () => {
    const src = readFileSync(join(REPO_ROOT, "configs/nvidia-master.yaml"), "utf8");
    const body = (text: string) => ({ configs: [{ file: "nvidia-master.yaml", text }], skus: ["h200"] });
    const bad = await ctl.api(
      "POST",
      "/api/v1/plan",
      body(src.replace("  framework: sglang\n", "  framework: tilert\n")),
    );
    expect(bad.status).toBe(200);
    const tilert = bad.body.deployments.filter((d: { framework: string }) => d.framework === "tilert");
    expect(tilert.length).toBeGreaterThan(0);
    expect(bad.body.unlaunchable).toEqual(
      tilert.map((d: { fingerprint: string }) => ({
        fingerprint: d.fingerprint,
        configKey: "dsr1-fp8-h200-sglang",
        framework: "tilert",
        sku: "h200",
        reason: "no recipe for framework tilert",
      })),
    );
    const good = await ctl.api("POST", "/api/v1/plan", body(src));
    expect(good.body.unlaunchable).toEqual([]);
  });

  it("a row whose srt-slurm recipe is not found: the dry run names it; a sweep with it is refused", async () => {
    const demo = readFileSync(join(REPO_ROOT, "configs", "demo.yaml"), "utf8");
    const text = demo.replaceAll("dsr1-fp4/gb200-disagg-1p1d.yaml", "dsr1-fp4/gone.yaml");
    const line = demo.split("\n").findIndex((l) => l.includes("CONFIG_FILE=")) + 1;
    const recipes = join(REPO_ROOT, "configs", "srt-slurm-recipes");
    const key = "demo-dsr1-fp4-gb200-dynamo-sglang";
    const plan = { configs: [{ file: "demo.yaml", text }], keys: [key, "demo-gptoss-fp4-h100-sglang"] };
    const before = process.env.BENCHFLEET_SRT_SLURM;
    process.env.BENCHFLEET_SRT_SLURM = recipes;
    try {
      const dry = await ctl.api("POST", "/api/v1/plan", plan);
      expect(dry.status).toBe(200);
      const why = `demo.yaml:${line}:`;
      const missing = dry.body.unlaunchable.filter((u: { reason: string }) => u.reason.includes("not found"));
      expect(missing).toHaveLength(1);
      expect(missing[0].configKey).toBe(key);
      expect(missing[0].reason).toMatch(
        new RegExp(
          `^${why}\\d+: ${key}\\..*additional-settings\\[0\\]: recipe recipes/dsr1-fp4/gone\\.yaml not found; searched ${recipes}/`,
        ),
      );
      const created = await ctl.api("POST", "/api/v1/sweeps", { plan });
      expect(created.status).toBe(400);
      expect(JSON.stringify(created.body)).toContain(`leave ${key} out: --keys demo-gptoss-fp4-h100-sglang`);
      expect(JSON.stringify(created.body)).toContain("gone.yaml not found");
    } finally {
      if (before === undefined) delete process.env.BENCHFLEET_SRT_SLURM;
      else process.env.BENCHFLEET_SRT_SLURM = before;
    }
  });
});
