/**
 * Script presets (`configs/recipes/scripts/<script>.yaml`): one file per InferenceX single-node
 * benchmark script (`benchmarks/single_node/fixed_seq_len/<model>_<precision>_<sku>[_<framework>][_mtp].sh`),
 * holding the server flags and env that script passes, with the script's own conditions (ISL/OSL, TP,
 * EP, DP attention, concurrency) as `when`. A reviewer reads a file beside its script; a lab updates
 * it when the script changes. Values may name the script's variables (`$CONC`, `$TP`, `$EP_SIZE`,
 * `$ISL`, `$OSL`, `$MAX_MODEL_LEN`, agentic rows' `$TOTAL_CPU_DRAM_GB`) and bash integer arithmetic over them (`$((2 * CONC))`: + - * /
 * and parentheses, division truncating as bash's), filled in per launch, `$(seq -s, FIRST STEP LAST)` for the
 * comma-separated lists scripts build in loops (CUDA-graph capture sizes), and `$(sort -n -u LIST)` for a list a script
 * merges from several (`printf '%s\n' "${A[@]}" | sort -n -u | paste -sd,`). An agentic script's `client-env` holds
 * the AIPERF_* / AGENTIC_* it exports for the lab's client, which become its points' client settings
 * (stored-settings.ts). Parsing and matching are pure; reading files is preset-loader.ts.
 */
import { agenticClientFromEnv, canonicalJson, type Deployment, loadYaml, RecipeError } from "@benchfleet/shared";
import { z } from "zod";
import { type Flags, type Layer, type LayerPart, resolveSettings } from "./layering.js";
import { ScriptMooncake } from "./mooncake-script.js";
import { ENGINES, type Engine } from "./preset.js";

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t)]);
const PositiveInt = z.number().int().positive();

const ScriptWhen = z
  .object({
    isl: oneOrMany(PositiveInt).optional(),
    osl: oneOrMany(PositiveInt).optional(),
    tp: oneOrMany(PositiveInt).optional(),
    /** EP_SIZE */
    ep: oneOrMany(PositiveInt).optional(),
    /** DP_ATTENTION */
    dpAttn: z.boolean().optional(),
    /** CONC within [min, max] (inclusive) */
    conc: z.object({ min: PositiveInt.optional(), max: PositiveInt.optional() }).strict().optional(),
    /** agentic rows: KV_OFFLOAD_BACKEND, or `none` when the row does not offload */
    kvOffload: oneOrMany(z.string().min(1)).optional(),
  })
  .strict();
type ScriptWhen = z.infer<typeof ScriptWhen>;

const ScriptRule = z
  .object({
    when: ScriptWhen.optional(),
    /** why, or the script lines this rule stands for */
    note: z.string().optional(),
    flags: z.record(z.string(), Scalar).optional(),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "environment variable names are UPPER_CASE"), Scalar)
      .optional(),
    /** TensorRT-LLM extra-LLM-API options the script writes */
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * The lab's benchmark client options the script passes to `run_benchmark_serving`
 * (benchmark_lib.sh); its other options (random prompts, CONC × 10 of them, range ratio, 2 × CONC
 * warm-ups) are the same in every script and are the load generator's defaults.
 */
const ScriptClient = z
  .object({
    /** `--use-chat-template`: prompts go through the model's chat template */
    "use-chat-template": z.boolean().optional(),
    /** `--dsv4`: DeepSeek-V4's chat encoding (encoding_dsv4.py) instead of the tokenizer's template; implies the chat template */
    dsv4: z.boolean().optional(),
    /** `--backend openai-chat`: prompts go to the chat endpoint as a user message (the default is `openai`) */
    backend: z.literal("openai-chat").optional(),
  })
  .strict();

/**
 * AIPERF_* / AGENTIC_* an agentic script exports for the lab's client (benchmark_lib.sh's
 * build_replay_cmd reads them), with the script's conditions as `when`; later entries win. Values
 * are checked against what their name takes (shared/src/agentic-client.ts).
 */
