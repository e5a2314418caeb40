/**
 * Reads the recipe presets from disk: model-family presets (`configs/recipes/*.yaml`, the I/O half
 * of preset.ts) and script presets (`configs/recipes/scripts/*.yaml`, of script-preset.ts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { ConfigError } from "@benchfleet/shared";
import { parsePreset, type RecipePreset } from "./preset.js";
import { parseScriptPreset, type ScriptPreset } from "./script-preset.js";

/** Presets keyed by model prefix (the file name without `.yaml`). */
export function loadPresets(dir: string): Record<string, RecipePreset> {
  const out: Record<string, RecipePreset> = {};
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith(".yaml") || n.endsWith(".yml"))
      .sort();
  } catch (e) {
    throw new ConfigError([
      {
        file: dir,
        line: 1,
        col: 1,
        path: "",
        message: `cannot read the recipe preset folder: ${(e as Error).message}`,
      },
    ]);
  }
  for (const name of names) {
    const file = join(dir, name);
    const shown = relative(process.cwd(), file) || file;
    const preset = parsePreset(readFileSync(file, "utf8"), shown);
    const prefix = basename(name).replace(/\.ya?ml$/, "");
    if (preset.family !== prefix) {
      throw new ConfigError([
        {
          file: shown,
          line: 1,
          col: 1,
          path: "family",
          message: `family "${preset.family}" must match the file name "${prefix}"`,
        },
      ]);
    }
    out[prefix] = preset;
  }
  return out;
}

/**
 * Script presets of a recipe folder: its `scripts/` subfolder (fixed-seq-len scripts) and
 * `scripts/agentic/` (the agentic scripts, whose file names repeat fixed-seq-len ones); none when
 * absent. Each file is named for its script: `dsr1_fp8_h200_mtp.yaml` holds
 * `benchmarks/.../dsr1_fp8_h200_mtp.sh`, and a file under `agentic/` a script of the lab's agentic folder.
 */
export function loadScriptPresets(recipeDir: string): ScriptPreset[] {
  return [
    ...loadScriptFolder(join(recipeDir, "scripts"), false),
    ...loadScriptFolder(join(recipeDir, "scripts", "agentic"), true),
  ];
}

const AGENTIC_SCRIPTS = "benchmarks/single_node/agentic/";

function loadScriptFolder(dir: string, agenticFolder: boolean): ScriptPreset[] {
  if (!existsSync(dir)) return [];
  const out: ScriptPreset[] = [];
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(".yaml") || n.endsWith(".yml"))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    const shown = relative(process.cwd(), file) || file;
    const preset = parseScriptPreset(readFileSync(file, "utf8"), shown);
    const stem = basename(name).replace(/\.ya?ml$/, "");
    if (basename(preset.script, ".sh") !== stem) {
      throw new ConfigError([
        {
          file: shown,
          line: 1,
          col: 1,
          path: "script",
          message: `script "${preset.script}" must be named like the file "${stem}.sh"`,
        },
      ]);
    }
    const agentic = preset.script.startsWith(AGENTIC_SCRIPTS);
    if (agentic !== agenticFolder) {
      throw new ConfigError([
        {
          file: shown,
          line: 1,
          col: 1,
          path: "script",
          message: agentic
            ? `an agentic script's preset belongs in scripts/agentic/, not here`
            : `only the presets of ${AGENTIC_SCRIPTS}*.sh belong in scripts/agentic/`,
        },
      ]);
    }
    out.push(preset);
  }
  return out;
}
