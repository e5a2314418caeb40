/**
 * Model specs of the emulated engine (configs/models.yaml) and loaders for them and the SKU
 * catalog (configs/skus.yaml). Lookup accepts a model key (the master config's model-prefix)
 * or any HF model name containing one of the model's aliases.
 */

import { readFileSync } from "node:fs";
import { ConfigError, loadYaml, SkuCatalog, SkuName, type SkuSpec } from "@benchfleet/shared";
import { z } from "zod";
import { configsDir as repoConfigsDir } from "../configs-dir.js";

export const Precision = z.enum(["fp4", "fp8", "bf16"]);
export type Precision = z.infer<typeof Precision>;

export const ModelSpec = z
  .object({
    name: z.string().min(1),
    aliases: z.array(z.string()).default([]),
    paramsB: z.number().positive(),
    activeParamsB: z.number().positive(),
    denseParamsB: z.number().positive(),
    expertParamsB: z.number().nonnegative(),
    experts: z.number().int().nonnegative(),
    activeExperts: z.number().int().nonnegative(),
    layers: z.number().int().positive(),
    moeLayers: z.number().int().nonnegative(),
    hidden: z.number().int().positive(),
    attention: z.enum(["mha", "gqa", "mla"]),
    kvShardable: z.boolean(),
    kvHeads: z.number().int().positive(),
    attnFlopsPerTokenPerCtx: z.number().positive(),
    maxModelLen: z.number().int().positive(),
    kvBytesPerToken: z
      .object({ fp4: z.number().positive(), fp8: z.number().positive(), bf16: z.number().positive() })
      .strict(),
    mtp: z
      .object({
        draftTokens: z.number().int().positive(),
        acceptance: z.array(z.number().min(0).max(1)).min(1),
      })
      .strict()
      .refine((m) => m.acceptance.length === m.draftTokens, {
        message: "mtp.acceptance needs one rate per draft token",
      })
      .optional(),
  })
  .strict()
  .refine((m) => m.expertParamsB > 0 === (m.experts > 0 && m.activeExperts > 0), {
    message: "a MoE model needs expertParamsB, experts and activeExperts; a dense model none of them",
  });
export type ModelSpec = z.infer<typeof ModelSpec>;

export const ModelCatalog = z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), ModelSpec);
export type ModelCatalog = Record<string, ModelSpec>;

/** The repository's configs/ directory (models.yaml, skus.yaml, datasets/). */
export function configsDir(): string {
  return `${repoConfigsDir()}/`;
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ file, line: 1, col: 1, path: "", message: `cannot read: ${(err as Error).message}` }]);
  }
}

export function loadModelCatalog(file = `${configsDir()}models.yaml`): ModelCatalog {
  return loadYaml(readConfig(file), file, ModelCatalog).value;
}

export function loadSkuCatalog(file = `${configsDir()}skus.yaml`): SkuCatalog {
  return loadYaml(readConfig(file), file, SkuCatalog).value as SkuCatalog;
}

/** Finds a model by key, or by an alias contained in an HF name (`nvidia/DeepSeek-R1-0528-FP4` → dsr1). */
export function findModel(catalog: ModelCatalog, name: string): { key: string; spec: ModelSpec } {
  const n = name.toLowerCase();
  if (catalog[n]) return { key: n, spec: catalog[n] };
  for (const [key, spec] of Object.entries(catalog)) {
    if (spec.name.toLowerCase() === n || spec.aliases.some((a) => n.includes(a.toLowerCase()))) return { key, spec };
  }
  throw new EmulatorConfigError(
    `unknown model "${name}": expected one of ${Object.keys(catalog).join(", ")} (configs/models.yaml)`,
  );
}

export function findSku(catalog: SkuCatalog, name: string): { key: SkuName; spec: SkuSpec } {
  const parsed = SkuName.safeParse(name.toLowerCase());
  const spec = parsed.success ? catalog[parsed.data] : undefined;
  if (!parsed.success || !spec) {
    throw new EmulatorConfigError(
      `unknown SKU "${name}": expected one of ${Object.keys(catalog).join(", ")} (configs/skus.yaml)`,
    );
  }
  return { key: parsed.data, spec };
}

/** Maps the precision labels of master configs onto the three the model knows. */
export function parsePrecision(p: string): Precision {
  const l = p.toLowerCase();
  if (l === "fp4" || l === "mxfp4" || l === "nvfp4") return "fp4";
  if (l === "fp8" || l === "mxfp8") return "fp8";
  if (l === "bf16" || l === "fp16") return "bf16";
  throw new EmulatorConfigError(`unknown precision "${p}": expected fp4, fp8 or bf16`);
}

/** A configuration the emulator cannot run (unknown names, model does not fit, bad flags). */
export class EmulatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmulatorConfigError";
  }
}
