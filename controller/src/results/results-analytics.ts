/**
 * Analytics queries over the results DB: result rows (measured and imported) filtered by group
 * fields, frontiers per group, the table at target interactivities, history (frontier per sweep
 * and image/engine version), comparison of two sweeps, and the inputs of the HTML report.
 * Imported rows live in their own table `imported_results` (created here, keyed by the row id,
 * so importing twice stores once). Emulated and real results never mix: a query selects one kind
 * unless it names sweeps (a sweep is one or the other).
 */
import {
  type AnalyzedRow,
  type AtRow,
  type AxisName,
  analyzeRows,
  type Comparison,
  compareResults,
  Deployment,
  EvalResult,
  type FrontierPointView,
  type FrontierView,
  type GroupFrontier,
  groupFrontiers,
  groupKeyOf,
  type PointResult,
  parallelismLabel,
  type RatesCatalog,
  ResultRow,
  resultConfigFromDeployment,
  tableAt,
} from "@benchfleet/shared";
import type { ReportEval, ReportFailure, ReportInput } from "./report-html.js";
import type { ResultsDb } from "./results-db.js";

export interface RowFilter {
  sweeps?: string[];
  configKey?: string;
  /** model name or model prefix (`dsr1`) */
  model?: string;
  precision?: string;
  isl?: number;
  osl?: number;
  skus?: string[];
  frameworks?: string[];
  /** only rows measured at or before this ISO date (frontier "as of" a date) */
  until?: string;
  /** default: real results only, unless `sweeps` is given (then whatever those sweeps are) */
  emulated?: boolean | "any";
  /** include imported rows (default true) */
  imported?: boolean;
}

const IMPORT_TABLE = `CREATE TABLE IF NOT EXISTS imported_results (
  id TEXT PRIMARY KEY,
  sweep_id TEXT NOT NULL,
  config_key TEXT NOT NULL,
  sku TEXT NOT NULL,
  date TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS imported_results_sweep ON imported_results (sweep_id);`;

const prepared = new WeakSet<object>();
function ensureImportTable(results: ResultsDb): void {
  if (prepared.has(results.db)) return;
  results.db.exec(IMPORT_TABLE);
  prepared.add(results.db);
}

/** Stores imported rows; a row whose id is already there is left as it is. */
export function insertImportedRows(
  results: ResultsDb,
  rows: readonly ResultRow[],
  now = new Date(),
): { inserted: number; existing: number } {
  ensureImportTable(results);
  const stmt = results.db.prepare(
    "INSERT OR IGNORE INTO imported_results (id, sweep_id, config_key, sku, date, imported_at, row) VALUES (?,?,?,?,?,?,?)",
  );
  let inserted = 0;
  results.db.transaction(() => {
    for (const r of rows)
      inserted += stmt.run(
        r.id,
        r.sweepId,
        r.config.configKey,
        r.config.sku,
        r.date,
        now.toISOString(),
        JSON.stringify(r),
      ).changes;
  })();
  return { inserted, existing: rows.length - inserted };
}

function matches(r: ResultRow, f: RowFilter): boolean {
  const c = r.config;
  if (f.sweeps?.length && !f.sweeps.includes(r.sweepId)) return false;
  if (f.configKey && c.configKey !== f.configKey) return false;
  if (f.model && c.model !== f.model && c.modelPrefix !== f.model) return false;
  if (f.precision && c.precision !== f.precision) return false;
  if (f.isl && c.isl !== f.isl) return false;
  if (f.osl && c.osl !== f.osl) return false;
  if (f.skus?.length && !f.skus.includes(c.sku)) return false;
  if (f.frameworks?.length && !f.frameworks.includes(c.framework)) return false;
  if (f.until && r.date > f.until) return false;
  const emulated = f.emulated ?? (f.sweeps?.length ? "any" : false);
  if (emulated !== "any" && r.result.emulated !== emulated) return false;
  return true;
}

