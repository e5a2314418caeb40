/**
 * Settings layering (pure). A role's settings (engine flags, env vars, and for TensorRT-LLM the
 * extra-LLM-API-options YAML) are merged from layers, later layers winning:
 *
 *   engine defaults ← model-family preset ← master-config entry (parallelism, spec decoding,
 *   concurrency, router, kv transfer) ← pool `additional-settings` ← `benchfleet.recipe` overrides
 *   ← placement (host, ports, ranks, devices: fixed, an override of one is an error)
 *
 * A value of `null` removes what an earlier layer set; `true` renders as a bare flag, `false` omits it.
 */
import { RecipeError } from "@benchfleet/shared";

export type FlagValue = string | number | boolean | null;
export type Flags = Record<string, FlagValue>;
export type EngineRole = "prefill" | "decode" | "worker";
export type Role = EngineRole | "router" | "frontend";

export interface Settings {
  flags: Flags;
  env: Record<string, string | null>;
  /** nested options written to a file (TensorRT-LLM extra LLM API options) */
  config: Record<string, unknown>;
}

export interface LayerPart {
  /** roles this part applies to; absent: every engine role (prefill, decode, worker) */
  roles?: Role[];
  settings: Partial<Settings>;
}

export interface Layer {
  name: string;
  parts: LayerPart[];
}

export const emptySettings = (): Settings => ({ flags: {}, env: {}, config: {} });

const ENGINE_ROLES: Role[] = ["prefill", "decode", "worker"];

function appliesTo(part: LayerPart, role: Role): boolean {
  return part.roles ? part.roles.includes(role) : ENGINE_ROLES.includes(role);
}

/** flag names are kept without leading dashes unless they are short (`-tp`) */
export function normFlag(key: string): string {
  return key.startsWith("--") ? key.slice(2) : key;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(from)) {
    if (v === null) delete into[k];
    else if (isPlainObject(v) && isPlainObject(into[k]))
      into[k] = deepMerge({ ...(into[k] as Record<string, unknown>) }, v);
    else if (isPlainObject(v)) into[k] = deepMerge({}, v);
    else into[k] = v;
  }
  return into;
}

export function mergeSettings(into: Settings, from: Partial<Settings>): Settings {
  for (const [k, v] of Object.entries(from.flags ?? {})) {
    const key = normFlag(k);
    if (v === null) delete into.flags[key];
    else into.flags[key] = v;
  }
  for (const [k, v] of Object.entries(from.env ?? {})) {
    if (v === null) delete into.env[k];
    else into.env[k] = v;
  }
  if (from.config) deepMerge(into.config, from.config);
  return into;
}

/** The settings of one role after applying every layer in order. */
export function resolveSettings(layers: Layer[], role: Role): Settings {
  const out = emptySettings();
  for (const layer of layers)
    for (const part of layer.parts) if (appliesTo(part, role)) mergeSettings(out, part.settings);
  return out;
}

/** Keys (`flag:x`, `env:X`, `config:a.b`) a layer sets for a role: used to refuse overrides of placement facts. */
export function keysOf(layer: Layer, role: Role): string[] {
  const keys: string[] = [];
  for (const part of layer.parts) {
    if (!appliesTo(part, role)) continue;
    for (const k of Object.keys(part.settings.flags ?? {})) keys.push(`flag:${normFlag(k)}`);
    for (const k of Object.keys(part.settings.env ?? {})) keys.push(`env:${k}`);
    const walk = (o: Record<string, unknown>, p: string) => {
      for (const [k, v] of Object.entries(o)) {
        if (isPlainObject(v)) walk(v, `${p}${k}.`);
        else keys.push(`config:${p}${k}`);
      }
    };
    walk(part.settings.config ?? {}, "");
  }
  return keys;
}

/** Throws when `overrides` touches a key that `fixed` (the placement layer) owns for this role. */
export function refuseFixedOverrides(overrides: Layer, fixed: Layer, role: Role, what: string): void {
  const fixedKeys = new Set(keysOf(fixed, role));
  for (const k of keysOf(overrides, role)) {
    if (fixedKeys.has(k)) {
      throw new RecipeError(
        `${what}: recipe override of ${k.replace(/^flag:/, "--").replace(/^(env|config):/, "")} is not allowed: it is set from the placement (ports, hosts, ranks, devices)`,
      );
    }
  }
}

/** Renders flags as argv: `--k v` (or `--k=v` with style "equals"); true → `--k`; false → omitted. */
export function renderFlags(flags: Flags, style: "space" | "equals" = "space"): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(flags)) {
    if (v === null || v === false) continue;
    const name = k.startsWith("-") ? k : `--${k}`;
    if (v === true) out.push(name);
    else if (style === "equals") out.push(`${name}=${v}`);
    else out.push(name, String(v));
  }
  return out;
}

