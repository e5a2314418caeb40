import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvalResult } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { makeDeployment } from "../../../tests/helpers/deployments.js";
import { fakePointResult } from "../../../tests/helpers/protocol-agent.js";
import { type Provenance, ResultsDb } from "./results-db.js";

describe("results DB", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const open = (dir?: string) => {
    const d = dir ?? mkdtempSync(join(tmpdir(), "bf-rdb-"));
    if (!dir) dirs.push(d);
    return { dir: d, db: new ResultsDb(d) };
  };
  const prov = (attemptId: string): Provenance => ({
    sweepId: "s1",
    jobId: "s1.j",
    attemptId,
    attemptNumber: 1,
    fencingToken: 3,
    nodes: ["n1"],
    hostnames: ["n1.test"],
    deployment: makeDeployment({ seed: "rdb" }),
  });

  it("migrates at start, uses WAL, and survives a reopen", () => {
    const { dir, db } = open();
    expect(db.schemaVersion()).toBe(3);
    expect(db.db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.insertPoint(prov("a1"), fakePointResult({ concurrency: 4, isl: 8, osl: 8 }));
    db.close();
    const again = new ResultsDb(dir);
    expect(again.schemaVersion()).toBe(3);
    expect(again.countPoints({ emulated: "any" })).toBe(1);
    // finishing an attempt stamps its results by attempt id: an index lookup, not a table scan
    for (const table of ["point_results", "eval_results"]) {
      const plan = again.db
        .prepare(
          `EXPLAIN QUERY PLAN UPDATE ${table} SET engine_version = ? WHERE attempt_id = ? AND engine_version IS NULL`,
        )
        .all("v", "a1") as Array<{ detail: string }>;
      expect(plan.map((r) => r.detail).join(" ")).toMatch(/USING INDEX \w+_attempt/);
    }
    again.close();
  });

  const evalResult = (concurrency?: number, exactMatch = 0.95): EvalResult => ({
    task: "gsm8k",
    harness: "builtin",
    n: 20,
    strict: { exactMatch, stderr: 0.01 },
    flexible: { exactMatch, stderr: 0.01 },
    failedRequests: 0,
    threshold: 0.9,
    passed: exactMatch >= 0.9,
    ...(concurrency !== undefined ? { concurrency } : {}),
    durationS: 1,
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: "2026-01-01T00:00:01Z",
    emulated: true,
  });

  it("keeps one eval per concurrency of an attempt, idempotently; a v2 database keeps its evals", () => {
    const { db } = open();
    expect(db.insertEval(prov("a1"), evalResult(64))).toBe(true);
    expect(db.insertEval(prov("a1"), evalResult(128, 0.5))).toBe(true);
    expect(db.insertEval(prov("a1"), evalResult(64))).toBe(false);
    const rows = db.db.prepare("SELECT concurrency, passed FROM eval_results ORDER BY concurrency").all();
    expect(rows).toEqual([
      { concurrency: 64, passed: 1 },
      { concurrency: 128, passed: 0 },
    ]);
    db.close();

    // a database written at v2 (one eval per attempt), opened now
    const v2dir = mkdtempSync(join(tmpdir(), "bf-rdb-v2-"));
    dirs.push(v2dir);
    const old = new ResultsDb(v2dir);
    old.insertEval(prov("a1"), evalResult());
    old.db.exec(`CREATE TABLE t AS SELECT * FROM eval_results; DROP TABLE eval_results;
      CREATE TABLE eval_results AS SELECT id, fingerprint, attempt_id, sweep_id, job_id, config_key, sku, model,
        framework, image, engine_version, task, strict_em, flexible_em, threshold, passed, nodes, received_at,
        emulated, deployment, result FROM t; DROP TABLE t;`);
    old.db.pragma("user_version = 2");
    old.close();
    const reopened = new ResultsDb(v2dir);
    expect(reopened.schemaVersion()).toBe(3);
    expect(reopened.db.prepare("SELECT concurrency FROM eval_results").all()).toEqual([{ concurrency: 0 }]);
    expect(reopened.insertEval(prov("a1"), evalResult())).toBe(false);
    reopened.close();
  });

  it("inserts are idempotent per fingerprint + point + attempt, with provenance and derived metrics", () => {
    const { db } = open();
    const r = fakePointResult({ concurrency: 4, isl: 8, osl: 8 }, 8);
    expect(db.insertPoint(prov("a1"), r)).toBe(true);
    expect(db.insertPoint(prov("a1"), r)).toBe(false);
    expect(db.insertPoint(prov("a2"), r)).toBe(true); // another attempt measuring the same point is kept apart
    const rows = db.queryPoints({ emulated: true });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      sweepId: "s1",
      nodes: ["n1"],
      image: "example/engine:1.0",
      tputPerGpu: 1000,
      interactivity: 100,
      emulated: true,
    });
    expect(db.queryPoints({ emulated: false })).toHaveLength(0);
    expect(db.storedPointKeys("s1.j")).toEqual(new Set(["c4-i8-o8"]));
    db.recordAttempt({
      attemptId: "a1",
      jobId: "s1.j",
      sweepId: "s1",
      fingerprint: "f",
      attemptNumber: 1,
      fencingToken: 3,
      nodes: ["n1"],
      state: "succeeded",
      engineVersion: "vllm 0.11",
      gpus: 8,
      startedAt: new Date().toISOString(),
      emulated: true,
    });
    expect(
      db
        .queryPoints({ emulated: true, fingerprint: prov("a1").deployment.fingerprint })
        .find((x) => x.attemptId === "a1")?.engineVersion,
    ).toBe("vllm 0.11");
    db.close();
  });
});
