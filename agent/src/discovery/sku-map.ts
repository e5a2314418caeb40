/**
 * Maps GPU product names (nvidia-smi `name`, amd-smi `market_name`, rocm-smi `Card Series`) to SKU
 * labels. Pure. Ordered so `gb300|gb200` are tested before `b300|b200` and `mi355x` before the
 * shorter `mi35*` family; memory size and gfx version break ties. An unrecognised GPU maps to
 * `unknown` with a reason, never to a guess.
 */
import type { SkuName } from "@benchfleet/shared";

export interface SkuMatch {
  sku: SkuName | "unknown";
  /** how it was decided, or why it could not be */
  reason: string;
}

interface Rule {
  sku: SkuName;
  re: RegExp;
  /** nominal HBM per GPU in GB (1e9 bytes), for the plausibility check */
  hbmGB: number;
}

// Order matters: the longer / more specific names first.
const RULES: Rule[] = [
  { sku: "gb300", re: /\bgb300\b/, hbmGB: 279 },
  { sku: "gb200", re: /\bgb200\b/, hbmGB: 186 },
  { sku: "b300", re: /\bb300\b/, hbmGB: 270 },
  { sku: "b200", re: /\bb200\b/, hbmGB: 180 },
  { sku: "h200", re: /\bh200\b/, hbmGB: 141 },
  { sku: "h100", re: /\bh100\b/, hbmGB: 80 },
  { sku: "rtx6000pro", re: /\brtx pro 6000\b|\brtx6000 ?pro\b/, hbmGB: 96 },
  { sku: "mi355x", re: /\bmi355x\b/, hbmGB: 288 },
  { sku: "mi325x", re: /\bmi325x\b/, hbmGB: 256 },
  { sku: "mi300x", re: /\bmi300x\b/, hbmGB: 192 },
];

/** gfx targets → candidate SKUs (several share one gfx: memory decides) */
const GFX: Record<string, SkuName[]> = {
  gfx942: ["mi300x", "mi325x"],
  gfx950: ["mi355x"],
};

const MIB_PER_GB = 1e9 / 1048576;

function gbOf(memoryMiB: number): number {
  return memoryMiB / MIB_PER_GB;
}

function hbmOf(sku: SkuName): number {
  return RULES.find((r) => r.sku === sku)?.hbmGB ?? 0;
}

/** memory within [-15%, +20%] of nominal (nvidia-smi reports a little less than the datasheet; H100 NVL has 94 GB) */
function memoryFits(sku: SkuName, memoryMiB: number): boolean {
  const gb = gbOf(memoryMiB);
  const nominal = hbmOf(sku);
  return gb >= nominal * 0.85 && gb <= nominal * 1.2;
}

export function skuFromProduct(name: string, memoryMiB?: number, gfxVersion?: string): SkuMatch {
  const n = name.toLowerCase().replace(/[_]+/g, " ").replace(/\s+/g, " ").trim();
  const matches = RULES.filter((r) => r.re.test(n));
  if (matches.length > 1 && memoryMiB) {
    const fit = matches.filter((r) => memoryFits(r.sku, memoryMiB));
    if (fit.length === 1)
      return {
        sku: fit[0].sku,
        reason: `name "${name}" is ambiguous; ${Math.round(gbOf(memoryMiB))} GB decides ${fit[0].sku}`,
      };
  }
  if (matches.length >= 1) {
    const rule = matches[0];
    if (memoryMiB && !memoryFits(rule.sku, memoryMiB)) {
      return {
        sku: "unknown",
        reason: `name "${name}" reads as ${rule.sku} but ${memoryMiB} MiB (${Math.round(gbOf(memoryMiB))} GB) does not fit its ${rule.hbmGB} GB`,
      };
    }
    return { sku: rule.sku, reason: `name "${name}"` };
  }
  // No name match: a generic AMD name ("AMD Instinct MI300X VF" is matched above; "AMD Radeon Graphics" is not) with gfx
  const gfx = gfxVersion?.toLowerCase();
  if (gfx && GFX[gfx]) {
    const cands = GFX[gfx];
    if (cands.length === 1 && (!memoryMiB || memoryFits(cands[0], memoryMiB)))
      return { sku: cands[0], reason: `${gfx}` };
    if (memoryMiB) {
      const fit = cands.filter((s) => memoryFits(s, memoryMiB));
      if (fit.length === 1) return { sku: fit[0], reason: `${gfx} with ${Math.round(gbOf(memoryMiB))} GB` };
    }
    return {
      sku: "unknown",
      reason: `${gfx} could be ${cands.join(" or ")}; memory ${memoryMiB ?? "unknown"} MiB does not decide`,
    };
  }
  return { sku: "unknown", reason: `unrecognised GPU "${name}"${memoryMiB ? ` (${memoryMiB} MiB)` : ""}` };
}

/** The SKU of a node: every GPU must map to the same SKU, else unknown with the reason. */
export function skuOfNode(gpus: Array<{ name: string; memoryMiB: number; gfxVersion?: string }>): SkuMatch {
  if (gpus.length === 0) return { sku: "unknown", reason: "no GPUs found" };
  const each = gpus.map((g) => skuFromProduct(g.name, g.memoryMiB || undefined, g.gfxVersion));
  const unknown = each.find((m) => m.sku === "unknown");
  if (unknown) return unknown;
  const skus = [...new Set(each.map((m) => m.sku))];
  if (skus.length > 1) return { sku: "unknown", reason: `mixed GPU models on one node: ${skus.join(", ")}` };
  return { sku: skus[0], reason: `${gpus.length} × ${each[0].reason}` };
}

/** What an emulated node of this SKU reports: a product name and nominal memory (MiB). */
export function emulatedProduct(sku: SkuName): { name: string; memoryMiB: number } {
  const gb = hbmOf(sku) || 80;
  const name = sku.startsWith("mi")
    ? `AMD Instinct ${sku.toUpperCase()}`
    : sku === "rtx6000pro"
      ? "NVIDIA RTX PRO 6000 Blackwell Server Edition"
      : `NVIDIA ${sku.toUpperCase()}`;
  return { name, memoryMiB: Math.round(gb * MIB_PER_GB) };
}
