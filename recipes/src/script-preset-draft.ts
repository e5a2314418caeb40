/**
 * Drafts a script preset from a lab script's server commands observed at several points (each
 * traced with the lab's env contract, see cli/src/lab-script-trace.ts). A setting that is the same
 * everywhere goes to the first rule; one that changes is explained by the fewest of the script's
 * inputs (ISL/OSL, TP, EP, DP attention) plus concurrency ranges, and a value equal to an input is
 * written as that input (`$CONC`, `$TP`, ...). Flags that benchfleet's engine defaults or entry add
 * and the script never passes are removed (`null`). The draft reproduces the script at the observed
 * points; conditions the points do not reach are not seen, so a person reviews it against the
 * script. Pure.
 */
import { stringify } from "yaml";
import type { Engine } from "./preset.js";
import { leaves } from "./script-check.js";
import { type ScriptPreset, scriptVars } from "./script-preset.js";
import { PLACEMENT_FLAGS, type ServerCommand } from "./server-command.js";

export interface ScriptPoint {
  isl: number;
  osl: number;
  tp: number;
  ep: number;
  dpAttn: boolean;
  conc: number;
  maxModelLen: number;
}

export interface ScriptObservation {
  point: ScriptPoint;
  /** the script's server command at this point */
  script: ServerCommand;
  /** benchfleet's launch at this point without a script preset: what the entry and defaults give */
  entry: ServerCommand;
}

export interface DraftMeta {
  script: string;
  model: string;
  precision: string;
  sku: string;
  framework: string;
  spec: "mtp" | "none";
  engine: Engine;
  "not-reproduced"?: string[];
  /** the lab client's options the script passes (its run_benchmark_serving call) */
  client?: ScriptPreset["client"];
}

/** A value in the lab checkout (a chat template, a config file): the launch's image does not hold it. */
const LAB_PATH = "$LAB/";
const NULL = "\u0000null";
const TRUE = "\u0000true";

type Kind = "flags" | "env" | "config";
type Dim = "seq" | "tp" | "ep" | "dpAttn";
const DIMS: Dim[] = ["dpAttn", "seq", "tp", "ep"];
const VAR_ORDER = ["TP", "EP_SIZE", "MAX_MODEL_LEN", "ISL", "OSL", "CONC"] as const;

interface Piece {
  when: Record<string, unknown>;
  value: string;
}

