/**
 * The reference lab's agentic result files (the JSON its `utils/agentic/aggregation/
 * process_agentic_result.py` writes from an AIPerf replay: `scenario_type: "agentic-coding"`,
 * `request_metrics` with latency stats in seconds as mean/p50/p75/p90/p95/std, throughput and
 * per-GPU throughput, `server_metrics` with the engine's cache hit rates, `request_accounting`)
 * read as agentic points (the point: lab-agentic-result.ts in shared). What the file does not carry
 * (p99 latencies, trajectories completed, the gap cap, warm-up details) is named in the row's `missing`.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import {
  type AgenticConfig,
  canonicalJson,
  ImportedAgenticRow,
  isLabAgenticResult,
  LabAgenticResultError,
  labAgenticPoint,
  labStrAt,
  type PointResult,
  skuFromLabel,
} from "@benchfleet/shared";
import { type ImportContext, ImportError } from "./import-context.js";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export { isLabAgenticResult };

/** One lab agentic result file → an imported agentic point. */
export function agenticRowFromLab(
  a: Json,
  where: string,
  ctx: ImportContext,
  fallbackDate: string,
): ImportedAgenticRow {
  const date =
    typeof a.date === "string" && !Number.isNaN(Date.parse(a.date))
      ? new Date(a.date).toISOString()
      : (ctx.date ?? fallbackDate);
  let hw: string;
  let precision: string;
  let result: PointResult;
  try {
    hw = labStrAt(a, "hw", where);
    result = labAgenticPoint(a, where, date);
    precision = labStrAt(a, "precision", where);
  } catch (e) {
    if (e instanceof LabAgenticResultError) throw new ImportError(e.message);
    throw e;
  }
  const sku = skuFromLabel(hw);
  if (!sku) throw new ImportError(`${where}: hardware "${hw}" is not a known SKU`);
  const model = result.bench.model_id;
  const framework = a.framework as string;
  const dataset = isObj(a.dataset) ? a.dataset : {};
  const missing = [
    "p99 latencies",
    "trajectories started/completed",
    "gap cap",
    "warm-up start ratio",
    ...(typeof dataset.num_dataset_entries === "number" ? [] : ["trace trajectories"]),
    "trace turns",
  ];
  const backend = isObj(a.kv_offload_backend) ? a.kv_offload_backend : null;
  const kvOffloading = typeof a.kv_offloading === "string" ? a.kv_offloading : "none";
  const prefix =
    typeof a.infmax_model_prefix === "string" && a.infmax_model_prefix
      ? a.infmax_model_prefix
      : (ctx.modelPrefix ?? model.split("/").pop() ?? model);
  const specDecoding = typeof a.spec_decoding === "string" ? a.spec_decoding : "none";
  const config: AgenticConfig = {
    configKey:
      ctx.configKey ??
      `${prefix}-${precision}-${sku}-${framework}${specDecoding === "none" ? "" : `-${specDecoding}`}-agentic`,
    sku,
    runner: hw,
    model,
    modelPrefix: prefix,
    precision,
    framework,
    image: typeof a.image === "string" && a.image ? a.image : (ctx.image ?? "unknown"),
    specDecoding,
    kvOffloading,
    kvOffloadBackend:
      backend && typeof backend.name === "string"
        ? { name: backend.name, ...(typeof backend.version === "string" ? { version: backend.version } : {}) }
        : null,
    dramOffloadGb: typeof a.allocated_cpu_dram_gb === "number" ? a.allocated_cpu_dram_gb : 0,
  };
  const parsed = ImportedAgenticRow.safeParse({
    id: `imp-${createHash("sha256")
      .update(`inferencex-agentic\n${canonicalJson(a)}`)
      .digest("hex")
      .slice(0, 32)}`,
    sweepId: ctx.sweepId ?? `import-${date.slice(0, 10)}`,
    date,
    source: basename(where.split("#")[0]!),
    format: "inferencex-agentic",
    missing,
    config,
    result,
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new ImportError(`${where}: not a valid agentic result: "${i.path.join(".")}" ${i.message}`);
  }
  return parsed.data;
}
