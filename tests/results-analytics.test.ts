/**
 * Results analytics end to end: a real controller (fastify, Redis, SQLite results DB) holding two
 * sweeps of measured points (the second with a planted regression), the analytics routes, and the
 * real CLI as a child process (frontier, at, history, compare, import twice, report).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment } from "@benchfleet/shared";
import { makeRow } from "@benchfleet/shared/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { startTestController, type TestController, TOKENS } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";

const FIXTURES = fileURLToPath(new URL("../controller/src/results/fixtures/import/", import.meta.url));
const CURVE: Array<[number, number, number]> = [
  [4, 1600, 9],
  [16, 5200, 14],
  [64, 14000, 25],
  [256, 26000, 60],
];

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let ctl: TestController;
let env: Record<string, string>;
const tmp = mkdtempSync(join(tmpdir(), "bf-analytics-"));

function store(sweepId: string, image: string, scale: (conc: number) => number, day: string): void {
  const base = makeDeployment({
    seed: `analytics-${image}`,
    points: CURVE.map(([c]) => ({ concurrency: c, isl: 1024, osl: 1024 })),
  });
  const d: Deployment = {
    ...base,
    image,
    configKey: "dsr1-fp8-h100-vllm",
    configKeys: ["dsr1-fp8-h100-vllm"],
    modelPrefix: "dsr1",
  };
  const attemptId = `${sweepId}-att-1`;
  const prov = {
    sweepId,
    jobId: `${sweepId}.${d.fingerprint.slice(0, 16)}`,
    attemptId,
    attemptNumber: 1,
    fencingToken: 1,
    nodes: ["n1"],
    hostnames: ["host1"],
    deployment: d,
    engineVersion: image.split(":")[1],
  };
  CURVE.forEach(([conc, tput, tpot], i) => {
    const r = makeRow({
      concurrency: conc,
      totalTput: tput * scale(conc),
      medianTpotMs: tpot,
      date: `${day}T0${i}:00:00.000Z`,
    }).result;
    ctl.ctx.results.insertPoint(prov, { ...r, emulated: true, finishedAt: `${day}T0${i}:30:00.000Z` });
  });
  ctl.ctx.results.recordAttempt({
    attemptId,
    jobId: prov.jobId,
    sweepId,
    fingerprint: d.fingerprint,
    attemptNumber: 1,
    fencingToken: 1,
    nodes: ["n1"],
    state: "succeeded",
    gpus: 8,
    startedAt: `${day}T00:00:00.000Z`,
    finishedAt: `${day}T04:00:00.000Z`,
    emulated: true,
  });
}

beforeAll(async () => {
  ctl = await startTestController(inject("redisUrl"));
  env = { BENCHFLEET_URL: ctl.url, BENCHFLEET_TOKEN: TOKENS.operator };
  store("sweep-a", "vllm/vllm-openai:v0.10.0", () => 1, "2025-06-01");
  store("sweep-b", "vllm/vllm-openai:v0.10.1", (c) => (c === 64 ? 0.8 : 1.02), "2025-06-08");
});

afterAll(async () => {
  await ctl?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("analytics API", () => {
  it("frontier keeps the configuration, and emulated results never mix into a real query", async () => {
    const real = await ctl.api("GET", "/api/v1/results/frontier?model=dsr1", undefined, TOKENS.viewer);
    expect(real.status).toBe(200);
    expect(real.body.groups).toEqual([]);
    const r = await ctl.api(
      "GET",
      "/api/v1/results/frontier?model=dsr1&emulated=true&sweep=sweep-a",
      undefined,
      TOKENS.viewer,
    );
    expect(r.body.groups).toHaveLength(1);
    const g = r.body.groups[0];
    expect(g.key).toBe("dsr1 fp8 1k/1k h100 vllm");
    expect(g.points.map((p: { concurrency: number }) => p.concurrency)).toEqual([256, 64, 16, 4]);
    expect(g.points[0]).toMatchObject({
      parallelism: "TP8",
      gpus: 8,
      image: "vllm/vllm-openai:v0.10.0",
      sweepId: "sweep-a",
      provenance: "emulated",
    });
    expect(g.points[0].tputPerGpu).toBeCloseTo(26000 / 8, 9);
    const bad = await ctl.api("GET", "/api/v1/results/frontier?x=speed", undefined, TOKENS.viewer);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^invalid query: x:/);
  });

  it("at: interpolated values and out-of-range answers", async () => {
    const r = await ctl.api("GET", "/api/v1/results/at?sweep=sweep-a&interactivity=40,500", undefined, TOKENS.viewer);
    expect(r.status).toBe(200);
    const at = r.body.groups[0].at;
    expect(at[0]).toMatchObject({ ok: true, exact: true });
    expect(at[0].tputPerGpu).toBeCloseTo(14000 / 8, 9);
    expect(at[0].cost.hyperscaler).toBeCloseTo(1.3 / (((14000 / 8) * 3600) / 1e6), 9);
    expect(at[1]).toMatchObject({ ok: false, reason: "above-range" });
  });

  it("history: one frontier per sweep and image, oldest first", async () => {
    const r = await ctl.api(
      "GET",
      "/api/v1/results/history?configKey=dsr1-fp8-h100-vllm&emulated=true&interactivity=40",
      undefined,
      TOKENS.viewer,
    );
    expect(
      r.body.entries.map((e: { sweepId: string; image: string; engineVersion: string }) => [
        e.sweepId,
        e.image,
        e.engineVersion,
      ]),
    ).toEqual([
      ["sweep-a", "vllm/vllm-openai:v0.10.0", "v0.10.0"],
      ["sweep-b", "vllm/vllm-openai:v0.10.1", "v0.10.1"],
    ]);
    expect(r.body.entries[1].groups[0].at[0].tputPerGpu).toBeCloseTo((14000 * 0.8) / 8, 9);
  });

  it("compare flags the planted regression", async () => {
    const r = await ctl.api("GET", "/api/v1/results/compare?a=sweep-a&b=sweep-b", undefined, TOKENS.viewer);
    expect(r.status).toBe(200);
    expect(r.body.regressions).toEqual({ points: 1, frontiers: 1 });
    const flagged = r.body.points.filter((p: { regression: boolean }) => p.regression);
    expect(flagged.map((p: { concurrency: number }) => p.concurrency)).toEqual([64]);
    expect(flagged[0].tputDelta).toBeCloseTo(-0.2, 9);
    const missing = await ctl.api("GET", "/api/v1/results/compare?a=sweep-a&b=nope", undefined, TOKENS.viewer);
    expect(missing.status).toBe(404);
  });

  it("import needs the operator role", async () => {
    const r = await ctl.api("POST", "/api/v1/results/import", { rows: [] }, TOKENS.viewer);
    expect(r.status).toBe(403);
  });
});

describe("results CLI against the controller", () => {
  it("frontier and at print tables; --json and --csv", async () => {
    const t = await runCli(["results", "frontier", "--sweep", "sweep-b"], env);
    expect(t.stderr).toBe("");
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^group\s+interactivity\s+tputPerGpu/);
    expect(t.stdout).toContain("dsr1 fp8 1k/1k h100 vllm");
    const c = await runCli(["results", "at", "--sweep", "sweep-a", "-i", "40,500", "--csv"], env);
    expect(c.stdout.split("\n")[1]).toBe("dsr1 fp8 1k/1k h100 vllm,1750 · $0.206,out of range (16.7–111.1)");
  }, 30_000);

  it("compare prints the regression and can fail a CI job", async () => {
    const r = await runCli(["results", "compare", "sweep-a", "sweep-b", "--fail-on-regression"], env);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/64 .*-20\.0%.*REGRESSION throughput\/GPU -20\.0%/);
    expect(r.stdout).toContain("1 point regression(s), 1 frontier regression(s)");
  }, 30_000);

  it("import is idempotent and the imported history shows up in queries", async () => {
    const args = [
      "results",
      "import",
      FIXTURES,
      "--sku",
      "h100",
      "--tp",
      "8",
      "--framework",
      "sglang",
      "--precision",
      "fp8",
      "--isl",
      "1024",
      "--osl",
      "1024",
      "--model-prefix",
      "dsr1",
      "--json",
    ];
    const first = await runCli(args, env);
    expect(first.stderr).toBe("");
    const firstOut = JSON.parse(first.stdout);
    expect(firstOut).toMatchObject({ files: 3, rows: 4, skipped: [] });
    // 4 new rows; a retry of this test finds the rows its first try stored
    expect(firstOut.inserted + firstOut.existing).toBe(4);
    const again = await runCli(args, env);
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 4, inserted: 0, existing: 4 });
    const fr = await ctl.api(
      "GET",
      "/api/v1/results/frontier?model=dsr1&frameworks=sglang,dynamo-sglang",
      undefined,
      TOKENS.viewer,
    );
    expect(fr.body.groups.map((g: { key: string }) => g.key)).toEqual([
      "dsr1 fp8 1k/1k gb200 dynamo-sglang disagg",
      "dsr1 fp8 1k/1k h100 sglang",
    ]);
    expect(fr.body.groups[1].points.every((p: { provenance: string }) => p.provenance === "imported")).toBe(true);
    const bad = await runCli(["results", "import", join(tmp, "missing")], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: cannot read .*missing: ENOENT\n$/);
  }, 40_000);

  it("report writes a self-contained HTML file", async () => {
    const out = join(tmp, "report.html");
    const r = await runCli(["results", "report", "sweep-b", "--out", out], env);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^wrote .*report\.html/);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("benchfleet report: sweep sweep-b (dsr1 fp8 1k/1k h100 vllm)");
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html).toContain("1 finished attempt(s)");
    expect(html).not.toMatch(/<script|https?:\/\//);
    const none = await runCli(["results", "report", "nope", "--out", out], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "error: GET /api/v1/results/report?sweep=nope&interactivity=20%2C35%2C50%2C100: 404 results of sweep nope not found\n",
    );
  }, 30_000);
});
