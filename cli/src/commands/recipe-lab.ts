/**
 * `benchfleet recipe import-script` and `recipe check-scripts`: single-node presets held against the
 * lab's own benchmark scripts (a lab checkout given by path; see cli/src/lab-scripts.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "@benchfleet/controller";
import { loadPresets, loadScriptPresets, parseScriptPreset } from "@benchfleet/recipes";
import { CliError } from "@benchfleet/shared";
import type { Command } from "commander";
import { checkLabRows, draftPresets, formatChecks, type LabRow, labSingleNodeRows, presetDoc } from "../lab-scripts.js";

function rowsOf(lab: string, runners: string | undefined, only: string[] | undefined): LabRow[] {
  if (!existsSync(join(lab, "configs")) || !existsSync(join(lab, "benchmarks", "single_node")))
    throw new CliError(`--lab ${lab}: not an InferenceX checkout (no configs/ or benchmarks/single_node/)`, 2);
  const rows = labSingleNodeRows(lab, runners);
  if (!only?.length) return rows;
  const picked = rows.filter((r) => r.script && only.some((o) => r.script!.endsWith(`/${o.replace(/\.sh$/, "")}.sh`)));
  if (!picked.length)
    throw new CliError(`--script ${only.join(", ")}: no single-node row of the lab's configs runs it`, 2);
  return picked;
}

export function registerLab(recipe: Command): void {
  recipe
    .command("import-script")
    .description(
      "draft script presets (configs/recipes/scripts/<script>.yaml) from an InferenceX checkout: each single-node script is traced at the points of the master configs' rows",
    )
    .requiredOption("--lab <dir>", "InferenceX checkout")
    .option("--script <name...>", "only these scripts (e.g. dsv4_fp4_mi355x_vllm)")
    .option("--runners <file>", "runners.yaml mapping runner labels to nodes and hardware")
    .option("--presets <dir>", "recipe preset folder to write into (default configs/recipes)")
    .option("--overwrite", "replace presets that exist (their not-reproduced notes are kept)")
    .action((opts) => {
      const dir = join(opts.presets ?? join(REPO_ROOT, "configs", "recipes"), "scripts");
      const existing = new Map<string, { "not-reproduced"?: string[] }>();
      const rows = rowsOf(opts.lab, opts.runners, opts.script);
      for (const r of rows) {
        const name = r.script?.split("/").pop()?.replace(/\.sh$/, "");
        const file = name && join(dir, `${name}.yaml`);
        if (file && existsSync(file)) existing.set(name, parseScriptPreset(readFileSync(file, "utf8"), file));
      }
      let written = 0;
      for (const draft of draftPresets(rows, { existing })) {
        const file = join(dir, `${draft.name}.yaml`);
        if (existsSync(file) && !opts.overwrite) {
          process.stdout.write(`kept ${file} (exists; --overwrite replaces it)\n`);
          continue;
        }
        writeFileSync(file, draft.text);
        written++;
        process.stdout.write(`wrote ${file}\n`);
      }
      process.stdout.write(`${written} draft(s) written: review each against its script\n`);
    });
  recipe
    .command("check-scripts")
    .description(
      "hold every single-node row of an InferenceX checkout's master configs against its script: the launch must carry the script's flags, env and options at each point",
    )
    .requiredOption("--lab <dir>", "InferenceX checkout")
    .option("--script <name...>", "only rows running these scripts")
    .option("--runners <file>", "runners.yaml mapping runner labels to nodes and hardware")
    .option("--presets <dir>", "recipe presets (default configs/recipes)")
    .option("--markdown <file>", "also write the table of scripts and presets (docs/single-node-presets.md)")
    .action((opts) => {
      const presetDir = opts.presets ?? join(REPO_ROOT, "configs", "recipes");
      const rows = rowsOf(opts.lab, opts.runners, opts.script);
      const scripts = loadScriptPresets(presetDir);
      const checks = checkLabRows(rows, { presets: loadPresets(presetDir), scripts });
      const { text, failing } = formatChecks(checks);
      process.stdout.write(text);
      if (opts.markdown) {
        const git = spawnSync("git", ["-C", opts.lab, "log", "-1", "--format=%h (%cs)"], { encoding: "utf8" });
        const head = git.status === 0 ? git.stdout.trim() : "(not a git checkout)";
        writeFileSync(opts.markdown, presetDoc(rows, checks, scripts, { head }));
        process.stdout.write(`wrote ${opts.markdown}\n`);
      }
      if (failing) process.exitCode = 1;
    });
}
