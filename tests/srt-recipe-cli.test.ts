/**
 * The CLI on a row launched from an srt-slurm recipe (the demo's, configs/srt-slurm-recipes/): the
 * recipe's benchmark settings on the planned points, shown by `recipe show`, and a recipe whose
 * concurrencies differ from its row's planned at the recipe's, with a warning at recipe-file:line:col;
 * a row whose recipe file is missing: planned and named unlaunchable, and refused by `sweep start`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./helpers/cli.js";

const KEY = "demo-dsr1-fp4-gb200-dynamo-sglang";
const RECIPES = join(REPO_ROOT, "configs", "srt-slurm-recipes");
const tmp = mkdtempSync(join(tmpdir(), "srt-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("a recipe-driven row in the CLI", () => {
  it("recipe show names the load settings the recipe's benchmark section gives the points", () => {
    const r = runCli(["recipe", "show", KEY, "-c", "configs/demo.yaml", "--srt-slurm", RECIPES]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(
      /points 4,8; load: chat template, rate inf, 3 prompts\/conc, 2 warm-ups\/conc, warm-up rate 250, range ratio 0\.8, a connection per request$/,
    );
  });

  it("plan runs a recipe's concurrencies that differ from the row's, warning at recipe-file:line:col", () => {
    const overlay = join(tmp, "recipes", "dsr1-fp4");
    const text = readFileSync(join(RECIPES, "dsr1-fp4", "gb200-disagg-1p1d.yaml"), "utf8");
    const line = text.split("\n").findIndex((l) => l.startsWith("  concurrencies:")) + 1;
    expect(line).toBeGreaterThan(0);
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      join(overlay, "gb200-disagg-1p1d.yaml"),
      text.replace('concurrencies: "4x8"', 'concurrencies: "4x8x16"'),
    );
    const r = runCli([
      "plan",
      "-c",
      "configs/demo.yaml",
      "--keys",
      KEY,
      "--srt-slurm",
      RECIPES,
      "--srt-slurm",
      tmp,
      "--json",
    ]);
    expect(r.code).toBe(0);
    const planned = JSON.parse(r.stdout) as { deployments: { configKey: string; points: { concurrency: number }[] }[] };
    const d = planned.deployments.find((x) => x.configKey === KEY)!;
    expect(d.points.map((p) => p.concurrency)).toEqual([4, 8, 16]);
    const demoLine =
      readFileSync(join(REPO_ROOT, "configs", "demo.yaml"), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("conc-list: [4, 8]")) + 1;
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning: "));
    expect(warnings).toEqual([
      `warning: ${join(overlay, "gb200-disagg-1p1d.yaml")}:${line}:3: benchmark.concurrencies: srtctl runs the recipe's concurrencies 4, 8, 16 where the master-config row ${KEY} (configs/demo.yaml:${demoLine}) names 4, 8: the row's points are measured and stored at 4, 8, 16, as the lab's results are`,
    ]);
  });

  it("a recipe file not found: plan names the deployment unlaunchable; sweep start refuses it and says how to leave it out", () => {
    const demo = readFileSync(join(REPO_ROOT, "configs", "demo.yaml"), "utf8");
    const configLine = demo.split("\n").findIndex((l) => l.includes("CONFIG_FILE=")) + 1;
    const file = join(tmp, "missing.yaml");
    writeFileSync(file, demo.replaceAll("dsr1-fp4/gb200-disagg-1p1d.yaml", "dsr1-fp4/gone.yaml"));
    const keys = [KEY, "demo-gptoss-fp4-h100-sglang"].join(",");
    const why = new RegExp(
      `${file}:${configLine}:\\d+: ${KEY}\\.scenarios\\.fixed-seq-len\\[0\\]\\.search-space\\[0\\]\\.prefill\\.additional-settings\\[0\\]: recipe recipes/dsr1-fp4/gone\\.yaml not found; searched ${RECIPES}/recipes/dsr1-fp4/gone\\.yaml, ${RECIPES}/dsr1-fp4/gone\\.yaml`,
    );
    const planned = runCli(["plan", "-c", file, "--keys", keys, "--srt-slurm", RECIPES]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/1 of 3 deployments cannot be launched by any recipe/);
    expect(planned.stdout).toMatch(why);
    const started = runCli(["sweep", "start", "-c", file, "--keys", keys, "--srt-slurm", RECIPES]);
    expect(started.code).toBe(2);
    expect(started.stderr).toMatch(why);
    expect(started.stderr).toContain(`leave ${KEY} out: --keys demo-gptoss-fp4-h100-sglang`);
  });
});