/** Result rows (measured, then imported) matching the filter, failed points included. */
export function loadRows(results: ResultsDb, f: RowFilter = {}): ResultRow[] {
  ensureImportTable(results);
  const conds: string[] = [];
  const params: unknown[] = [];
  if (f.sweeps?.length) {
    conds.push(`sweep_id IN (${f.sweeps.map(() => "?").join(",")})`);
    params.push(...f.sweeps);
  }
  if (f.configKey) {
    conds.push("config_key = ?");
    params.push(f.configKey);
  }
  if (f.skus?.length) {
    conds.push(`sku IN (${f.skus.map(() => "?").join(",")})`);
    params.push(...f.skus);
  }
  const where = conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  const measured = results.db
    .prepare(
      `SELECT point_key, attempt_id, job_id, sweep_id, fingerprint, engine_version, deployment, result FROM point_results ${where} ORDER BY id`,
    )
    .all(...params) as Array<{
    point_key: string;
    attempt_id: string;
    job_id: string;
    sweep_id: string;
    fingerprint: string;
    engine_version: string | null;
    deployment: string;
    result: string;
  }>;
  const evals = new Map<string, EvalResult>();
  const evalAttempt = new Map<string, string>();
  const evalRows = results.db
    .prepare(`SELECT sweep_id, fingerprint, attempt_id, result FROM eval_results ${where} ORDER BY id`)
    .all(...params) as Array<{
    sweep_id: string;
    fingerprint: string;
    attempt_id: string;
    result: string;
  }>;
  // the latest attempt's eval; of one launch that evaluated at several concurrencies, the worst
  for (const e of evalRows) {
    const key = `${e.sweep_id}|${e.fingerprint}`;
    const r = EvalResult.parse(JSON.parse(e.result));
    const prev = evals.get(key);
    if (!prev || evalAttempt.get(key) !== e.attempt_id || r.strict.exactMatch < prev.strict.exactMatch) {
      evals.set(key, r);
      evalAttempt.set(key, e.attempt_id);
    }
  }
  const out: ResultRow[] = [];
  for (const m of measured) {
    const deployment = Deployment.parse(JSON.parse(m.deployment));
    // agentic points have no ISL/OSL: they have their own frontier (agentic-results.ts)
    if (deployment.scenario === "agentic-coding") continue;
    const result = JSON.parse(m.result) as PointResult;
    const ev = evals.get(`${m.sweep_id}|${m.fingerprint}`);
    const row: ResultRow = {
      id: `${m.fingerprint.slice(0, 16)}-${m.point_key}-${m.attempt_id}`,
      sweepId: m.sweep_id,
      date: result.startedAt,
      provenance: {
        kind: "measured",
        attemptId: m.attempt_id,
        jobId: m.job_id,
        ...(m.engine_version ? { engineVersion: m.engine_version } : {}),
      },
      config: resultConfigFromDeployment(deployment),
      result,
      ...(ev ? { eval: ev } : {}),
    };
    if (matches(row, f)) out.push(row);
  }
  if (f.imported !== false) {
    const imp = results.db
      .prepare(`SELECT row FROM imported_results ${where} ORDER BY date, id`)
      .all(...params) as Array<{ row: string }>;
    for (const i of imp) {
      const row = ResultRow.parse(JSON.parse(i.row));
      if (matches(row, f)) out.push(row);
    }
  }
  return out;
}

export type { FrontierPointView, FrontierView } from "@benchfleet/shared";

function view(f: GroupFrontier): FrontierView {
  return {
    key: f.key,
    group: f.group,
    x: f.x,
    y: f.y,
    measured: f.measured,
    points: f.points.map((p) => {
      const r = p.item.row;
      const m = p.item.metrics;
      return {
        x: p.x,
        y: p.y,
        rowId: r.id,
        sweepId: r.sweepId,
        date: r.date,
        concurrency: m.concurrency,
        parallelism: parallelismLabel(r.config),
        gpus: r.config.gpus,
        ...(r.config.nodes ? { nodes: r.config.nodes } : {}),
        image: r.config.image,
        // an emulated row is labelled "emulated", never "measured"
        provenance: r.result.emulated ? "emulated" : r.provenance.kind,
        ties: p.ties.map((t) => t.row.id),
        tputPerGpu: m.tputPerGpu,
        interactivity: m.interactivity,
        costPerMillion: m.cost.hyperscaler.total,
        joulesPerToken: m.joulesPerToken,
        medianTtftMs: m.ttftMs.median,
        medianE2elMs: m.e2elMs.median,
      };
    }),
  };
}

export function frontierQuery(
  results: ResultsDb,
  catalog: RatesCatalog,
  f: RowFilter,
  axes: { x?: AxisName; y?: AxisName } = {},
): FrontierView[] {
  return groupFrontiers(analyzeRows(loadRows(results, f), catalog), axes).map(view);
}

export function atQuery(
  results: ResultsDb,
  catalog: RatesCatalog,
  f: RowFilter,
  interactivities: readonly number[],
): AtRow[] {
  return tableAt(analyzeRows(loadRows(results, f), catalog), interactivities, catalog);
}

export interface HistoryEntry {
  sweepId: string;
  date: string;
  image: string;
  engineVersion?: string;
  groups: Array<{ key: string; measured: number; frontier: FrontierPointView[]; at: AtRow["at"] }>;
}

