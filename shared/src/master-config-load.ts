/**
 * Loads master-config files (already read as text) into one key → entry map, with file:line
 * errors for bad YAML, schema violations and keys defined in more than one file.
 */

import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { MasterConfigEntry, PreTransferMasterConfigEntry, RunnersFile } from "./master-config.js";
import { loadYaml, parseYamlSource, type YamlSource, zodProblems } from "./yaml-source.js";

export interface TextFile {
  file: string;
  text: string;
}

export interface LoadedEntry {
  key: string;
  entry: MasterConfigEntry;
  file: string;
  src: YamlSource;
}

export type LoadedConfigs = Map<string, LoadedEntry>;

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface LoadOptions {
  /**
   * Validate and keep only these keys (a changelog's selection); the others are checked for YAML,
   * key syntax and duplicates only, so an older commit whose untouched entries predate today's
   * schema still plans what its changelog names, as the reference generator validates what it runs.
   */
  only?: ReadonlySet<string>;
}

export function loadMasterConfigs(files: TextFile[], opts: LoadOptions = {}): LoadedConfigs {
  return load(files, opts).entries;
}

/** Every config key of the files (YAML, key syntax and duplicates checked; entries not validated). */
export function masterConfigKeys(files: TextFile[]): string[] {
  return load(files, { only: new Set() }).keys;
}

/** Every entry of the files as written (YAML, key syntax and duplicates checked; not validated). */
export function rawMasterEntries(files: TextFile[]): Map<string, unknown> {
  return load(files, { only: new Set() }).raw;
}

function load(
  files: TextFile[],
  opts: LoadOptions,
): { entries: LoadedConfigs; keys: string[]; raw: Map<string, unknown> } {
  const out: LoadedConfigs = new Map();
  const rawByKey = new Map<string, unknown>();
  const seen = new Map<string, { file: string; src: YamlSource }>();
  const problems: ConfigProblem[] = [];
  const schema = files.some((f) => f.text.includes("kv-p2p-transfer"))
    ? MasterConfigEntry
    : PreTransferMasterConfigEntry;
  for (const { file, text } of files) {
    let src: YamlSource;
    try {
      src = parseYamlSource(text, file);
    } catch (e) {
      if (e instanceof ConfigError) {
        problems.push(...e.problems);
        continue;
      }
      throw e;
    }
    const raw = src.doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (raw === null || raw === undefined) continue; // empty file
    if (typeof raw !== "object" || Array.isArray(raw)) {
      problems.push({ file, line: 1, col: 1, path: "", message: "expected a mapping of config keys to entries" });
      continue;
    }
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const keyPos = src.locateKey([key]);
      if (!KEY_RE.test(key)) {
        problems.push({ file, ...keyPos, path: key, message: "config key may hold only letters, digits, . _ -" });
        continue;
      }
      const prev = seen.get(key);
      if (prev) {
        const p = prev.src.locateKey([key]);
        problems.push({
          file,
          ...keyPos,
          path: key,
          message: `duplicate config key (first defined at ${prev.file}:${p.line}:${p.col})`,
        });
        continue;
      }
      seen.set(key, { file, src });
      rawByKey.set(key, value);
      if (opts.only && !opts.only.has(key)) continue;
      const historic = historicForm(value);
      const res = schema.safeParse(historic);
      if (!res.success) {
        // a converted entry's problems are located at what its file says
        const issues =
          historic === value
            ? res.error.issues
            : res.error.issues.map((i) =>
                i.path[0] === "scenarios" && i.path[1] === "fixed-seq-len"
                  ? { ...i, path: ["seq-len-configs", ...i.path.slice(2)] }
                  : i,
              );
        problems.push(...zodProblems(src, issues, [key]));
        continue;
      }
      out.set(key, { key, entry: res.data, file, src });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { entries: out, keys: [...seen.keys()], raw: rawByKey };
}

/**
 * An entry in the reference's form before scenario types (before its PR 1201): `seq-len-configs`
 * is today's `scenarios: { fixed-seq-len }`, so a historic commit plans.
 */
function historicForm(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const { "seq-len-configs": seqLen, ...rest } = value as Record<string, unknown>;
  if (seqLen === undefined || "scenarios" in rest) return value;
  return { ...rest, scenarios: { "fixed-seq-len": seqLen } };
}

export function loadRunnersFile(f: TextFile): RunnersFile {
  return loadYaml(f.text, f.file, RunnersFile).value;
}

export function parseTextAs<T extends z.ZodType>(f: TextFile, schema: T): z.infer<T> {
  return loadYaml(f.text, f.file, schema).value;
}
