/**
 * How a deployment runs, in the few words an operator tells jobs apart by: its parallelism
 * (`TP4 EP4 DPA MTP`, or the P/D layout `1P(TP4)+2D(TP8 EP8 DPA)`) and its concurrency list
 * (`4,8,16`). Stored on the job record when the job is created, so lists need no deployment. Pure.
 */
import type { Deployment } from "./deployment.js";

type Workers = { numWorker: number; tp?: number; ep?: number; pp?: number; dpAttn?: boolean };
type LayoutInput = Pick<Deployment, "tp" | "ep" | "pp" | "dpAttn" | "specDecoding"> & {
  prefill?: Workers;
  decode?: Workers;
};

function one(p: { tp?: number; ep?: number; pp?: number; dpAttn?: boolean }): string {
  return [
    `TP${p.tp ?? 1}`,
    p.ep && p.ep > 1 ? `EP${p.ep}` : null,
    p.pp && p.pp > 1 ? `PP${p.pp}` : null,
    p.dpAttn ? "DPA" : null,
  ]
    .filter(Boolean)
    .join(" ");
}

/** `TP8 EP8 DPA MTP`; disaggregated: `1P(TP4)+2D(TP8 EP8 DPA) MTP`; aggregated multi-node: its workers. */
export function parallelismOf(d: LayoutInput): string {
  const spec = d.specDecoding === "mtp" ? " MTP" : d.specDecoding === "draft_model" ? " draft" : "";
  const pools = [
    d.prefill && d.prefill.numWorker > 0 ? `${d.prefill.numWorker}P(${one(d.prefill)})` : null,
    d.decode && d.decode.numWorker > 0 ? `${d.decode.numWorker}D(${one(d.decode)})` : null,
  ].filter((x) => x !== null);
  if (pools.length === 2) return `${pools.join("+")}${spec}`;
  if (d.prefill && !d.decode?.numWorker) return `${d.prefill.numWorker}×(${one(d.prefill)})${spec}`;
  return `${one(d)}${spec}`;
}

/** The distinct concurrencies of the points, ascending. */
export function concurrenciesOf(points: ReadonlyArray<{ concurrency: number }>): number[] {
  return [...new Set(points.map((p) => p.concurrency))].sort((a, b) => a - b);
}