/** Frontier per sweep and image/engine version, oldest first: how a configuration improved over time. */
export function historyQuery(
  results: ResultsDb,
  catalog: RatesCatalog,
  f: RowFilter,
  interactivities: readonly number[],
): HistoryEntry[] {
  const analyzed = analyzeRows(loadRows(results, f), catalog);
  const buckets = new Map<string, AnalyzedRow[]>();
  for (const a of analyzed) {
    const k = JSON.stringify([a.row.sweepId, a.row.config.image, a.row.provenance.engineVersion ?? null]);
    const b = buckets.get(k);
    if (b) b.push(a);
    else buckets.set(k, [a]);
  }
  const out: HistoryEntry[] = [];
  for (const rows of buckets.values()) {
    const first = rows.reduce((p, q) => (q.row.date < p.row.date ? q : p));
    const fr = groupFrontiers(rows).map(view);
    const at = new Map(tableAt(rows, interactivities, catalog).map((t) => [t.key, t.at]));
    out.push({
      sweepId: first.row.sweepId,
      date: first.row.date,
      image: first.row.config.image,
      ...(first.row.provenance.engineVersion ? { engineVersion: first.row.provenance.engineVersion } : {}),
      groups: fr.map((g) => ({ key: g.key, measured: g.measured, frontier: g.points, at: at.get(g.key) ?? [] })),
    });
  }
  return out.sort((a, b) => a.date.localeCompare(b.date) || a.sweepId.localeCompare(b.sweepId));
}

/** Sweep b against baseline sweep a. */
export function compareQuery(
  results: ResultsDb,
  catalog: RatesCatalog,
  a: string,
  b: string,
  tolerance = 0.05,
  f: RowFilter = {},
): Comparison & { a: string; b: string } {
  const ra = analyzeRows(loadRows(results, { ...f, sweeps: [a] }), catalog);
  const rb = analyzeRows(loadRows(results, { ...f, sweeps: [b] }), catalog);
  return { a, b, ...compareResults(ra, rb, tolerance) };
}

/** Everything the HTML report of one sweep shows. Null when the sweep has no stored results. */
export function reportInput(
  results: ResultsDb,
  catalog: RatesCatalog,
  sweepId: string,
  interactivities: readonly number[],
  now = new Date(),
): ReportInput | null {
  ensureImportTable(results);
  const rows = loadRows(results, { sweeps: [sweepId] });
  const attempts = results.db
    .prepare(
      "SELECT attempt_id, job_id, state, reason, gpus, started_at, finished_at, nodes FROM attempts WHERE sweep_id = ? ORDER BY started_at",
    )
    .all(sweepId) as Array<{
    attempt_id: string;
    job_id: string;
    state: string;
    reason: string | null;
    gpus: number;
    started_at: string;
    finished_at: string | null;
    nodes: string;
  }>;
  if (rows.length === 0 && attempts.length === 0) return null;
  const evalRows = results.db
    .prepare("SELECT deployment, result FROM eval_results WHERE sweep_id = ? ORDER BY id")
    .all(sweepId) as Array<{ deployment: string; result: string }>;
  const evals: ReportEval[] = evalRows.map((e) => {
    const d = Deployment.parse(JSON.parse(e.deployment));
    return {
      configKey: d.configKey,
      sku: d.sku,
      parallelism: parallelismLabel(resultConfigFromDeployment(d)),
      image: d.image,
      eval: EvalResult.parse(JSON.parse(e.result)),
    };
  });
  for (const r of rows)
    if (r.provenance.kind === "imported" && r.eval)
      evals.push({
        configKey: r.config.configKey,
        sku: r.config.sku,
        parallelism: parallelismLabel(r.config),
        image: r.config.image,
        eval: r.eval,
      });
  const failures: ReportFailure[] = attempts
    .filter((a) => a.state === "failed")
    .map((a) => ({
      what: `job ${a.job_id} attempt ${a.attempt_id} on ${(JSON.parse(a.nodes) as string[]).join(", ")}`,
      reason: a.reason ?? "failed (no reason recorded)",
    }));
  let gpuHours: ReportInput["gpuHours"];
  const timed = attempts.filter((a) => a.finished_at);
  if (timed.length) {
    const total = timed.reduce(
      (h, a) => h + ((Date.parse(a.finished_at as string) - Date.parse(a.started_at)) / 3_600_000) * a.gpus,
      0,
    );
    gpuHours = { total, source: `${timed.length} finished attempt(s), dispatch to finish × GPUs` };
  }
  const groups = new Set(rows.map((r) => groupKeyOf(r.config)));
  return {
    title: `benchfleet report: sweep ${sweepId}${groups.size === 1 ? ` (${[...groups][0]})` : ""}`,
    sweepId,
    generatedAt: now.toISOString(),
    rows,
    evals,
    failures,
    ...(gpuHours ? { gpuHours } : {}),
    catalog,
    interactivities,
  };
}