const ScriptClientEnv = z
  .object({
    when: ScriptWhen.optional(),
    note: z.string().optional(),
    env: z.record(z.string(), Scalar).superRefine((env, ctx) => {
      for (const k of Object.keys(env))
        if (!/^(AIPERF|AGENTIC)_[A-Z0-9_]*$/.test(k))
          ctx.addIssue({
            code: "custom",
            path: [k],
            message: `${k}: not the lab client's env (AIPERF_* or AGENTIC_*)`,
          });
      const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== null)) as Record<
        string,
        string | number | boolean
      >;
      for (const p of agenticClientFromEnv(given).problems)
        ctx.addIssue({ code: "custom", path: [p.name], message: p.message });
    }),
  })
  .strict();

export const ScriptPreset = z
  .object({
    /** path of the script in the lab's repository */
    script: z.string().regex(/^benchmarks\/.+\.sh$/, "a path under benchmarks/ ending in .sh"),
    model: z.string().min(1),
    precision: z.string().min(1),
    sku: z.string().min(1),
    framework: z.string().min(1),
    spec: z.enum(["mtp", "none"]),
    engine: z.enum(ENGINES),
    /** what the script does that this preset does not reproduce, and why */
    "not-reproduced": z.array(z.string()).optional(),
    /**
     * why only the lab's script itself launches this exactly (it patches the image, stages files):
     * the rows it runs are planned in script mode with a lab checkout unless a row says
     * `benchfleet.script: false`
     */
    "script-mode": z.string().min(1).optional(),
    client: ScriptClient.optional(),
    "client-env": z.array(ScriptClientEnv).optional(),
    /** the Mooncake store as the script runs it (agentic scripts with `kv-offload-backend: mooncake`) */
    mooncake: ScriptMooncake.optional(),
    rules: z.array(ScriptRule).min(1),
  })
  .strict();
export type ScriptPreset = z.infer<typeof ScriptPreset>;

/** Parses one script preset's YAML text; errors are ConfigErrors located at file:line:col. */
export function parseScriptPreset(text: string, file: string): ScriptPreset {
  return loadYaml(text, file, ScriptPreset).value;
}

/** where the lab keeps the single-node scripts of each scenario, from the checkout's root */
const SCENARIO_SCRIPT_DIRS: Record<Deployment["scenario"], string> = {
  "fixed-seq-len": "benchmarks/single_node/fixed_seq_len/",
  "agentic-coding": "benchmarks/single_node/agentic/",
};

/**
 * The script preset for a single-node deployment, if the lab has a script for its key in its
 * scenario's folder: an agentic row's script is `benchmarks/single_node/agentic/<key>.sh`, never the
 * fixed-seq-len script of the same key (whose random-data settings, context length and prefix-cache
 * choice are not the agentic server's).
 */
export function findScriptPreset(
  presets: readonly ScriptPreset[] | undefined,
  d: Deployment,
): ScriptPreset | undefined {
  if (!presets || d.multinode || d.prefill || d.decode) return undefined;
  const spec = d.specDecoding === "mtp" ? "mtp" : "none";
  const dir = SCENARIO_SCRIPT_DIRS[d.scenario];
  const found = presets.filter(
    (p) =>
      p.script.startsWith(dir) &&
      p.model === d.modelPrefix &&
      p.precision === d.precision &&
      p.sku === d.sku &&
      p.framework === d.framework &&
      p.spec === spec,
  );
  if (found.length > 1) {
    throw new RecipeError(
      `${d.configKey}: several script presets match (${found.map((p) => p.script).join(", ")}): keep one per script key`,
    );
  }
  return found[0];
}

/** The values a script's conditions and `$VARS` are evaluated against, for one launch. */
interface ScriptFacts {
  isl: number;
  osl: number;
  tp: number;
  ep: number;
  dpAttn: boolean;
  conc: number;
  /** ISL + OSL + 256 as the lab's generator sets it; absent for agentic rows */
  maxModelLen?: number;
  /** agentic rows: the offload backend's name, or `none` */
  kvOffload?: string;
  /** agentic rows: TOTAL_CPU_DRAM_GB, the server's DRAM budget (0 without offload) */
  totalCpuDramGb?: number;
}

