/**
 * Energy of a deployment over several nodes: the sum of each node's summary (each covers that node's
 * GPUs of the deployment). Complete only when every expected node reported a complete figure; a node
 * without a figure leaves the total unknown. Pure.
 */
import type { EnergySummary, NodeEnergy, PointResult } from "./results.js";

/** an energy summary without a figure, saying why */
export function noEnergy(gpus: number, note: string): EnergySummary {
  return {
    complete: false,
    gpus,
    avgPowerW: null,
    totalEnergyJ: null,
    joulesPerOutputToken: null,
    joulesPerTotalToken: null,
    note,
  };
}

export function combineNodeEnergy(
  parts: NodeEnergy[],
  o: { windowMs: number; outputTokens: number; totalTokens: number; expectedNodes: number },
): EnergySummary {
  const gpus = parts.reduce((a, p) => a + p.energy.gpus, 0);
  const notes = parts.filter((p) => p.energy.note).map((p) => `${p.node}: ${p.energy.note}`);
  const missing = o.expectedNodes - parts.length;
  if (missing > 0) notes.push(`${missing} of ${o.expectedNodes} nodes not reported yet`);
  const nodes = parts.map((p) => ({ node: p.node, energy: p.energy }));
  if (parts.length === 0 || parts.some((p) => p.energy.totalEnergyJ === null) || o.windowMs <= 0)
    return {
      ...noEnergy(gpus, notes.join("; ") || "no power samples"),
      ...(parts.some((p) => p.energy.emulated) ? { emulated: true } : {}),
      nodes,
    };
  const total = parts.reduce((a, p) => a + (p.energy.totalEnergyJ as number), 0);
  // power adds up across nodes over the same window; each node's own figure also holds where its
  // energy is on another clock than the window (emulated nodes: energy on the engines' clock)
  const powers = parts.map((p) => p.energy.avgPowerW);
  const out: EnergySummary = {
    complete: missing <= 0 && parts.every((p) => p.energy.complete),
    gpus,
    avgPowerW: powers.every((w) => w !== null)
      ? powers.reduce((a: number, w) => a + (w as number), 0)
      : total / (o.windowMs / 1000),
    totalEnergyJ: total,
    joulesPerOutputToken: o.outputTokens > 0 ? total / o.outputTokens : null,
    joulesPerTotalToken: o.totalTokens > 0 ? total / o.totalTokens : null,
  };
  if (notes.length) out.note = notes.join("; ");
  if (parts.some((p) => p.energy.emulated)) out.emulated = true;
  out.nodes = nodes;
  return out;
}

/** a node's part replaced (or added) in a combined summary; the others kept */
export function withNodeEnergy(
  current: EnergySummary | undefined,
  part: NodeEnergy,
  o: { windowMs: number; outputTokens: number; totalTokens: number; expectedNodes: number },
): EnergySummary {
  const parts = (current?.nodes ?? []).filter((p) => p.node !== part.node);
  return combineNodeEnergy([...parts, part], o);
}

/** a load point's measured window (epoch ms) and token counts, as its energy is figured over them */
export function pointWindow(r: PointResult): {
  startMs: number;
  endMs: number;
  outputTokens: number;
  totalTokens: number;
} {
  const b = r.bench;
  return {
    startMs: b.benchmark_start_time_unix !== undefined ? b.benchmark_start_time_unix * 1000 : Date.parse(r.startedAt),
    endMs: b.benchmark_end_time_unix !== undefined ? b.benchmark_end_time_unix * 1000 : Date.parse(r.finishedAt),
    outputTokens: b.total_output_tokens,
    totalTokens: b.total_input_tokens + b.total_output_tokens,
  };
}