const ROLE_PREFIXES: Role[] = ["prefill", "decode", "worker", "router", "frontend"];
const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;

/**
 * `benchfleet.recipe` overrides → a layer. Key grammar: `[prefill.|decode.|worker.|router.|frontend.]`
 * then `--flag` / `flag` (engine flag), `NAME` in upper case or `env.NAME` (env var), or
 * `config.a.b` (TensorRT-LLM options YAML path). `null` removes.
 */
export function overridesLayer(overrides: Record<string, FlagValue>, where: string): Layer {
  const parts: LayerPart[] = [];
  for (const [rawKey, value] of Object.entries(overrides)) {
    let key = rawKey;
    let roles: Role[] | undefined;
    const dot = key.indexOf(".");
    if (dot > 0 && ROLE_PREFIXES.includes(key.slice(0, dot) as Role) && !key.startsWith("-")) {
      roles = [key.slice(0, dot) as Role];
      key = key.slice(dot + 1);
    }
    if (!key) throw new RecipeError(`${where}: recipe override "${rawKey}" names no flag`);
    let settings: Partial<Settings>;
    if (key.startsWith("env.") || ENV_RE.test(key)) {
      const name = key.startsWith("env.") ? key.slice(4) : key;
      if (!ENV_RE.test(name))
        throw new RecipeError(`${where}: recipe override "${rawKey}": "${name}" is not an environment variable name`);
      settings = { env: { [name]: value === null ? null : String(value) } };
    } else if (key.startsWith("config.")) {
      const path = key.slice(7).split(".");
      if (path.some((p) => !p)) throw new RecipeError(`${where}: recipe override "${rawKey}": empty path segment`);
      const obj: Record<string, unknown> = {};
      let cur = obj;
      path.forEach((p, i) => {
        if (i === path.length - 1) cur[p] = value;
        else cur = cur[p] = {} as Record<string, unknown>;
      });
      settings = { config: obj };
    } else {
      if (!/^-{0,2}[A-Za-z0-9][A-Za-z0-9_-]*$/.test(key))
        throw new RecipeError(`${where}: recipe override "${rawKey}" is not a flag name`);
      settings = { flags: { [normFlag(key)]: value } };
    }
    parts.push(roles ? { roles, settings } : { settings });
  }
  return { name: "overrides", parts };
}

/** What a pool's `additional-settings` (KEY=VALUE) mean to a recipe. */
export interface PoolDirectives {
  /** PREFILL_NODES / DECODE_NODES: the node count the reference scripts expect for the pool */
  nodes?: number;
  /** PREFILL_MTP_SIZE / DECODE_MTP_SIZE: MTP steps of the pool */
  mtpSteps?: number;
  /** CONFIG_FILE: an srt-slurm recipe path (not read: the plan comes from the entry fields) */
  configFile?: string;
}

/**
 * Parses one pool's `additional-settings`: `--flag=value` or lower-case `flag=value` → engine flag;
 * the reference's PREFILL_NODES/DECODE_NODES/*_MTP_SIZE/CONFIG_FILE → directives; any other
 * upper-case KEY → environment variable of that pool's processes.
 */
export function additionalSettingsLayer(
  pool: "prefill" | "decode",
  list: string[],
  where: string,
): { layer: Layer; directives: PoolDirectives } {
  const settings: Partial<Settings> = { flags: {}, env: {} };
  const directives: PoolDirectives = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new RecipeError(`${where}: additional-settings "${item}": expected KEY=VALUE`);
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const upper = key.toUpperCase();
    const int = () => {
      if (!/^\d+$/.test(value))
        throw new RecipeError(`${where}: additional-settings ${key}=${value}: expected a whole number`);
      return Number(value);
    };
    if (upper === "PREFILL_NODES" || upper === "DECODE_NODES") {
      if (upper.startsWith(pool.toUpperCase())) directives.nodes = int();
    } else if (upper === "PREFILL_MTP_SIZE" || upper === "DECODE_MTP_SIZE") {
      if (upper.startsWith(pool.toUpperCase())) directives.mtpSteps = int();
    } else if (upper === "CONFIG_FILE") {
      directives.configFile = value;
    } else if (key.startsWith("-") || /^[a-z]/.test(key)) {
      settings.flags![normFlag(key)] = value === "true" ? true : value === "false" ? false : value;
    } else if (ENV_RE.test(key)) {
      settings.env![key] = value;
    } else {
      throw new RecipeError(
        `${where}: additional-settings "${item}": "${key}" is neither a flag (--name / lower-case) nor an environment variable (UPPER_CASE)`,
      );
    }
  }
  return { layer: { name: `additional-settings:${pool}`, parts: [{ roles: [pool], settings }] }, directives };
}
