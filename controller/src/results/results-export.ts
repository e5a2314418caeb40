/**
 * Export of result rows: full rows as JSON, one flat CSV line per row (configuration + derived
 * metrics + cost for each TCO rate), and `vllm bench serve`-shaped JSON per point (the bench keys
 * at top level, so existing plotting tools read it; our configuration under `benchfleet`, so
 * `results import` reads it back into the same row).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { groupKeyOf, parallelismLabel, pointMetrics, type RatesCatalog, type ResultRow } from "@benchfleet/shared";

export function rowsToJson(rows: readonly ResultRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}

export const CSV_COLUMNS = [
  "id",
  "sweep_id",
  "date",
  "provenance",
  "emulated",
  "group",
  "config_key",
  "sku",
  "model",
  "precision",
  "framework",
  "image",
  "isl",
  "osl",
  "spec_decoding",
  "disagg",
  "parallelism",
  "gpus",
  "prefill_gpus",
  "decode_gpus",
  "concurrency",
  "status",
  "failure_reason",
  "total_token_throughput",
  "output_throughput",
  "tput_per_gpu",
  "output_tput_per_gpu",
  "input_tput_per_gpu",
  "median_intvty",
  "p90_intvty",
  "median_tpot_ms",
  "p90_tpot_ms",
  "median_ttft_ms",
  "p90_ttft_ms",
  "p99_ttft_ms",
  "median_e2el_ms",
  "p90_e2el_ms",
  "p99_e2el_ms",
  "joules_per_token",
  "provisioned_joules_per_token",
  "tokens_per_s_per_mw",
  "cost_hyperscaler",
  "cost_neocloud",
  "cost_rental",
  "cost_input_hyperscaler",
  "cost_output_hyperscaler",
] as const;

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], lines: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return `${[header.map(csvCell).join(","), ...lines.map((l) => l.map(csvCell).join(","))].join("\n")}\n`;
}

/** One CSV line per row; metrics need the SKU rates (rows of SKUs missing from `catalog` are an error). */
export function rowsToCsv(rows: readonly ResultRow[], catalog: RatesCatalog): string {
  const lines = rows.map((r) => {
    const sku = catalog[r.config.sku];
    if (!sku) throw new Error(`SKU "${r.config.sku}" of row ${r.id} is not in the SKU catalog`);
    const m = pointMetrics(r.result, r.config.disagg, sku);
    const c = r.config;
    const rec: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      id: r.id,
      sweep_id: r.sweepId,
      date: r.date,
      provenance: r.provenance.kind,
      emulated: r.result.emulated,
      group: groupKeyOf(c),
      config_key: c.configKey,
      sku: c.sku,
      model: c.model,
      precision: c.precision,
      framework: c.framework,
      image: c.image,
      isl: c.isl,
      osl: c.osl,
      spec_decoding: c.specDecoding,
      disagg: c.disagg,
      parallelism: parallelismLabel(c),
      gpus: m.gpus.total,
      prefill_gpus: m.gpus.prefill,
      decode_gpus: m.gpus.decode,
      concurrency: m.concurrency,
      status: r.result.status,
      failure_reason: r.result.failureReason,
      total_token_throughput: r.result.bench.total_token_throughput,
      output_throughput: r.result.bench.output_throughput,
      tput_per_gpu: m.tputPerGpu,
      output_tput_per_gpu: m.outputTputPerGpu,
      input_tput_per_gpu: m.inputTputPerGpu,
      median_intvty: m.interactivity,
      p90_intvty: m.p90Interactivity,
      median_tpot_ms: m.tpotMs.median,
      p90_tpot_ms: m.tpotMs.p90,
      median_ttft_ms: m.ttftMs.median,
      p90_ttft_ms: m.ttftMs.p90,
      p99_ttft_ms: m.ttftMs.p99,
      median_e2el_ms: m.e2elMs.median,
      p90_e2el_ms: m.e2elMs.p90,
      p99_e2el_ms: m.e2elMs.p99,
      joules_per_token: m.joulesPerToken,
      provisioned_joules_per_token: m.provisionedJoulesPerToken,
      tokens_per_s_per_mw: m.tokensPerSecPerMw,
      cost_hyperscaler: m.cost.hyperscaler.total,
      cost_neocloud: m.cost.neocloud.total,
      cost_rental: m.cost.rental.total,
      cost_input_hyperscaler: m.cost.hyperscaler.input,
      cost_output_hyperscaler: m.cost.hyperscaler.output,
    };
    return CSV_COLUMNS.map((k) => rec[k]);
  });
  return toCsv(CSV_COLUMNS, lines);
}

/** `vllm bench serve`-shaped JSON of one point, with our row (minus the bench keys) under `benchfleet`. */
export function vllmJsonForRow(row: ResultRow): Record<string, unknown> {
  const { bench, ...resultRest } = row.result;
  return { ...bench, benchfleet: { row: { ...row, result: resultRest } } };
}

/** File name of a point's vllm-shaped JSON: `<configKey>_<sku>_<parallelism>_<isl>x<osl>_c<conc>_<id8>.json`. */
export function vllmFileName(row: ResultRow): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "-");
  const p = row.result.point;
  return `${safe(row.config.configKey)}_${row.config.sku}_${safe(parallelismLabel(row.config))}_${p.isl}x${p.osl}_c${p.concurrency}_${row.id.slice(-8)}.json`;
}

/** Writes one vllm-shaped JSON file per row into `dir`; returns the paths. */
export async function writeVllmFiles(rows: readonly ResultRow[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const r of rows) {
    const p = join(dir, vllmFileName(r));
    await writeFile(p, `${JSON.stringify(vllmJsonForRow(r), null, 2)}\n`);
    out.push(p);
  }
  return out;
}
