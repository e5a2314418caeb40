/**
 * Export of result rows as the reference lab's aggregated rows (what its `process_result.py`
 * writes as `agg_<name>.json` and `collect_results.py` concatenates into `agg_bmk.json`): identity
 * fields, per-GPU throughputs (single node: ÷ GPUs; disaggregated: total ÷ all GPUs, output ÷
 * decode GPUs, input ÷ prefill GPUs), every `*_ms` latency in seconds under the name without
 * `_ms`, interactivity `*_intvty` = 1000 / TPOT ms, and measured power where the row has it. The
 * lab's plotting and ingestion read these; `results import` reads them back. Pure.
 */
import { type ResultRow, skuFromLabel } from "@benchfleet/shared";

export function labAggRowOf(row: ResultRow): Record<string, unknown> {
  const c = row.config;
  const r = row.result;
  const b = r.bench;
  const hw = skuFromLabel(c.runner) === c.sku ? c.runner : c.sku;
  const out: Record<string, unknown> = {
    hw,
    conc: r.point.concurrency,
    image: c.image,
    model: c.model,
    infmax_model_prefix: c.modelPrefix,
    framework: c.framework,
    precision: c.precision,
    spec_decoding: c.specDecoding,
    disagg: c.disagg,
    isl: c.isl,
    osl: c.osl,
    date: row.date,
  };
  const total = b.total_token_throughput;
  const output = b.output_throughput;
  if (c.prefill && c.decode) {
    const pool = (p: "prefill" | "decode", cfg: NonNullable<typeof c.prefill>) => ({
      [`${p}_tp`]: cfg.tp,
      [`${p}_pp`]: 1,
      [`${p}_ep`]: cfg.ep,
      [`${p}_dp_attention`]: cfg.dpAttn,
      [`${p}_num_workers`]: cfg.numWorker,
    });
    const prefillGpus = r.gpus.prefill || c.prefill.gpus;
    const decodeGpus = r.gpus.decode || c.decode.gpus;
    Object.assign(out, {
      is_multinode: true,
      ...pool("prefill", c.prefill),
      ...pool("decode", c.decode),
      num_prefill_gpu: prefillGpus,
      num_decode_gpu: decodeGpus,
      tput_per_gpu: total / (prefillGpus + decodeGpus),
      output_tput_per_gpu: output / (decodeGpus > 0 ? decodeGpus : prefillGpus + decodeGpus),
      input_tput_per_gpu: (total - output) / prefillGpus,
    });
  } else {
    const gpus = r.gpus.total;
    Object.assign(out, {
      is_multinode: false,
      tp: c.tp ?? gpus,
      pp: c.pp ?? 1,
      ep: c.ep ?? 1,
      dp_attention: String(c.dpAttn ?? false),
      tput_per_gpu: total / gpus,
      output_tput_per_gpu: output / gpus,
      input_tput_per_gpu: (total - output) / gpus,
    });
  }
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== "number" || !k.endsWith("_ms")) continue;
    out[k.slice(0, -3)] = v / 1000;
    if (k.includes("tpot") && v > 0) out[k.slice(0, -3).replace("tpot", "intvty")] = 1000 / v;
  }
  const e = r.energy;
  if (e && (e.avgPowerW !== null || e.totalEnergyJ !== null)) {
    out.avg_power_w = e.avgPowerW;
    out.total_gpu_energy_j = e.totalEnergyJ;
    out.joules_per_output_token = e.joulesPerOutputToken;
    out.joules_per_total_token = e.joulesPerTotalToken;
    out.power_valid = e.complete ? 1 : 0;
  }
  return out;
}

/** rows as one `agg_bmk.json`-style array (successful points only: the lab aggregates no failed run) */
export function rowsToLabAgg(rows: readonly ResultRow[]): string {
  return `${JSON.stringify(rows.filter((r) => r.result.status === "ok").map(labAggRowOf), null, 2)}\n`;
}