/** The facts of deployment `d`'s launch at concurrency `conc`. */
export function scriptFacts(d: Deployment, conc: number): ScriptFacts {
  const a = d.agentic;
  return {
    isl: d.isl,
    osl: d.osl,
    tp: d.tp!,
    ep: d.ep ?? 1,
    dpAttn: d.dpAttn ?? false,
    conc,
    ...(d.maxModelLen !== undefined ? { maxModelLen: d.maxModelLen } : {}),
    ...(a
      ? {
          kvOffload: a.kvOffloading === "dram" ? (a.kvOffloadBackend?.name ?? "dram") : "none",
          totalCpuDramGb: a.dramOffloadGb,
        }
      : {}),
  };
}

/** The script variables a preset value may name, for one launch. */
export function scriptVars(f: ScriptFacts): Record<string, number> {
  const vars: Record<string, number> = { CONC: f.conc, TP: f.tp, EP_SIZE: f.ep, ISL: f.isl, OSL: f.osl };
  if (f.maxModelLen !== undefined) vars.MAX_MODEL_LEN = f.maxModelLen;
  if (f.totalCpuDramGb !== undefined) vars.TOTAL_CPU_DRAM_GB = f.totalCpuDramGb;
  return vars;
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

function ruleApplies(when: ScriptWhen | undefined, f: ScriptFacts): boolean {
  if (!when) return true;
  const inList = (v: number | number[] | undefined, x: number) => v === undefined || asList(v)!.includes(x);
  if (!inList(when.isl, f.isl) || !inList(when.osl, f.osl)) return false;
  if (!inList(when.tp, f.tp) || !inList(when.ep, f.ep)) return false;
  if (when.dpAttn !== undefined && when.dpAttn !== f.dpAttn) return false;
  if (when.conc?.min !== undefined && f.conc < when.conc.min) return false;
  if (when.conc?.max !== undefined && f.conc > when.conc.max) return false;
  if (when.kvOffload !== undefined && (f.kvOffload === undefined || !asList(when.kvOffload)!.includes(f.kvOffload)))
    return false;
  return true;
}

/** The env the script exports for the lab's client at `f`: the applicable `client-env` entries, later ones winning. */
export function scriptClientEnv(preset: ScriptPreset, f: ScriptFacts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of preset["client-env"] ?? []) {
    if (!ruleApplies(e.when, f)) continue;
    for (const [k, v] of Object.entries(e.env)) {
      if (v === null) delete out[k];
      else out[k] = String(v);
    }
  }
  return out;
}

