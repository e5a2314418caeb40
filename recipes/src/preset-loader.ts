/** Reads the model-family presets (`configs/recipes/*.yaml`) from disk: the I/O half of preset.ts. */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { ConfigError } from "@benchfleet/shared";
import { parsePreset, type RecipePreset } from "./preset.js";

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
