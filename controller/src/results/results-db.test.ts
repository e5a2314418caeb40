import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    expect(db.schemaVersion()).toBe(2);
    expect(db.db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.insertPoint(prov("a1"), fakePointResult({ concurrency: 4, isl: 8, osl: 8 }));
    db.close();
    const again = new ResultsDb(dir);
    expect(again.schemaVersion()).toBe(2);
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
