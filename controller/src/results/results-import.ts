/**
 * Import of results produced elsewhere, so a lab's history comes along:
 *  - `vllm bench serve` result JSON (one point per file; it carries no configuration, so the
 *    SKU, GPU count, framework, precision and ISL/OSL come from the import context, unless the
 *    file is one benchfleet exported, which embeds its configuration under `benchfleet`);
 *  - the reference lab's aggregated rows (`agg_*.json`, one object or an array such as
 *    `agg_bmk.json`; fields of reference/inferencex.md §7: per-GPU throughputs, latencies in
 *    seconds, optional power);
 *  - benchfleet's own full-row JSON export;
 *  - the reference lab's agentic result files (agentic-import.ts), as agentic points of their own.
 * Every row gets provenance `imported` and an id derived from its content, so importing the
 * same files again yields the same rows (idempotent). Parsing is pure apart from reading files.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  canonicalJson,
  type EnergySummary,
  type ImportedAgenticRow,
  type PointResult,
  type ResultConfig,
  ResultRow,
  type SkuName,
  skuFromLabel,
  VllmBenchResult,
  withLabFailed,
} from "@benchfleet/shared";
import { agenticRowFromLab, isLabAgenticResult } from "./agentic-import.js";
import { type ImportContext, ImportError } from "./import-context.js";

export { type ImportContext, ImportError } from "./import-context.js";

export interface ImportSkip {
  file: string;
  reason: string;
}

export interface ImportOutcome {
  files: number;
  rows: ResultRow[];
  /** agentic points (they have no ISL/OSL, so they are not result rows) */
  agentic: ImportedAgenticRow[];
  skipped: ImportSkip[];
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** What kind of source object this is, or undefined when it is none we know. */
export function detectFormat(
  v: unknown,
): "vllm-bench" | "inferencex-agg" | "inferencex-agentic" | "benchfleet-row" | undefined {
  if (!isObj(v)) return undefined;
  if (isLabAgenticResult(v)) return "inferencex-agentic";
  if ("id" in v && isObj(v.config) && isObj(v.result)) return "benchfleet-row";
  if ("tput_per_gpu" in v && "hw" in v) return "inferencex-agg";
  if ("total_token_throughput" in v && "model_id" in v) return "vllm-bench";
  return undefined;
}

function bool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return v.toLowerCase() === "true";
  return false;
}

