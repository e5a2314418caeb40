/**
 * Model-family recipe presets (`configs/recipes/<model-prefix>.yaml`): data, not code. A preset is
 * a list of rules; each rule names the engines it applies to, an optional `when` (vendor, role, SKU,
 * precision, dp-attention, expert parallelism, spec decoding, disagg) and the flags / env / TensorRT-LLM
 * options it sets. Rules apply in file order. Parsing is pure (text in); reading files is preset-loader.ts.
 */
import { loadYaml } from "@benchfleet/shared";
import { z } from "zod";
import type { Layer, LayerPart, Role } from "./layering.js";

export const ENGINES = ["sglang", "vllm", "trt", "atom", "custom"] as const;
export type Engine = (typeof ENGINES)[number];
const EngineName = z.enum(ENGINES);
const RoleName = z.enum(["prefill", "decode", "worker", "router", "frontend"]);
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t)]);

export const PresetWhen = z
  .object({
    vendor: z.enum(["nvidia", "amd"]).optional(),
    role: oneOrMany(RoleName).optional(),
    sku: oneOrMany(z.string()).optional(),
    precision: oneOrMany(z.string()).optional(),
    framework: oneOrMany(z.string()).optional(),
    dpAttn: z.boolean().optional(),
    /** ep > 1 */
    expertParallel: z.boolean().optional(),
    spec: z.enum(["mtp", "draft_model", "none"]).optional(),
    disagg: z.boolean().optional(),
    /** kv-p2p-transfer of the entry */
    kvTransfer: oneOrMany(z.string()).optional(),
  })
  .strict();
export type PresetWhen = z.infer<typeof PresetWhen>;

export const PresetRule = z
  .object({
    engine: oneOrMany(EngineName),
    when: PresetWhen.optional(),
    /** why: shown with the plan and in reviews */
    note: z.string().optional(),
    flags: z.record(z.string(), Scalar).optional(),
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "environment variable names are UPPER_CASE"), Scalar)
      .optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type PresetRule = z.infer<typeof PresetRule>;

export const RecipePreset = z
  .object({
    family: z.string().min(1),
    description: z.string().optional(),
    /** a mixture-of-experts family: expert parallelism flags apply */
    moe: z.boolean(),
    /** MTP draft steps when spec-decoding is mtp (engine defaults otherwise) */
    "mtp-steps": z.number().int().positive().optional(),
    rules: z.array(PresetRule),
  })
  .strict();
export type RecipePreset = z.infer<typeof RecipePreset>;

/** Parses preset YAML text; errors are ConfigErrors located at file:line:col. */
export function parsePreset(text: string, file: string): RecipePreset {
  return loadYaml(text, file, RecipePreset).value;
}

/** Facts of a deployment a rule's `when` is matched against (the role is matched per part). */
export interface PresetFacts {
  vendor: "nvidia" | "amd";
  sku: string;
  precision: string;
  framework: string;
  /** per role (pools may differ) */
  dpAttn: Partial<Record<Role, boolean>>;
  expertParallel: Partial<Record<Role, boolean>>;
  spec: "mtp" | "draft_model" | "none";
  disagg: boolean;
  kvTransfer?: string;
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

const ALL_ROLES: Role[] = ["prefill", "decode", "worker", "router", "frontend"];

/** The preset's rules for `engine` as a layer; role-dependent conditions become per-role parts. */
export function presetLayer(preset: RecipePreset | undefined, engine: Engine, facts: PresetFacts): Layer {
  const parts: LayerPart[] = [];
  for (const rule of preset?.rules ?? []) {
    if (!asList(rule.engine)!.includes(engine)) continue;
    const w = rule.when ?? {};
    if (w.vendor && w.vendor !== facts.vendor) continue;
    if (w.sku && !asList(w.sku)!.includes(facts.sku)) continue;
    if (w.precision && !asList(w.precision)!.includes(facts.precision)) continue;
    if (w.framework && !asList(w.framework)!.includes(facts.framework)) continue;
    if (w.spec && w.spec !== facts.spec) continue;
    if (w.disagg !== undefined && w.disagg !== facts.disagg) continue;
    if (w.kvTransfer && (!facts.kvTransfer || !asList(w.kvTransfer)!.includes(facts.kvTransfer))) continue;
    const explicitRoles = asList(w.role);
    const candidates = explicitRoles ?? (["prefill", "decode", "worker"] as Role[]);
    const roles = candidates.filter(
      (r) =>
        (w.dpAttn === undefined || (facts.dpAttn[r] ?? false) === w.dpAttn) &&
        (w.expertParallel === undefined || (facts.expertParallel[r] ?? false) === w.expertParallel),
    );
    if (!roles.length) continue;
    const settings = {
      ...(rule.flags ? { flags: rule.flags } : {}),
      ...(rule.env
        ? { env: Object.fromEntries(Object.entries(rule.env).map(([k, v]) => [k, v === null ? null : String(v)])) }
        : {}),
      ...(rule.config ? { config: rule.config } : {}),
    };
    parts.push(
      explicitRoles || w.dpAttn !== undefined || w.expertParallel !== undefined
        ? { roles: roles.filter((r) => ALL_ROLES.includes(r)), settings }
        : { settings },
    );
  }
  return { name: `preset:${preset?.family ?? "none"}`, parts };
}
