/**
 * Holds a benchfleet launch against the lab script it stands for: every flag, environment variable
 * and TensorRT-LLM option the script passes must be in the launch with the same value. What the
 * launch adds beyond the script is listed apart (`extra`), as it is not always a fault (placement,
 * visible devices). Values compare as JSON when both sides parse as JSON, else as text. Pure.
 */
import { PLACEMENT_FLAGS, type ServerCommand } from "./server-command.js";

export interface ScriptDifference {
  kind: "flag" | "env" | "config";
  name: string;
  /** the script's value; undefined when the launch has something the script does not */
  script?: string;
  /** the launch's value; undefined when the launch lacks it */
  ours?: string;
}

export interface ScriptComparison {
  /** what the script passes that the launch lacks or sets otherwise */
  missing: ScriptDifference[];
  /** what the launch passes that the script does not */
  extra: ScriptDifference[];
}

/** Env set by the placement or the harness, not by a script's choices. */
const PLACEMENT_ENV = /^(CUDA_VISIBLE_DEVICES|HIP_VISIBLE_DEVICES|ROCR_VISIBLE_DEVICES|PORT)$/;

export function compareWithScript(script: ServerCommand, ours: ServerCommand): ScriptComparison {
  const missing: ScriptDifference[] = [];
  const extra: ScriptDifference[] = [];
  for (const [name, v] of Object.entries(script.flags)) {
    if (PLACEMENT_FLAGS.has(name)) continue;
    const o = ours.flags[name];
    if (o === undefined || !sameValue(v, o))
      missing.push({ kind: "flag", name, script: show(v), ...(o === undefined ? {} : { ours: show(o) }) });
  }
  for (const [name, o] of Object.entries(ours.flags))
    if (!PLACEMENT_FLAGS.has(name) && script.flags[name] === undefined)
      extra.push({ kind: "flag", name, ours: show(o) });
  for (const [name, v] of Object.entries(script.env)) {
    if (PLACEMENT_ENV.test(name)) continue;
    const o = ours.env[name];
    if (o !== v) missing.push({ kind: "env", name, script: v, ...(o === undefined ? {} : { ours: o }) });
  }
  for (const [name, o] of Object.entries(ours.env))
    if (!PLACEMENT_ENV.test(name) && script.env[name] === undefined) extra.push({ kind: "env", name, ours: o });
  if (script.config || ours.config) {
    const s = leaves(script.config ?? {});
    const o = leaves(ours.config ?? {});
    for (const [path, v] of s) {
      const ov = o.get(path);
      if (ov === undefined || !sameValue(v, ov))
        missing.push({ kind: "config", name: path, script: v, ...(ov === undefined ? {} : { ours: ov }) });
    }
    for (const [path, ov] of o) if (!s.has(path)) extra.push({ kind: "config", name: path, ours: ov });
  }
  return { missing, extra };
}

const show = (v: string | true) => (v === true ? "(switch)" : v);

function sameValue(a: string | true, b: string | true): boolean {
  if (a === b) return true;
  if (a === true || b === true) return false;
  const pa = parseJson(a);
  const pb = parseJson(b);
  return pa !== undefined && pb !== undefined && JSON.stringify(sortKeys(pa)) === JSON.stringify(sortKeys(pb));
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Dotted paths of an options object's leaves (arrays and empty objects are leaves), values as JSON. */
export function leaves(obj: Record<string, unknown>, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0)
      for (const [p, x] of leaves(v as Record<string, unknown>, path)) out.set(p, x);
    else out.set(path, JSON.stringify(v));
  }
  return out;
}
