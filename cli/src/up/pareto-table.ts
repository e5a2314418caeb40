/**
 * The Pareto table `benchfleet up` prints at the end: per group (SKU, framework, …) the frontier
 * points of throughput/GPU against interactivity, with cost per million tokens and energy per token
 * (∫ GPU power ÷ input + output tokens; for emulated results, from the emulated GPU power model). Pure.
 */
import { EnergySummary, type GroupKey, type SkuCatalog, type SkuName } from "@benchfleet/shared";
import { renderTable } from "../table.js";

export interface FrontierGroupView {
  key: string;
  group: GroupKey;
  points: Array<{
    x: number;
    y: number;
    concurrency: number;
    parallelism: string;
    gpus: number;
    /** J per input + output token (null: no power samples) */
    joulesPerToken?: number | null;
  }>;
}

export function costPerMillion(tputPerGpu: number, dollarsPerGpuHour: number): number {
  return dollarsPerGpuHour / ((tputPerGpu * 3600) / 1e6);
}

/** energy per token with three significant digits (0.0123, 0.456, 12.3) */
export function fmtJoules(j: number): string {
  return j >= 100 ? j.toFixed(0) : j.toPrecision(3);
}

export function renderParetoTables(groups: FrontierGroupView[], catalog: SkuCatalog): string {
  if (!groups.length) return "no results to draw a frontier from\n";
  const sorted = [...groups].sort((a, b) => a.group.sku.localeCompare(b.group.sku) || a.key.localeCompare(b.key));
  let out = "";
  for (const g of sorted) {
    const gr = g.group;
    const rate = gr.sku in catalog ? catalog[gr.sku as SkuName].tco.hyperscaler : undefined;
    out += `\n${gr.sku} · ${gr.framework} · ${gr.model} ${gr.precision} · ISL/OSL ${gr.isl}/${gr.osl}${gr.specDecoding !== "none" ? ` · ${gr.specDecoding}` : ""}${gr.disagg ? " · disagg" : ""}\n`;
    out += renderTable(
      [...g.points]
        .sort((a, b) => a.x - b.x)
        .map((p) => ({
          "tok/s/user": p.x.toFixed(1),
          "tok/s/GPU": p.y.toFixed(1),
          "$/M tok": rate && p.y > 0 ? costPerMillion(p.y, rate).toFixed(3) : "",
          "J/tok": p.joulesPerToken != null ? fmtJoules(p.joulesPerToken) : "",
          conc: String(p.concurrency),
          parallelism: p.parallelism,
          gpus: String(p.gpus),
        })),
    );
  }
  return out;
}

/** a stored point's energy figures for up's JSON summary (nulls when the point has none) */
export function pointEnergy(result: unknown): {
  joulesPerToken: number | null;
  joulesPerOutputToken: number | null;
  avgPowerW: number | null;
  energyGpus: number | null;
  energyEmulated: boolean;
} {
  const parsed = EnergySummary.safeParse((result as { energy?: unknown } | null | undefined)?.energy);
  const e = parsed.success ? parsed.data : undefined;
  return {
    joulesPerToken: e?.joulesPerTotalToken ?? null,
    joulesPerOutputToken: e?.joulesPerOutputToken ?? null,
    avgPowerW: e?.avgPowerW ?? null,
    energyGpus: e ? e.gpus : null,
    energyEmulated: e?.emulated === true,
  };
}
