/**
 * Results DB: every load-point result and eval result, stored the moment it arrives, with full
 * provenance. Embedded SQLite (better-sqlite3 12) in the data directory, WAL mode, schema migrated
 * at start (`PRAGMA user_version`). Inserts are idempotent: key = fingerprint + point + attempt,
 * so a resent result is a no-op. Emulated results carry `emulated = 1` and are never mixed in by default.
 *
 * The analytics engineer adds query functions in `results-analytics.ts` against `ResultsDb.db`.
 */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  type Deployment,
  type EvalResult,
  type LoadPoint,
  type NodeEnergy,
  type PointResult,
  type PointRow,
  pointWindow,
  withNodeEnergy,
} from "@benchfleet/shared";
import Database from "better-sqlite3";

const MIGRATIONS: string[] = [
  `CREATE TABLE point_results (
     id INTEGER PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     point_key TEXT NOT NULL,
     attempt_id TEXT NOT NULL,
     sweep_id TEXT NOT NULL,
     job_id TEXT NOT NULL,
     attempt_number INTEGER NOT NULL,
     fencing_token INTEGER NOT NULL,
     config_key TEXT NOT NULL,
     config_keys TEXT NOT NULL,
     sku TEXT NOT NULL,
     runner TEXT NOT NULL,
     model TEXT NOT NULL,
     framework TEXT NOT NULL,
     precision TEXT NOT NULL,
     image TEXT NOT NULL,
     engine_version TEXT,
     concurrency INTEGER NOT NULL,
     isl INTEGER NOT NULL,
     osl INTEGER NOT NULL,
     status TEXT NOT NULL,
     nodes TEXT NOT NULL,
     hostnames TEXT NOT NULL,
     gpus_total INTEGER NOT NULL,
     total_token_throughput REAL,
     output_throughput REAL,
     tput_per_gpu REAL,
     median_ttft_ms REAL,
     median_tpot_ms REAL,
     interactivity REAL,
     started_at TEXT NOT NULL,
     finished_at TEXT NOT NULL,
     received_at TEXT NOT NULL,
     emulated INTEGER NOT NULL,
     deployment TEXT NOT NULL,
     result TEXT NOT NULL,
     telemetry TEXT,
     UNIQUE (fingerprint, point_key, attempt_id)
   );
   CREATE INDEX point_results_sweep ON point_results (sweep_id);
   CREATE INDEX point_results_job ON point_results (job_id, point_key);
   CREATE INDEX point_results_sku ON point_results (sku, received_at);
   CREATE INDEX point_results_config ON point_results (config_key);
   CREATE TABLE eval_results (
     id INTEGER PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     attempt_id TEXT NOT NULL,
     sweep_id TEXT NOT NULL,
     job_id TEXT NOT NULL,
     config_key TEXT NOT NULL,
     sku TEXT NOT NULL,
     model TEXT NOT NULL,
     framework TEXT NOT NULL,
     image TEXT NOT NULL,
     engine_version TEXT,
     task TEXT NOT NULL,
     strict_em REAL NOT NULL,
     flexible_em REAL NOT NULL,
     threshold REAL NOT NULL,
     passed INTEGER NOT NULL,
     nodes TEXT NOT NULL,
     received_at TEXT NOT NULL,
     emulated INTEGER NOT NULL,
     deployment TEXT NOT NULL,
     result TEXT NOT NULL,
     UNIQUE (fingerprint, attempt_id, task)
   );
   CREATE INDEX eval_results_job ON eval_results (job_id);
   CREATE TABLE attempts (
     attempt_id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL,
     sweep_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     attempt_number INTEGER NOT NULL,
     fencing_token INTEGER NOT NULL,
     nodes TEXT NOT NULL,
     state TEXT NOT NULL,
     reason TEXT,
     engine_version TEXT,
     phase_durations TEXT,
     gpus INTEGER NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     emulated INTEGER NOT NULL
   );
   CREATE INDEX attempts_job ON attempts (job_id);`,
  // v2: finishing an attempt stamps its results with the engine version by attempt id; without
  // these indexes that was a scan of every stored result per attempt (bench/fleet.ts)
  `CREATE INDEX point_results_attempt ON point_results (attempt_id);
   CREATE INDEX eval_results_attempt ON eval_results (attempt_id);`,
  // v3: one launch may evaluate at several concurrencies (the lab's highest and median of a
  // group); each is a result of its own: key = fingerprint + attempt + task + concurrency (0: the
  // eval client's default)
  `CREATE TABLE eval_results_v3 (
     id INTEGER PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     attempt_id TEXT NOT NULL,
     sweep_id TEXT NOT NULL,
     job_id TEXT NOT NULL,
     config_key TEXT NOT NULL,
     sku TEXT NOT NULL,
     model TEXT NOT NULL,
     framework TEXT NOT NULL,
     image TEXT NOT NULL,
     engine_version TEXT,
     task TEXT NOT NULL,
     strict_em REAL NOT NULL,
     flexible_em REAL NOT NULL,
     threshold REAL NOT NULL,
     passed INTEGER NOT NULL,
     nodes TEXT NOT NULL,
     received_at TEXT NOT NULL,
     emulated INTEGER NOT NULL,
     deployment TEXT NOT NULL,
     result TEXT NOT NULL,
     concurrency INTEGER NOT NULL DEFAULT 0,
     UNIQUE (fingerprint, attempt_id, task, concurrency)
   );
   INSERT INTO eval_results_v3 (id, fingerprint, attempt_id, sweep_id, job_id, config_key, sku, model, framework,
       image, engine_version, task, strict_em, flexible_em, threshold, passed, nodes, received_at, emulated,
       deployment, result)
     SELECT id, fingerprint, attempt_id, sweep_id, job_id, config_key, sku, model, framework, image,
       engine_version, task, strict_em, flexible_em, threshold, passed, nodes, received_at, emulated,
       deployment, result FROM eval_results;
   DROP TABLE eval_results;
   ALTER TABLE eval_results_v3 RENAME TO eval_results;
   CREATE INDEX eval_results_job ON eval_results (job_id);
   CREATE INDEX eval_results_attempt ON eval_results (attempt_id);`,
];

