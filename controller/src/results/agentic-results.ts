/**
 * Stored agentic points (deployments of the agentic-coding scenario, and points imported from the
 * reference lab's agentic result files) and their frontiers. Imported points live in their own
 * table `imported_agentic` (created here, keyed by the row id), apart from the fixed-seq-len rows.
 */
import {
  type AgenticFrontier,
  type AgenticRow,
  agenticConfigOf,
  agenticFrontiers,
  Deployment,
  ImportedAgenticRow,
  PointResult,
} from "@benchfleet/shared";
import type { ResultsDb } from "./results-db.js";

export interface AgenticFilter {
  sweeps?: string[];
  skus?: string[];
  model?: string;
  /** default: real results only; with sweeps named, both */
  emulated?: boolean | "any";
}

const IMPORT_TABLE = `CREATE TABLE IF NOT EXISTS imported_agentic (
  id TEXT PRIMARY KEY,
  sweep_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  model TEXT NOT NULL,
  date TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS imported_agentic_sweep ON imported_agentic (sweep_id);`;

function ensureImportTable(results: ResultsDb): void {
  results.db.exec(IMPORT_TABLE);
}

/** Stores imported agentic points; a row whose id is already there is left as it is. */
export function insertImportedAgentic(
  results: ResultsDb,
  rows: readonly ImportedAgenticRow[],
  now = new Date(),
): { inserted: number; existing: number } {
  ensureImportTable(results);
  const stmt = results.db.prepare(
    "INSERT OR IGNORE INTO imported_agentic (id, sweep_id, sku, model, date, imported_at, row) VALUES (?,?,?,?,?,?,?)",
  );
  let inserted = 0;
  results.db.transaction(() => {
    for (const r of rows)
      inserted += stmt.run(
        r.id,
        r.sweepId,
        r.config.sku,
        r.config.model,
        r.date,
        now.toISOString(),
        JSON.stringify(r),
      ).changes;
  })();
  return { inserted, existing: rows.length - inserted };
}

function sqlFilter(f: AgenticFilter): { conds: string[]; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (f.sweeps?.length) {
    conds.push(`sweep_id IN (${f.sweeps.map(() => "?").join(",")})`);
    params.push(...f.sweeps);
  }
  if (f.skus?.length) {
    conds.push(`sku IN (${f.skus.map(() => "?").join(",")})`);
    params.push(...f.skus);
  }
  if (f.model) {
    conds.push("model = ?");
    params.push(f.model);
  }
  return { conds, params };
}

export function agenticRows(results: ResultsDb, f: AgenticFilter = {}): AgenticRow[] {
  const { conds, params } = sqlFilter(f);
  const measured = [`json_extract(deployment, '$.scenario') = 'agentic-coding'`, ...conds];
  const emulated = f.emulated ?? (f.sweeps?.length ? "any" : false);
  const emulatedParams: unknown[] = [];
  if (emulated !== "any") {
    measured.push("emulated = ?");
    emulatedParams.push(emulated ? 1 : 0);
  }
  const rows = results.db
    .prepare(
      `SELECT fingerprint, point_key, attempt_id, sweep_id, job_id, deployment, result FROM point_results WHERE ${measured.join(" AND ")} ORDER BY id`,
    )
    .all(...params, ...emulatedParams) as Array<{
    fingerprint: string;
    point_key: string;
    attempt_id: string;
    sweep_id: string;
    job_id: string;
    deployment: string;
    result: string;
  }>;
  const out: AgenticRow[] = rows.map((r) => ({
    id: `${r.fingerprint.slice(0, 16)}-${r.point_key}-${r.attempt_id}`,
    sweepId: r.sweep_id,
    jobId: r.job_id || null,
    config: agenticConfigOf(Deployment.parse(JSON.parse(r.deployment))),
    result: PointResult.parse(JSON.parse(r.result)),
  }));
  // imported points are real measurements (never emulated)
  if (emulated === true) return out;
  ensureImportTable(results);
  const imported = results.db
    .prepare(`SELECT row FROM imported_agentic ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""} ORDER BY date, id`)
    .all(...params) as Array<{ row: string }>;
  for (const { row } of imported) {
    const r = ImportedAgenticRow.parse(JSON.parse(row));
    out.push({ id: r.id, sweepId: r.sweepId, jobId: null, imported: true, config: r.config, result: r.result });
  }
  return out;
}

export function agenticFrontierQuery(results: ResultsDb, f: AgenticFilter): AgenticFrontier[] {
  return agenticFrontiers(agenticRows(results, f));
}
