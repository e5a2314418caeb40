/** Stored agentic points (deployments of the agentic-coding scenario) and their frontiers. */
import { type AgenticFrontier, type AgenticRow, agenticFrontiers, Deployment, PointResult } from "@benchfleet/shared";
import type { ResultsDb } from "./results-db.js";

export interface AgenticFilter {
  sweeps?: string[];
  skus?: string[];
  model?: string;
  /** default: real results only; with sweeps named, both */
  emulated?: boolean | "any";
}

export function agenticRows(results: ResultsDb, f: AgenticFilter = {}): AgenticRow[] {
  const conds = [`json_extract(deployment, '$.scenario') = 'agentic-coding'`];
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
  const emulated = f.emulated ?? (f.sweeps?.length ? "any" : false);
  if (emulated !== "any") {
    conds.push("emulated = ?");
    params.push(emulated ? 1 : 0);
  }
  const rows = results.db
    .prepare(
      `SELECT fingerprint, point_key, attempt_id, sweep_id, job_id, deployment, result FROM point_results WHERE ${conds.join(" AND ")} ORDER BY id`,
    )
    .all(...params) as Array<{
    fingerprint: string;
    point_key: string;
    attempt_id: string;
    sweep_id: string;
    job_id: string;
    deployment: string;
    result: string;
  }>;
  return rows.map((r) => ({
    id: `${r.fingerprint.slice(0, 16)}-${r.point_key}-${r.attempt_id}`,
    sweepId: r.sweep_id,
    jobId: r.job_id || null,
    deployment: Deployment.parse(JSON.parse(r.deployment)),
    result: PointResult.parse(JSON.parse(r.result)),
  }));
}

export function agenticFrontierQuery(results: ResultsDb, f: AgenticFilter): AgenticFrontier[] {
  return agenticFrontiers(agenticRows(results, f));
}
