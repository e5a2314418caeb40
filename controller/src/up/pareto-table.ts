/**
 * The Pareto table `benchfleet up` prints at the end: per group (SKU, framework, …) the frontier
 * points of throughput/GPU against interactivity, with cost per million tokens. Pure.
 */
import type { GroupKey, SkuCatalog, SkuName } from "@benchfleet/shared";
import { renderTable } from "../cli/table.js";

export interface FrontierGroupView {
  key: string;
  group: GroupKey;
  points: Array<{ x: number; y: number; concurrency: number; parallelism: string; gpus: number }>;
}

export function costPerMillion(tputPerGpu: number, dollarsPerGpuHour: number): number {
  return dollarsPerGpuHour / ((tputPerGpu * 3600) / 1e6);
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
          conc: String(p.concurrency),
          parallelism: p.parallelism,
          gpus: String(p.gpus),
        })),
    );
  }
  return out;
}
