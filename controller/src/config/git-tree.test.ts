/**
 * `--srt-slurm DIR@REF` through gitTree: recipes and configs/ files read from a git ref of a
 * checkout we build in a temporary directory (a recipe only on a pinned branch, as the lab's runners
 * pin srt-slurm), the work tree left as it was; an entry overlays the ones before it as a directory
 * does.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { srtRecipeSource as recipeSource } from "@benchfleet/recipes";
import { makeDeployment } from "@benchfleet/recipes/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { gitTree } from "./git-tree.js";

const srtRecipeSource = (entries: string[]) => recipeSource(entries, gitTree);

const DEMO = readFileSync(
  fileURLToPath(new URL("../../../configs/srt-slurm-recipes/dsr1-fp4/gb200-disagg-1p1d.yaml", import.meta.url)),
  "utf8",
);
const repo = mkdtempSync(join(tmpdir(), "srt-tree-"));
const overlay = mkdtempSync(join(tmpdir(), "srt-overlay-"));
afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(overlay, { recursive: true, force: true });
});
const git = (...args: string[]) =>
  execFileSync("git", ["-C", repo, "-c", "user.email=t@t", "-c", "user.name=t", ...args], { encoding: "utf8" });
const write = (rel: string, text: string) => {
  mkdirSync(join(repo, rel, ".."), { recursive: true });
  writeFileSync(join(repo, rel), text);
};

// main holds recipes/base.yaml; the branch pinned adds recipes/pinned/a.yaml and configs/patches/s.sh
git("init", "-q", "-b", "main");
write("recipes/base.yaml", "name: base\n");
git("add", "-A");
git("commit", "-q", "-m", "base");
git("checkout", "-q", "-b", "pinned");
write("recipes/pinned/a.yaml", "name: pinned\nsetup_script: s.sh\n");
write("recipes/pinned/demo.yaml", DEMO.replace('name: "benchfleet-demo-gb200-fp4-1p1d"\n', '$&setup_script: "s.sh"\n'));
write("configs/patches/s.sh", "echo pinned\n");
git("add", "-A");
git("commit", "-q", "-m", "pinned");
git("tag", "v1.0.1");
git("checkout", "-q", "main");

describe("an --srt-slurm entry DIR@REF", () => {
  it("reads a recipe that exists only on the ref, without touching the work tree", () => {
    const source = srtRecipeSource([`${repo}@pinned`]);
    expect(source("recipes/pinned/a.yaml")).toEqual({
      path: `${repo}@pinned:recipes/pinned/a.yaml`,
      text: "name: pinned\nsetup_script: s.sh\n",
    });
    expect(srtRecipeSource([`${repo}@v1.0.1`])("recipes/pinned/a.yaml")).toMatchObject({ text: /name: pinned/ });
    expect(srtRecipeSource([repo])("recipes/pinned/a.yaml")).toEqual({
      error: `recipe recipes/pinned/a.yaml not found; searched ${repo}/recipes/pinned/a.yaml, ${repo}/pinned/a.yaml`,
    });
    expect(git("rev-parse", "--abbrev-ref", "HEAD").trim()).toBe("main");
    expect(git("status", "--porcelain")).toBe("");
  });

  it("finds the recipe's configs/ files on the ref too", () => {
    const source = srtRecipeSource([`${repo}@pinned`]);
    const configFile = "recipes/pinned/demo.yaml";
    const found = source(configFile);
    if ("error" in found) throw new Error(found.error);
    const d = makeDeployment({
      configKey: "demo",
      sku: "gb200",
      framework: "dynamo-sglang",
      model: "m",
      modelPrefix: "dsr1",
      precision: "fp4",
      image: "img",
      concs: [4, 8],
      osl: 128,
      prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
      decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    });
    expect(source.configs?.({ configFile, ...found }, d)).toEqual([{ path: "patches/s.sh", text: "echo pinned\n" }]);
  });

  it("overlays and is overlaid in order, like a directory", () => {
    mkdirSync(join(overlay, "pinned"), { recursive: true });
    writeFileSync(join(overlay, "pinned", "a.yaml"), "name: overlay\n");
    expect(srtRecipeSource([`${repo}@pinned`, overlay])("recipes/pinned/a.yaml")).toEqual({
      path: join(overlay, "pinned", "a.yaml"),
      text: "name: overlay\n",
    });
    expect(srtRecipeSource([overlay, `${repo}@pinned`])("recipes/pinned/a.yaml")).toMatchObject({
      text: "name: pinned\nsetup_script: s.sh\n",
    });
    expect(readFileSync(join(overlay, "pinned", "a.yaml"), "utf8")).toBe("name: overlay\n");
  });

  it("an unknown ref or a missing directory: one line naming the entry", () => {
    expect(() => srtRecipeSource([`${repo}@nope`])).toThrow(
      `--srt-slurm ${repo}@nope: nope is not a branch, tag or commit of the git checkout ${repo}`,
    );
    expect(() => srtRecipeSource(["/nonexistent-srt@main"])).toThrow(
      "--srt-slurm /nonexistent-srt@main: no such directory /nonexistent-srt",
    );
    expect(() => srtRecipeSource([`${overlay}@main`])).toThrow(/is not a branch, tag or commit of the git checkout/);
  });

  it("an existing directory whose name holds @ is a plain directory; without a git reader a ref is refused", () => {
    const odd = mkdtempSync(join(tmpdir(), "srt@odd-"));
    try {
      writeFileSync(join(odd, "a.yaml"), "name: odd\n");
      expect(srtRecipeSource([odd])("recipes/a.yaml")).toEqual({ path: join(odd, "a.yaml"), text: "name: odd\n" });
    } finally {
      rmSync(odd, { recursive: true, force: true });
    }
    expect(() => recipeSource([`${repo}@pinned`])).toThrow(
      `--srt-slurm ${repo}@pinned: a git ref is not read here; give a directory`,
    );
  });
});