function int(row: Json, key: string, where: string): number {
  const v = typeof row[key] === "string" ? Number(row[key]) : row[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
    throw new ImportError(`${where}: "${key}" must be a positive integer, got ${JSON.stringify(row[key])}`);
  return v;
}

function num(row: Json, key: string, where: string): number {
  const v = row[key];
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ImportError(`${where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function str(row: Json, key: string, where: string): string {
  const v = row[key];
  if (typeof v !== "string" || v === "")
    throw new ImportError(`${where}: "${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

const LATENCY_KEY = /^(mean|median|std|p\d+(?:\.\d+)?)_(ttft|tpot|itl|e2el)$/;

/** `vllm bench serve` writes `date` as `YYYYMMDD-HHMMSS`. */
function dateOfBench(b: Json): string | undefined {
  if (typeof b.benchmark_start_time_unix === "number")
    return new Date(b.benchmark_start_time_unix * 1000).toISOString();
  if (typeof b.date === "string") {
    const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(b.date);
    if (m) return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
    if (!Number.isNaN(Date.parse(b.date))) return new Date(b.date).toISOString();
  }
  return undefined;
}

const identityFingerprint = (c: Omit<ResultConfig, "fingerprint">) =>
  sha(canonicalJson({ ...c, configKey: undefined, runner: undefined }));

/** One reference-lab aggregated row → our row. */
export function rowFromAgg(row: Json, where: string, ctx: ImportContext, fallbackDate: string): ResultRow {
  const hw = str(row, "hw", where);
  const sku = skuFromLabel(hw);
  if (!sku) throw new ImportError(`${where}: hardware "${hw}" is not a known SKU`);
  const multinode = bool(row.is_multinode) || "num_prefill_gpu" in row;
  const disagg = bool(row.disagg) || multinode;
  const isl = row.isl !== undefined ? int(row, "isl", where) : ctx.isl;
  const osl = row.osl !== undefined ? int(row, "osl", where) : ctx.osl;
  if (!isl || !osl) throw new ImportError(`${where}: the row has no isl/osl (older agg format); pass --isl and --osl`);
  const concurrency = int(row, "conc", where);
  const model = str(row, "model", where);
  let gpus: PointResult["gpus"];
  let par: Partial<ResultConfig>;
  if (multinode) {
    const prefillGpus = int(row, "num_prefill_gpu", where);
    const decodeGpus = int(row, "num_decode_gpu", where);
    gpus = { total: prefillGpus + decodeGpus, prefill: prefillGpus, decode: decodeGpus };
    const pool = (p: "prefill" | "decode", g: number) => ({
      numWorker: int(row, `${p}_num_workers`, where),
      tp: int(row, `${p}_tp`, where),
      ep: int(row, `${p}_ep`, where),
      dpAttn: bool(row[`${p}_dp_attention`]),
      gpus: g,
    });
    par = { prefill: pool("prefill", prefillGpus), decode: pool("decode", decodeGpus) };
  } else {
    const tp = int(row, "tp", where);
    gpus = { total: tp, prefill: 0, decode: 0 };
    par = { tp, ep: row.ep !== undefined ? int(row, "ep", where) : 1, dpAttn: bool(row.dp_attention) };
  }
  const tputPerGpu = num(row, "tput_per_gpu", where);
  const outputPerGpu = num(row, "output_tput_per_gpu", where);
  const bench: Json = {
    date: "",
    backend: "unknown",
    model_id: model,
    num_prompts: 0,
    request_rate: "inf",
    burstiness: 1,
    max_concurrency: concurrency,
    duration: 0,
    completed: 0,
    failed: 0,
    total_input_tokens: 0,
    total_output_tokens: 0,
    request_throughput: 0,
    output_throughput: outputPerGpu * (disagg && gpus.decode > 0 ? gpus.decode : gpus.total),
    total_token_throughput: tputPerGpu * gpus.total,
  };
  for (const [k, v] of Object.entries(row))
    if (LATENCY_KEY.test(k) && typeof v === "number") bench[`${k}_ms`] = v * 1000;
  const date =
    typeof row.date === "string" && !Number.isNaN(Date.parse(row.date))
      ? new Date(row.date).toISOString()
      : (ctx.date ?? fallbackDate);
  bench.date = date;
  let energy: EnergySummary | undefined;
  if (typeof row.avg_power_w === "number" || typeof row.total_gpu_energy_j === "number") {
    const n = (k: string) => (typeof row[k] === "number" ? (row[k] as number) : null);
    energy = {
      complete: bool(row.power_valid),
      gpus: gpus.total,
      avgPowerW: n("avg_power_w"),
      totalEnergyJ: n("total_gpu_energy_j"),
      joulesPerOutputToken: n("joules_per_output_token"),
      joulesPerTotalToken: n("joules_per_total_token"),
      note: "imported from the reference lab's aggregated row",
    };
  }
  const prefix =
    typeof row.infmax_model_prefix === "string"
      ? row.infmax_model_prefix
      : (ctx.modelPrefix ?? model.split("/").pop() ?? model);
  const precision = str(row, "precision", where);
  const framework = str(row, "framework", where);
  const base: Omit<ResultConfig, "fingerprint"> = {
    configKey: ctx.configKey ?? `${prefix}-${precision}-${sku}-${framework}`,
    sku,
    runner: hw,
    model,
    modelPrefix: prefix,
    precision,
    framework,
    image: typeof row.image === "string" ? row.image : (ctx.image ?? "unknown"),
    isl,
    osl,
    specDecoding:
      typeof row.spec_decoding === "string" ? row.spec_decoding : typeof row.mtp === "string" ? "mtp" : "none",
    multinode,
    disagg,
    ...par,
    gpus: gpus.total,
  };
  const result: PointResult = {
    point: { concurrency, isl, osl },
    status: "ok",
    startedAt: date,
    finishedAt: date,
    bench: bench as VllmBenchResult,
    failures: {},
    ...(energy ? { energy } : {}),
    gpus,
    emulated: false,
  };
  return ResultRow.parse({
    id: `imp-${sha(`inferencex-agg\n${canonicalJson(row)}`).slice(0, 32)}`,
    sweepId: ctx.sweepId ?? `import-${date.slice(0, 10)}`,
    date,
    provenance: {
      kind: "imported",
      source: basename(where.split("#")[0]),
      format: "inferencex-agg",
      missing: [
        "num_prompts",
        "duration",
        "completed",
        "failed",
        "total_input_tokens",
        "total_output_tokens",
        "request_throughput",
      ],
    },
    config: { fingerprint: identityFingerprint(base), ...base },
    result,
  });
}

/** One `vllm bench serve` result → our row (configuration from the file's `benchfleet` key or the context). */
export function rowFromVllm(obj: Json, where: string, ctx: ImportContext, fallbackDate: string): ResultRow {
  // the lab's client (utils/bench_serving) writes no `failed`
  const parsed = VllmBenchResult.safeParse(withLabFailed(obj));
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ImportError(`${where}: not a valid vllm bench serve result: "${i.path.join(".")}" ${i.message}`);
  }
  const bench = parsed.data;
  const embedded = isObj(obj.benchfleet) ? obj.benchfleet : undefined;
  if (embedded) {
    // a file benchfleet exported: it carries its own configuration and GPU split
    const { benchfleet: _drop, ...rest } = obj;
    const row = ResultRow.parse({
      ...(embedded.row as Json),
      provenance: { kind: "imported", source: basename(where), format: "benchfleet" },
      result: { ...((embedded.row as Json).result as Json), bench: rest },
    });
    return row;
  }
  const concurrency = bench.max_concurrency;
  if (!concurrency)
    throw new ImportError(
      `${where}: max_concurrency is null (a request-rate run); only closed-loop concurrency runs are imported`,
    );
  const missing = (["sku", "framework", "precision", "isl", "osl"] as const).filter((k) => ctx[k] === undefined);
  if (ctx.tp === undefined && ctx.gpus === undefined) missing.push("tp" as never);
  if (missing.length)
    throw new ImportError(
      `${where}: a vllm bench serve result carries no configuration; pass ${missing.map((m) => `--${m}`).join(", ")}`,
    );
  const sku = ctx.sku as SkuName;
  const gpusTotal = ctx.gpus ?? (ctx.tp as number);
  const date = dateOfBench(obj) ?? ctx.date ?? fallbackDate;
  const prefix = ctx.modelPrefix ?? bench.model_id.split("/").pop() ?? bench.model_id;
  const base: Omit<ResultConfig, "fingerprint"> = {
    configKey: ctx.configKey ?? `${prefix}-${ctx.precision}-${sku}-${ctx.framework}`,
    sku,
    runner: sku,
    model: bench.model_id,
    modelPrefix: prefix,
    precision: ctx.precision as string,
    framework: ctx.framework as string,
    image: ctx.image ?? "unknown",
    isl: ctx.isl as number,
    osl: ctx.osl as number,
    specDecoding: ctx.specDecoding ?? "none",
    multinode: false,
    disagg: false,
    tp: ctx.tp ?? gpusTotal,
    ep: ctx.ep ?? 1,
    dpAttn: false,
    gpus: gpusTotal,
  };
  const end =
    typeof bench.benchmark_end_time_unix === "number"
      ? new Date(bench.benchmark_end_time_unix * 1000).toISOString()
      : date;
  const result: PointResult = {
    point: { concurrency, isl: base.isl, osl: base.osl },
    status: "ok",
    startedAt: date,
    finishedAt: end,
    bench,
    failures: {},
    gpus: { total: gpusTotal, prefill: 0, decode: 0 },
    emulated: false,
  };
  return ResultRow.parse({
    id: `imp-${sha(`vllm-bench\n${canonicalJson(obj)}\n${canonicalJson(base)}`).slice(0, 32)}`,
    sweepId: ctx.sweepId ?? `import-${date.slice(0, 10)}`,
    date,
    provenance: { kind: "imported", source: basename(where), format: "vllm-bench" },
    config: { fingerprint: identityFingerprint(base), ...base },
    result,
  });
}

/** Rows of one file's parsed JSON; problems of single objects are skips, not failures of the file. */
export function rowsFromJson(
  value: unknown,
  file: string,
  ctx: ImportContext,
  fallbackDate: string,
): { rows: ResultRow[]; agentic: ImportedAgenticRow[]; skipped: ImportSkip[] } {
  const items = Array.isArray(value)
    ? value.map((v, i) => ({ v, where: `${file}#${i}` }))
    : [{ v: value, where: file }];
  const rows: ResultRow[] = [];
  const agentic: ImportedAgenticRow[] = [];
  const skipped: ImportSkip[] = [];
  for (const { v, where } of items) {
    try {
      const fmt = detectFormat(v);
      if (fmt === "inferencex-agentic") agentic.push(agenticRowFromLab(v as Json, where, ctx, fallbackDate));
      else if (fmt === "inferencex-agg") rows.push(rowFromAgg(v as Json, where, ctx, fallbackDate));
      else if (fmt === "vllm-bench") rows.push(rowFromVllm(v as Json, where, ctx, fallbackDate));
      else if (fmt === "benchfleet-row") {
        const r = ResultRow.safeParse(v);
        if (!r.success)
          throw new ImportError(
            `${where}: not a valid benchfleet result row: "${r.error.issues[0].path.join(".")}" ${r.error.issues[0].message}`,
          );
        rows.push({
          ...r.data,
          provenance: { ...r.data.provenance, kind: "imported", source: basename(file), format: "benchfleet" },
        });
      } else
        skipped.push({
          file: where,
          reason:
            "neither a vllm bench serve result (total_token_throughput, model_id), an aggregated row (hw, tput_per_gpu) nor an agentic result (scenario_type agentic-coding, request_metrics)",
        });
    } catch (err) {
      if (err instanceof ImportError) skipped.push({ file: where, reason: err.message.replace(`${where}: `, "") });
      else throw err;
    }
  }
  return { rows, agentic, skipped };
}

async function listJson(path: string): Promise<string[]> {
  const st = await stat(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  for (const e of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...(await listJson(p)));
    else if (e.isFile() && e.name.endsWith(".json")) out.push(p);
  }
  return out;
}

/** Reads a file or a directory tree of `*.json` files. Duplicate rows (same id) are kept once. */
export async function importPath(path: string, ctx: ImportContext = {}): Promise<ImportOutcome> {
  let files: string[];
  try {
    files = await listJson(path);
  } catch (err) {
    throw new ImportError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const byId = new Map<string, ResultRow>();
  const agenticById = new Map<string, ImportedAgenticRow>();
  const skipped: ImportSkip[] = [];
  for (const f of files) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(f, "utf8"));
    } catch (err) {
      skipped.push({ file: f, reason: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const mtime = (await stat(f)).mtime.toISOString();
    const r = rowsFromJson(value, f, ctx, mtime);
    for (const row of r.rows) if (!byId.has(row.id)) byId.set(row.id, row);
    for (const row of r.agentic) if (!agenticById.has(row.id)) agenticById.set(row.id, row);
    skipped.push(...r.skipped);
  }
  return { files: files.length, rows: [...byId.values()], agentic: [...agenticById.values()], skipped };
}