/** True when a rule's condition or value depends on the concurrency. */
export function dependsOnConc(preset: ScriptPreset): boolean {
  return preset.rules.some(
    (r) =>
      r.when?.conc !== undefined ||
      JSON.stringify([r.flags ?? {}, r.env ?? {}, r.config ?? {}]).match(/\$\{?CONC\b|\$\(\([^"]*\bCONC\b/) !== null,
  );
}

const VAR = /\$(?:\{([A-Z_]+)\}|([A-Z_]+))/g;

/** `$(( ... ))`: the innermost text may hold one level of parentheses */
const ARITH = /\$\(\(((?:[^()]|\([^()]*\))*)\)\)/g;

/** Evaluates a bash arithmetic expression of integers and script variables (bare or `$`-named). */
export function evalArithmetic(expr: string, vars: Record<string, number>, where: string): number {
  const tokens = expr.match(/\s*(\d+|\$?\{?[A-Z_]+\}?|[-+*/()]|\S)/g)?.map((t) => t.trim()) ?? [];
  let i = 0;
  const fail = (why: string): never => {
    throw new RecipeError(`${where}: $((${expr})): ${why}`);
  };
  const atom = (): number => {
    const t = tokens[i++];
    if (t === undefined) return fail("ends early");
    if (t === "(") {
      const v = sum();
      if (tokens[i++] !== ")") fail("a parenthesis is not closed");
      return v;
    }
    if (t === "-") return -atom();
    if (/^\d+$/.test(t)) return Number(t);
    const name = t.replace(/^\$\{?|\}$/g, "");
    if (!/^[A-Z_]+$/.test(name)) return fail(`unexpected "${t}"`);
    const v = vars[name];
    if (v === undefined) fail(`unknown script variable ${name} (known: ${Object.keys(vars).join(", ")})`);
    return v!;
  };
  const product = (): number => {
    let v = atom();
    while (tokens[i] === "*" || tokens[i] === "/") {
      const op = tokens[i++];
      const r = atom();
      if (op === "/" && r === 0) fail("division by zero");
      v = op === "*" ? v * r : Math.trunc(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === "+" || tokens[i] === "-") v = tokens[i++] === "+" ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (i < tokens.length) fail(`unexpected "${tokens[i]}"`);
  return v;
}

/** `$(seq -s, FIRST STEP LAST)` once its arguments are integers */
const SEQ = /\$\(seq -s ?, ?([^\s()]+) ([^\s()]+) ([^\s()]+)\)/g;

/** `seq -s, first step last`: the integers from first to last by step, comma-separated, as coreutils prints them. */
function seqList(args: string[], where: string): string {
  const [first, step, last] = args.map(Number) as [number, number, number];
  if (!args.every((a) => /^-?\d+$/.test(a)) || step === 0) {
    throw new RecipeError(`${where}: $(seq -s, ${args.join(" ")}): FIRST, STEP and LAST must be integers, STEP not 0`);
  }
  const out: number[] = [];
  for (let v = first; step > 0 ? v <= last : v >= last; v += step) out.push(v);
  return out.join(",");
}

/** `$(sort -n -u LIST)` once LIST is written out: comma-separated, possibly empty items */
const SORT_UNIQUE = /\$\(sort -n -u ([^()]*)\)/g;

/** `sort -n -u` of a comma-separated list of integers, joined by commas as `paste -sd,` joins them. */
function sortUniqueList(list: string, where: string): string {
  const items = list.split(",").filter((x) => x.trim() !== "");
  const bad = items.find((x) => !/^\s*-?\d+\s*$/.test(x));
  if (bad !== undefined) throw new RecipeError(`${where}: $(sort -n -u ${list}): "${bad}" is not an integer`);
  return [...new Set(items.map(Number))].sort((a, b) => a - b).join(",");
}

function substitute(value: string, vars: Record<string, number>, where: string): string | number {
  const out = value
    .replace(ARITH, (_m, expr: string) => String(evalArithmetic(expr, vars, where)))
    .replace(VAR, (_m, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      const v = vars[name];
      if (v === undefined) {
        throw new RecipeError(`${where}: unknown script variable $${name} (known: ${Object.keys(vars).join(", ")})`);
      }
      return String(v);
    })
    .replace(SEQ, (_m, a: string, b: string, c: string) => seqList([a, b, c], where))
    .replace(SORT_UNIQUE, (_m, list: string) => sortUniqueList(list, where));
  return /^-?\d+(\.\d+)?$/.test(out) && out !== value ? Number(out) : out;
}

function fill(v: unknown, vars: Record<string, number>, where: string): unknown {
  if (typeof v === "string") return substitute(v, vars, where);
  if (Array.isArray(v)) return v.map((x) => fill(x, vars, where));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars, where)]));
  return v;
}

/** The preset's applicable rules, in file order, with `$VARS` filled in, as a layer for the worker. */
export function scriptLayer(preset: ScriptPreset, engine: Engine, f: ScriptFacts): Layer {
  if (preset.engine !== engine) {
    throw new RecipeError(`${preset.script}: preset engine ${preset.engine} but the framework runs ${engine}`);
  }
  const vars = scriptVars(f);
  const parts: LayerPart[] = [];
  for (const rule of preset.rules) {
    if (!ruleApplies(rule.when, f)) continue;
    const settings: LayerPart["settings"] = {};
    if (rule.flags) settings.flags = fill(rule.flags, vars, preset.script) as Flags;
    if (rule.env) {
      settings.env = Object.fromEntries(
        Object.entries(rule.env).map(([k, v]) => [k, v === null ? null : String(fill(v, vars, preset.script))]),
      );
    }
    if (rule.config) settings.config = fill(rule.config, vars, preset.script) as Record<string, unknown>;
    parts.push({ roles: ["worker"], settings });
  }
  return { name: `script:${preset.script}`, parts };
}

/** The settings the script gives the worker at `f`, as one comparable string (equal: the same server settings). */
export function scriptSettingsKey(preset: ScriptPreset, engine: Engine, f: ScriptFacts): string {
  return canonicalJson(resolveSettings([scriptLayer(preset, engine, f)], "worker"));
}
