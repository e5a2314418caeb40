/**
 * How result rows are grouped for frontiers (model, precision, ISL/OSL, SKU, framework, spec
 * decoding, disagg), how two rows are recognised as the same configuration across sweeps, and how
 * a configuration's parallelism is written for people.
 */
import type { ResultConfig } from "./result-row.js";

export interface GroupKey {
  model: string;
  precision: string;
  isl: number;
  osl: number;
  sku: string;
  framework: string;
  specDecoding: string;
  disagg: boolean;
}

export function groupOf(c: ResultConfig): GroupKey {
  return {
    model: c.modelPrefix || c.model,
    precision: c.precision,
    isl: c.isl,
    osl: c.osl,
    sku: c.sku,
    framework: c.framework,
    specDecoding: c.specDecoding,
    disagg: c.disagg,
  };
}

const seqLen = (n: number) => (n % 1024 === 0 ? `${n / 1024}k` : String(n));

/** Stable, human-readable key: `dsr1 fp8 1k/1k h100 sglang` (+ ` mtp`, ` disagg`). */
export function groupKeyString(g: GroupKey): string {
  const parts = [g.model, g.precision, `${seqLen(g.isl)}/${seqLen(g.osl)}`, g.sku, g.framework];
  if (g.specDecoding && g.specDecoding !== "none") parts.push(g.specDecoding);
  if (g.disagg) parts.push("disagg");
  return parts.join(" ");
}

export function groupKeyOf(c: ResultConfig): string {
  return groupKeyString(groupOf(c));
}

/** Parallelism in words: `TP8 EP8 DPA`, or for disagg `1P(TP4 EP4)+2D(TP8 EP8 DPA)`. */
export function parallelismLabel(c: ResultConfig): string {
  const one = (tp?: number, ep?: number, dpAttn?: boolean, pp?: number) =>
    [`TP${tp ?? 1}`, ep && ep > 1 ? `EP${ep}` : null, pp && pp > 1 ? `PP${pp}` : null, dpAttn ? "DPA" : null]
      .filter(Boolean)
      .join(" ");
  if (c.prefill && c.decode)
    return `${c.prefill.numWorker}P(${one(c.prefill.tp, c.prefill.ep, c.prefill.dpAttn)})+${c.decode.numWorker}D(${one(c.decode.tp, c.decode.ep, c.decode.dpAttn)})`;
  return one(c.tp, c.ep, c.dpAttn, c.pp);
}

/**
 * The configuration without what changes from run to run (image, fingerprint, config key,
 * runner label): two rows with the same identity and concurrency measure the same thing, so
 * sweeps with different engine images can be compared point by point.
 */
export function configIdentity(c: ResultConfig): string {
  return JSON.stringify([
    groupKeyOf(c),
    c.multinode,
    c.tp ?? null,
    c.ep ?? null,
    c.pp ?? null,
    c.dpAttn ?? null,
    c.prefill ? [c.prefill.numWorker, c.prefill.tp, c.prefill.ep, c.prefill.dpAttn, c.prefill.gpus] : null,
    c.decode ? [c.decode.numWorker, c.decode.tp, c.decode.ep, c.decode.dpAttn, c.decode.gpus] : null,
    c.gpus,
  ]);
}
