/** SKU catalog: the GPU models benchfleet knows, with the facts planning, emulation and cost math need. */
import { z } from "zod";

export const SKU_NAMES = [
  "h100",
  "h200",
  "b200",
  "b300",
  "gb200",
  "gb300",
  "mi300x",
  "mi325x",
  "mi355x",
  "rtx6000pro",
] as const;
export const SkuName = z.enum(SKU_NAMES);
export type SkuName = z.infer<typeof SkuName>;

export const TcoRates = z
  .object({
    /** $/GPU-hour owning as a hyperscaler */
    hyperscaler: z.number().positive(),
    /** $/GPU-hour owning as a neocloud */
    neocloud: z.number().positive(),
    /** $/GPU-hour 3-year rental */
    rental: z.number().positive(),
  })
  .strict();
export type TcoRates = z.infer<typeof TcoRates>;

export const SkuSpec = z
  .object({
    vendor: z.enum(["nvidia", "amd"]),
    gpusPerNode: z.number().int().positive(),
    hbmGB: z.number().positive(),
    hbmTBps: z.number().positive(),
    fp8Tflops: z.number().positive(),
    fp4Tflops: z.number().nonnegative(),
    bf16Tflops: z.number().positive(),
    /** GPUs in one scale-up (NVLink / Infinity Fabric) domain */
    scaleUpDomain: z.number().int().positive(),
    /** scale-up bandwidth per GPU, GB/s (one direction) */
    scaleUpGBps: z.number().positive(),
    tdpW: z.number().positive(),
    /** all-in provisioned power per GPU, kW (facility share included) */
    allInPowerKw: z.number().positive(),
    tco: TcoRates,
    /** product-name fragments that identify this SKU in nvidia-smi / amd-smi output (lower case) */
    productNames: z.array(z.string()).default([]),
  })
  .strict();
export type SkuSpec = z.infer<typeof SkuSpec>;

export const SkuCatalog = z.record(SkuName, SkuSpec);
export type SkuCatalog = Record<SkuName, SkuSpec>;

/**
 * Infers the SKU of a runner label when no runners.yaml says otherwise:
 * `h100`, `b200-multinode`, `mi355x-disagg`, `cluster:b300-nv`, `gb200-nv_0` → the SKU.
 * Longer names first so `gb200` is not read as `b200` and `mi355x` not as something shorter.
 */
export function skuFromLabel(label: string): SkuName | undefined {
  const l = label.toLowerCase().replace(/^cluster:/, "");
  const byLength = [...SKU_NAMES].sort((a, b) => b.length - a.length);
  for (const sku of byLength) {
    const re = new RegExp(`(^|[^a-z0-9])${sku}($|[^a-z0-9])`);
    if (re.test(l) || l.startsWith(sku)) return sku;
  }
  return undefined;
}