/** Drafts the preset; throws when the observations are of different engines or there are none. */
export function draftScriptPreset(meta: DraftMeta, observations: readonly ScriptObservation[]): ScriptPreset {
  if (!observations.length) throw new Error(`${meta.script}: no observations to draft from`);
  const notReproduced = new Set(meta["not-reproduced"] ?? []);
  const settings = new Map<string, { kind: Kind; name: string }>();
  const observedValue = (o: ScriptObservation, kind: Kind, name: string): string => {
    if (kind === "flags") {
      const v = o.script.flags[name];
      return v === undefined ? NULL : v === true ? TRUE : v;
    }
    if (kind === "env") return o.script.env[name] ?? NULL;
    return leaves(o.script.config ?? {}).get(name) ?? NULL;
  };
  const spelling = new Map<string, string>();
  for (const o of observations) {
    if (o.script.engine !== meta.engine)
      throw new Error(`${meta.script}: traced engine ${o.script.engine}, preset engine ${meta.engine}`);
    for (const [name, v] of Object.entries(o.script.flags)) {
      if (PLACEMENT_FLAGS.has(name)) continue;
      if (typeof v === "string" && v.includes(LAB_PATH)) {
        notReproduced.add(`--${o.script.spelling[name] ?? name} ${v}: a file of the lab checkout, not in the image`);
        continue;
      }
      settings.set(`flags:${name}`, { kind: "flags", name });
      spelling.set(name, o.entry.spelling[name] ?? o.script.spelling[name] ?? name);
    }
    for (const name of Object.keys(o.script.env)) settings.set(`env:${name}`, { kind: "env", name });
    for (const name of leaves(o.script.config ?? {}).keys()) settings.set(`config:${name}`, { kind: "config", name });
    // what the entry or defaults add that the script does not pass is removed
    for (const [name, v] of Object.entries(o.entry.flags)) {
      if (PLACEMENT_FLAGS.has(name) || name in o.script.flags) continue;
      if (v === true || v !== undefined) {
        settings.set(`flags:${name}`, { kind: "flags", name });
        spelling.set(name, o.entry.spelling[name] ?? name);
      }
    }
    for (const name of Object.keys(o.entry.env))
      if (!(name in o.script.env) && !/VISIBLE_DEVICES$/.test(name)) settings.set(`env:${name}`, { kind: "env", name });
  }
  const rules = new Map<
    string,
    {
      when: Record<string, unknown>;
      flags: Record<string, unknown>;
      env: Record<string, unknown>;
      config: Record<string, unknown>;
    }
  >();
  const keyed = [...settings.values()].filter(
    (s) => !(s.kind === "flags" && [...notReproduced].some((n) => n.startsWith(`--${spelling.get(s.name)} `))),
  );
  for (const s of keyed) {
    const pieces = explain(
      observations.map((o) => ({ point: o.point, value: observedValue(o, s.kind, s.name) })),
      s.name.split(".").pop()!,
    );
    for (const p of pieces) {
      if (s.kind === "config" && p.value === NULL) continue;
      const k = JSON.stringify(p.when);
      let rule = rules.get(k);
      if (!rule) {
        rule = { when: p.when, flags: {}, env: {}, config: {} };
        rules.set(k, rule);
      }
      const value = p.value === NULL ? null : p.value === TRUE ? true : p.value;
      if (s.kind === "flags") rule.flags[spelling.get(s.name) ?? s.name] = typed(value);
      else if (s.kind === "env") rule.env[s.name] = value;
      else setPath(rule.config, s.name, jsonValue(value as string));
    }
  }
  const ordered = [...rules.values()].sort((a, b) => specificity(a.when) - specificity(b.when));
  return {
    script: meta.script,
    model: meta.model,
    precision: meta.precision,
    sku: meta.sku,
    framework: meta.framework,
    spec: meta.spec,
    engine: meta.engine,
    ...(notReproduced.size ? { "not-reproduced": [...notReproduced] } : {}),
    ...(meta.client && Object.keys(meta.client).length ? { client: meta.client } : {}),
    rules: ordered.map((r) => ({
      ...(Object.keys(r.when).length ? { when: r.when as ScriptPreset["rules"][number]["when"] } : {}),
      ...(Object.keys(r.flags).length ? { flags: r.flags as Record<string, string | number | boolean | null> } : {}),
      ...(Object.keys(r.env).length ? { env: r.env as Record<string, string | null> } : {}),
      ...(Object.keys(r.config).length ? { config: r.config } : {}),
    })),
  };
}

function specificity(when: Record<string, unknown>): number {
  const conc = when.conc as { min?: number } | undefined;
  return (Object.keys(when).length - (conc ? 1 : 0)) * 1e9 + (conc?.min ?? 0);
}

/** YAML text of a drafted preset with a header saying where it came from. */
export function renderScriptPresetYaml(preset: ScriptPreset, points: readonly ScriptPoint[]): string {
  const uniq = (xs: (string | number)[]) => [...new Set(xs)].join(", ");
  const header = [
    `# Settings of the InferenceX script named below, drafted by \`benchfleet recipe import-script\``,
    `# from the script's server command traced at the points of the lab's master configs`,
    `# (ISL/OSL ${uniq(points.map((p) => `${p.isl}/${p.osl}`))}; TP ${uniq(points.map((p) => p.tp))}; EP ${uniq(points.map((p) => p.ep))};`,
    `# DP attention ${uniq(points.map((p) => String(p.dpAttn)))}; CONC ${uniq([...new Set(points.map((p) => p.conc))].sort((a, b) => a - b))}).`,
    `# Rules apply in order, later wins; a condition the points never reach is not captured.`,
    `# The entry gives the parallelism flags benchfleet's placement sets (port, host, model).`,
  ];
  return `${header.join("\n")}\n${stringify(preset, { lineWidth: 110 })}`;
}

const typed = (v: string | true | null): string | number | boolean | null => {
  if (typeof v !== "string") return v;
  if (/^-?\d+(\.\d+)?$/.test(v) && String(Number(v)) === v) return Number(v);
  return v;
};

function jsonValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function setPath(into: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at = into;
  for (const p of parts.slice(0, -1)) {
    if (!at[p] || typeof at[p] !== "object") at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
}

/** The ways one observed value can be written: itself, or an input it equals. */
function candidates(value: string, p: ScriptPoint): Set<string> {
  const out = new Set([value]);
  if (value === NULL || value === TRUE) return out;
  const vars = scriptVars(p);
  for (const name of VAR_ORDER) {
    const n = vars[name];
    if (n !== undefined && value === String(n)) out.add(`$${name}`);
  }
  return out;
}

function dimKey(p: ScriptPoint, dims: readonly Dim[]): string {
  return JSON.stringify(dims.map((d) => (d === "seq" ? [p.isl, p.osl] : p[d])));
}

function dimWhen(p: ScriptPoint, dims: readonly Dim[]): Record<string, unknown> {
  const w: Record<string, unknown> = {};
  for (const d of dims) {
    if (d === "seq") {
      w.isl = p.isl;
      w.osl = p.osl;
    } else w[d] = p[d];
  }
  return w;
}

/** The input a setting's value stands for when one value was seen (TP 8 is `$TP`, not 8). */
const HINTS: [RegExp, string][] = [
  [/^(tensor-parallel-size|tp-size|-?tp)$/, "TP"],
  [/^(ep-size|expert-parallel-size|moe-expert-parallel-size)$/, "EP_SIZE"],
  [/^(max-model-len|context-length|max-seq-len)$/, "MAX_MODEL_LEN"],
];

function pick(c: Set<string>, name: string): string {
  const canonical = name.replaceAll("_", "-");
  for (const [re, v] of HINTS) if (re.test(canonical) && c.has(`$${v}`)) return `$${v}`;
  for (const v of c) if (!v.startsWith("$")) return v;
  for (const name of VAR_ORDER) if (c.has(`$${name}`)) return `$${name}`;
  return [...c][0]!;
}

/**
 * The fewest rules that give each observation its value: groups by the smallest set of inputs
 * that, with concurrency ranges inside each group, leaves no conflict.
 */
function explain(obs: readonly { point: ScriptPoint; value: string }[], name: string): Piece[] {
  // fewest rules; on a tie, the input the setting is named for (EP for --ep-size), then fewest inputs
  // (so a concurrency range over a confounded input split)
  const canonical = name.replaceAll("_", "-");
  const hint = DIM_HINTS.find(([re]) => re.test(canonical))?.[1];
  const everywhere = piecesFor(obs, [], name);
  if (everywhere?.length === 1) return everywhere;
  let best: { pieces: Piece[]; cost: [number, number, number] } | undefined;
  for (let mask = 0; mask < 1 << DIMS.length; mask++) {
    const dims = DIMS.filter((_, i) => mask & (1 << i));
    const pieces = piecesFor(obs, dims, name);
    if (!pieces) continue;
    const cost: [number, number, number] = [pieces.length, hint && !dims.includes(hint) ? 1 : 0, dims.length];
    if (!best || lexLess(cost, best.cost)) best = { pieces, cost };
  }
  if (!best) throw new Error("observations conflict at the same inputs: the script depends on something else");
  return best.pieces;
}

/** The input a setting is about, by its name: preferred when it explains the points as well as another. */
const DIM_HINTS: [RegExp, Dim][] = [
  [/^(ep-size|expert-parallel-size|enable-expert-parallel|moe-a2a-backend|moe-expert-parallel-size)$/, "ep"],
  [/^(enable-dp-attention|data-parallel-size|enable-dp-lm-head|enable-attention-dp)$/, "dpAttn"],
];

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function piecesFor(
  obs: readonly { point: ScriptPoint; value: string }[],
  dims: readonly Dim[],
  name: string,
): Piece[] | undefined {
  const groups = new Map<string, { point: ScriptPoint; value: string }[]>();
  for (const o of obs) {
    const k = dimKey(o.point, dims);
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const out: Piece[] = [];
  for (const members of groups.values()) {
    const sorted = [...members].sort((a, b) => a.point.conc - b.point.conc);
    let current: Set<string> | undefined;
    let start = sorted[0]!.point.conc;
    let lastConc = Number.NaN;
    const flush = () => {
      const when = dimWhen(sorted[0]!.point, dims);
      if (current)
        out.push({
          when: start === sorted[0]!.point.conc ? when : { ...when, conc: { min: start } },
          value: pick(current, name),
        });
    };
    for (const o of sorted) {
      const c = candidates(o.value, o.point);
      const next = current ? new Set([...current].filter((x) => c.has(x))) : c;
      if (next.size === 0) {
        if (o.point.conc === lastConc) return undefined;
        flush();
        current = c;
        start = o.point.conc;
      } else current = next;
      lastConc = o.point.conc;
    }
    flush();
  }
  return out;
}