export function pointKey(p: LoadPoint): string {
  return `c${p.concurrency}-i${p.isl}-o${p.osl}`;
}

export interface Provenance {
  sweepId: string;
  jobId: string;
  attemptId: string;
  attemptNumber: number;
  fencingToken: number;
  nodes: string[];
  hostnames: string[];
  deployment: Deployment;
  engineVersion?: string;
}

export interface ResultQuery {
  sweepId?: string;
  jobId?: string;
  configKey?: string;
  sku?: string;
  fingerprint?: string;
  /** ISO timestamps on received_at */
  since?: string;
  until?: string;
  /** default: real results only */
  emulated?: boolean | "any";
  limit?: number;
  offset?: number;
}

export type { PointRow } from "@benchfleet/shared";

export class ResultsDb {
  readonly db: Database.Database;
  /** prepared statements of the fixed SQL of the write paths (preparing costs more than running) */
  private readonly stmts = new Map<string, Database.Statement>();

  private stmt(sql: string): Database.Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, "results.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  private migrate(): void {
    const current = this.db.pragma("user_version", { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /** Stores a point result; returns false when the same (fingerprint, point, attempt) was stored before. */
  insertPoint(p: Provenance, r: PointResult, receivedAt = new Date()): boolean {
    const b = r.bench;
    const tpot = typeof b.median_tpot_ms === "number" ? b.median_tpot_ms : null;
    const d = p.deployment;
    const info = this.stmt(
      `INSERT OR IGNORE INTO point_results (fingerprint, point_key, attempt_id, sweep_id, job_id, attempt_number, fencing_token,
           config_key, config_keys, sku, runner, model, framework, precision, image, engine_version, concurrency, isl, osl, status,
           nodes, hostnames, gpus_total, total_token_throughput, output_throughput, tput_per_gpu, median_ttft_ms, median_tpot_ms,
           interactivity, started_at, finished_at, received_at, emulated, deployment, result, telemetry)
         VALUES (@fingerprint, @pointKey, @attemptId, @sweepId, @jobId, @attemptNumber, @fencingToken, @configKey, @configKeys, @sku,
           @runner, @model, @framework, @precision, @image, @engineVersion, @concurrency, @isl, @osl, @status, @nodes, @hostnames,
           @gpusTotal, @tot, @out, @perGpu, @ttft, @tpot, @inter, @startedAt, @finishedAt, @receivedAt, @emulated, @deployment, @result, @telemetry)`,
    ).run({
      fingerprint: d.fingerprint,
      pointKey: pointKey(r.point),
      attemptId: p.attemptId,
      sweepId: p.sweepId,
      jobId: p.jobId,
      attemptNumber: p.attemptNumber,
      fencingToken: p.fencingToken,
      configKey: d.configKey,
      configKeys: JSON.stringify(d.configKeys),
      sku: d.sku,
      runner: d.runner,
      model: d.model,
      framework: d.framework,
      precision: d.precision,
      image: d.image,
      engineVersion: p.engineVersion ?? null,
      concurrency: r.point.concurrency,
      isl: r.point.isl,
      osl: r.point.osl,
      status: r.status,
      nodes: JSON.stringify(p.nodes),
      hostnames: JSON.stringify(p.hostnames),
      gpusTotal: r.gpus.total,
      tot: b.total_token_throughput,
      out: b.output_throughput,
      perGpu: r.gpus.total > 0 ? b.total_token_throughput / r.gpus.total : null,
      ttft: typeof b.median_ttft_ms === "number" ? b.median_ttft_ms : null,
      tpot,
      inter: tpot && tpot > 0 ? 1000 / tpot : null,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      receivedAt: receivedAt.toISOString(),
      emulated: r.emulated ? 1 : 0,
      deployment: JSON.stringify(d),
      result: JSON.stringify(r),
      telemetry: r.energy || r.client ? JSON.stringify({ energy: r.energy, client: r.client }) : null,
    });
    return info.changes > 0;
  }

  /**
   * Adds (or replaces) one gang member's part of a stored point's GPU energy and re-sums it over the
   * gang's `members` nodes; returns the updated result, or undefined when the attempt stored no such point.
   */
  mergeNodeEnergy(attemptId: string, key: string, part: NodeEnergy, members: number): PointResult | undefined {
    return this.db.transaction(() => {
      const row = this.stmt(`SELECT id, result FROM point_results WHERE attempt_id = ? AND point_key = ?`).get(
        attemptId,
        key,
      ) as { id: number; result: string } | undefined;
      if (!row) return undefined;
      const r = JSON.parse(row.result) as PointResult;
      const w = pointWindow(r);
      r.energy = withNodeEnergy(r.energy, part, {
        windowMs: w.endMs - w.startMs,
        outputTokens: w.outputTokens,
        totalTokens: w.totalTokens,
        expectedNodes: members,
      });
      this.stmt(`UPDATE point_results SET result = ?, telemetry = ? WHERE id = ?`).run(
        JSON.stringify(r),
        JSON.stringify({ energy: r.energy, client: r.client }),
        row.id,
      );
      return r;
    })();
  }

  insertEval(p: Provenance, r: EvalResult, receivedAt = new Date()): boolean {
    const d = p.deployment;
    const info = this.stmt(
      `INSERT OR IGNORE INTO eval_results (fingerprint, attempt_id, sweep_id, job_id, config_key, sku, model, framework, image,
           engine_version, task, strict_em, flexible_em, threshold, passed, nodes, received_at, emulated, deployment, result,
           concurrency)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    ).run(
      d.fingerprint,
      p.attemptId,
      p.sweepId,
      p.jobId,
      d.configKey,
      d.sku,
      d.model,
      d.framework,
      d.image,
      p.engineVersion ?? null,
      r.task,
      r.strict.exactMatch,
      r.flexible.exactMatch,
      r.threshold,
      r.passed ? 1 : 0,
      JSON.stringify(p.nodes),
      receivedAt.toISOString(),
      r.emulated ? 1 : 0,
      JSON.stringify(d),
      JSON.stringify(r),
      r.concurrency ?? 0,
    );
    return info.changes > 0;
  }

  /** Records (or updates) an attempt's history row, for provenance. */
  recordAttempt(a: {
    attemptId: string;
    jobId: string;
    sweepId: string;
    fingerprint: string;
    attemptNumber: number;
    fencingToken: number;
    nodes: string[];
    state: string;
    reason?: string;
    engineVersion?: string;
    phaseDurationsMs?: Record<string, number>;
    gpus: number;
    startedAt: string;
    finishedAt?: string;
    emulated: boolean;
  }): void {
    this.stmt(
      `INSERT INTO attempts (attempt_id, job_id, sweep_id, fingerprint, attempt_number, fencing_token, nodes, state, reason,
           engine_version, phase_durations, gpus, started_at, finished_at, emulated)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT (attempt_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
           engine_version = excluded.engine_version, phase_durations = excluded.phase_durations, finished_at = excluded.finished_at`,
    ).run(
      a.attemptId,
      a.jobId,
      a.sweepId,
      a.fingerprint,
      a.attemptNumber,
      a.fencingToken,
      JSON.stringify(a.nodes),
      a.state,
      a.reason ?? null,
      a.engineVersion ?? null,
      a.phaseDurationsMs ? JSON.stringify(a.phaseDurationsMs) : null,
      a.gpus,
      a.startedAt,
      a.finishedAt ?? null,
      a.emulated ? 1 : 0,
    );
    if (a.engineVersion) {
      this.stmt(`UPDATE point_results SET engine_version = ? WHERE attempt_id = ? AND engine_version IS NULL`).run(
        a.engineVersion,
        a.attemptId,
      );
      this.stmt(`UPDATE eval_results SET engine_version = ? WHERE attempt_id = ? AND engine_version IS NULL`).run(
        a.engineVersion,
        a.attemptId,
      );
    }
  }

  /** Point keys of a job already stored (ok status), by any attempt: later attempts skip them. */
  storedPointKeys(jobId: string): Set<string> {
    const rows = this.stmt(`SELECT DISTINCT point_key FROM point_results WHERE job_id = ? AND status = 'ok'`).all(
      jobId,
    ) as Array<{ point_key: string }>;
    return new Set(rows.map((r) => r.point_key));
  }

  hasPassingOrFinalEval(jobId: string): boolean {
    return this.stmt(`SELECT 1 FROM eval_results WHERE job_id = ? LIMIT 1`).get(jobId) !== undefined;
  }

  countPoints(q: ResultQuery): number {
    const { where, params } = whereOf(q);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM point_results ${where}`).get(params) as { n: number }).n;
  }

  queryPoints(q: ResultQuery): PointRow[] {
    const { where, params } = whereOf(q);
    const rows = this.db
      .prepare(`SELECT * FROM point_results ${where} ORDER BY id LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: q.limit ?? 1000, offset: q.offset ?? 0 }) as Array<Record<string, unknown>>;
    return rows.map(toPointRow);
  }

  queryEvals(q: ResultQuery): Array<Record<string, unknown>> {
    const { where, params } = whereOf(q);
    const rows = this.db
      .prepare(`SELECT * FROM eval_results ${where} ORDER BY id LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: q.limit ?? 1000, offset: q.offset ?? 0 }) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      ...r,
      nodes: JSON.parse(String(r.nodes)),
      result: JSON.parse(String(r.result)),
      deployment: undefined,
      emulated: r.emulated === 1,
      passed: r.passed === 1,
    }));
  }

  close(): void {
    this.db.close();
  }
}

