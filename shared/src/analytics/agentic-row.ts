/**
 * An agentic point as the agentic frontier reads it: what sets its group apart and what a point
 * shows, taken from the deployment of a measured point or from an imported file of the reference
 * lab (`ImportedAgenticRow`, kept apart from the fixed-sequence-length result rows, which need an
 * ISL/OSL).
 */
import { z } from "zod";
import type { Deployment } from "../deployment.js";
import { PointResult } from "../results.js";
import { SkuName } from "../skus.js";

export const AgenticConfig = z
  .object({
    configKey: z.string(),
    sku: SkuName,
    runner: z.string(),
    model: z.string(),
    modelPrefix: z.string(),
    precision: z.string(),
    framework: z.string(),
    image: z.string(),
    specDecoding: z.string(),
    kvOffloading: z.string(),
    kvOffloadBackend: z
      .object({ name: z.string().min(1), version: z.string().min(1).optional() })
      .strict()
      .nullable(),
    /** host DRAM for offloaded KV, GB */
    dramOffloadGb: z.number().nonnegative(),
  })
  .strict();
export type AgenticConfig = z.infer<typeof AgenticConfig>;

/** An agentic point read from another tool's result file (`results import`). */
export const ImportedAgenticRow = z
  .object({
    /** derived from the file's content: importing it again yields the same id */
    id: z.string().min(1),
    sweepId: z.string(),
    date: z.string(),
    /** the file it was read from and the format */
    source: z.string(),
    format: z.literal("inferencex-agentic"),
    /** fields of the point the source does not have (0 in the result, never shown as measured) */
    missing: z.array(z.string()),
    config: AgenticConfig,
    result: PointResult,
  })
  .strict();
export type ImportedAgenticRow = z.infer<typeof ImportedAgenticRow>;

export function agenticConfigOf(d: Deployment): AgenticConfig {
  return {
    configKey: d.configKey,
    sku: d.sku,
    runner: d.runner,
    model: d.model,
    modelPrefix: d.modelPrefix,
    precision: d.precision,
    framework: d.framework,
    image: d.image,
    specDecoding: d.specDecoding,
    kvOffloading: d.agentic?.kvOffloading ?? "none",
    kvOffloadBackend: d.agentic?.kvOffloadBackend ?? null,
    dramOffloadGb: d.agentic?.dramOffloadGb ?? 0,
  };
}
