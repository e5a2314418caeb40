/**
 * One stored result row as analytics reads it: a measured (or imported) load point together with
 * the configuration that produced it. The results DB maps its rows to this shape; the importer
 * produces it from `vllm bench serve` JSON and the reference lab's `agg_*.json` rows.
 */
import { z } from "zod";
import type { Deployment } from "../deployment.js";
import { EvalResult, PointResult } from "../results.js";
import { SkuName } from "../skus.js";

/** Parallelism of one disaggregated pool, as far as analytics needs it. */
export const PoolConfig = z
  .object({
    numWorker: z.number().int().positive(),
    tp: z.number().int().positive(),
    ep: z.number().int().positive(),
    dpAttn: z.boolean(),
    gpus: z.number().int().positive(),
  })
  .strict();
export type PoolConfig = z.infer<typeof PoolConfig>;

/** The configuration behind a row: what identifies its group and what a frontier point shows. */
export const ResultConfig = z
  .object({
    /** deployment fingerprint (imported rows: a hash of the identity fields) */
    fingerprint: z.string().min(1),
    configKey: z.string(),
    sku: SkuName,
    runner: z.string(),
    model: z.string(),
    modelPrefix: z.string(),
    precision: z.string(),
    framework: z.string(),
    image: z.string(),
    isl: z.number().int().positive(),
    osl: z.number().int().positive(),
    specDecoding: z.string(),
    multinode: z.boolean(),
    disagg: z.boolean(),
    /** single-node parallelism */
    tp: z.number().int().positive().optional(),
    ep: z.number().int().positive().optional(),
    pp: z.number().int().positive().optional(),
    dpAttn: z.boolean().optional(),
    /** multi-node pools */
    prefill: PoolConfig.optional(),
    decode: PoolConfig.optional(),
    nodes: z.number().int().positive().optional(),
    gpus: z.number().int().positive(),
  })
  .strict();
export type ResultConfig = z.infer<typeof ResultConfig>;

export const Provenance = z
  .object({
    kind: z.enum(["measured", "imported"]),
    /** imported: the source file name and the format it was read as */
    source: z.string().optional(),
    format: z.enum(["vllm-bench", "inferencex-agg", "benchfleet"]).optional(),
    /** result keys the source did not have (filled with 0 in `bench`, never used by the math) */
    missing: z.array(z.string()).optional(),
    attemptId: z.string().optional(),
    /** measured rows: the job that measured the point */
    jobId: z.string().optional(),
    /** engine version the agent reported for the attempt */
    engineVersion: z.string().optional(),
  })
  .strict();
export type Provenance = z.infer<typeof Provenance>;

export const ResultRow = z
  .object({
    /** unique and stable: re-importing or re-inserting the same row yields the same id */
    id: z.string().min(1),
    sweepId: z.string(),
    /** ISO timestamp of the measurement (sweep date for imports without one) */
    date: z.string(),
    provenance: Provenance,
    config: ResultConfig,
    result: PointResult,
    /** the deployment's accuracy eval, when it ran */
    eval: EvalResult.optional(),
  })
  .strict();
export type ResultRow = z.infer<typeof ResultRow>;

/** The analytics view of a planned deployment. */
export function resultConfigFromDeployment(d: Deployment): ResultConfig {
  const pool = (p: NonNullable<Deployment["prefill"]>): PoolConfig => ({
    numWorker: p.numWorker,
    tp: p.tp,
    ep: p.ep,
    dpAttn: p.dpAttn,
    gpus: p.gpus,
  });
  return {
    fingerprint: d.fingerprint,
    configKey: d.configKey,
    sku: d.sku,
    runner: d.runner,
    model: d.model,
    modelPrefix: d.modelPrefix,
    precision: d.precision,
    framework: d.framework,
    image: d.image,
    isl: d.isl,
    osl: d.osl,
    specDecoding: d.specDecoding,
    multinode: d.multinode,
    disagg: d.disagg,
    ...(d.tp !== undefined ? { tp: d.tp } : {}),
    ...(d.ep !== undefined ? { ep: d.ep } : {}),
    ...(d.pp !== undefined ? { pp: d.pp } : {}),
    ...(d.dpAttn !== undefined ? { dpAttn: d.dpAttn } : {}),
    ...(d.prefill ? { prefill: pool(d.prefill) } : {}),
    ...(d.decode ? { decode: pool(d.decode) } : {}),
    nodes: d.nodes,
    gpus: d.gpus,
  };
}