function whereOf(q: ResultQuery): { where: string; params: Record<string, unknown> } {
  const conds: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (col: string, op: string, name: string, v: unknown) => {
    if (v === undefined) return;
    conds.push(`${col} ${op} @${name}`);
    params[name] = v;
  };
  add("sweep_id", "=", "sweepId", q.sweepId);
  add("job_id", "=", "jobId", q.jobId);
  add("config_key", "=", "configKey", q.configKey);
  add("sku", "=", "sku", q.sku);
  add("fingerprint", "=", "fingerprint", q.fingerprint);
  add("received_at", ">=", "since", q.since);
  add("received_at", "<", "until", q.until);
  if (q.emulated !== "any") add("emulated", "=", "emulated", q.emulated ? 1 : 0);
  return { where: conds.length ? `WHERE ${conds.join(" AND ")}` : "", params };
}

function toPointRow(r: Record<string, unknown>): PointRow {
  const d = JSON.parse(r.deployment as string) as Pick<Deployment, "modelPrefix" | "specDecoding">;
  return {
    id: r.id as number,
    fingerprint: r.fingerprint as string,
    pointKey: r.point_key as string,
    attemptId: r.attempt_id as string,
    sweepId: r.sweep_id as string,
    jobId: r.job_id as string,
    configKey: r.config_key as string,
    sku: r.sku as string,
    model: r.model as string,
    modelPrefix: d.modelPrefix,
    framework: r.framework as string,
    precision: r.precision as string,
    specDecoding: d.specDecoding,
    image: r.image as string,
    engineVersion: (r.engine_version as string | null) ?? null,
    concurrency: r.concurrency as number,
    isl: r.isl as number,
    osl: r.osl as number,
    status: r.status as string,
    nodes: JSON.parse(r.nodes as string) as string[],
    gpusTotal: r.gpus_total as number,
    totalTokenThroughput: r.total_token_throughput as number | null,
    outputThroughput: r.output_throughput as number | null,
    tputPerGpu: r.tput_per_gpu as number | null,
    medianTtftMs: r.median_ttft_ms as number | null,
    medianTpotMs: r.median_tpot_ms as number | null,
    interactivity: r.interactivity as number | null,
    startedAt: r.started_at as string,
    finishedAt: r.finished_at as string,
    receivedAt: r.received_at as string,
    emulated: r.emulated === 1,
    result: JSON.parse(r.result as string) as PointResult,
  };
}
