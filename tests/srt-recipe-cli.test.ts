/**
 * The CLI on a row launched from an srt-slurm recipe (the demo's, configs/srt-slurm-recipes/): the
 * recipe's benchmark settings on the planned points, shown by `recipe show`, and a recipe whose
 * concurrencies differ from its row's planned at the recipe's, with a warning at recipe-file:line:col.
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
});
