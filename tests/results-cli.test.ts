/**
 * `results ls` / `results export` / `results frontier` against a real controller holding one
 * emulated sweep (what the demo fleet of `benchfleet up` produces), through the real CLI: a named
 * sweep or job shows its results whatever they are; an unnamed query keeps emulated results out
 * and says so on stderr (stdout stays the table, CSV or JSON).
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRow } from "@benchfleet/shared/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "./helpers/cli.js";
import { startTestController, type TestController, TOKENS } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";

let ctl: TestController;
let env: Record<string, string>;
const SWEEP = "s-demo-emulated";
let jobId: string;
const HINT = "emulated ones are left out";

const ENGINE_METRICS = {
  intervalMs: 1000,
  roles: [
    {
      role: "worker",
      process: "worker-0",
      url: "http://127.0.0.1:8000/metrics",
      engine: "vllm" as const,
      scrapes: 12,
      failedScrapes: 0,
      kvCacheUsage: { mean: 0.3, max: 0.47 },
      requestsRunning: { mean: 15.2, max: 16 },
      requestsWaiting: { mean: 0, max: 0 },
      prefixCache: { hitRate: 0.25, hitTokens: 250, queryTokens: 1000 },
      specDecode: null,
      preemptions: 0,
      offload: null,
    },
  ],
};

beforeAll(async () => {
  ctl = await startTestController(inject("redisUrl"));
  env = { BENCHFLEET_URL: ctl.url, BENCHFLEET_TOKEN: TOKENS.viewer };
  const d = makeDeployment({
    seed: "results-cli",
    points: [4, 16].map((c) => ({ concurrency: c, isl: 1024, osl: 1024 })),
  });
  jobId = `${SWEEP}.${d.fingerprint.slice(0, 16)}`;
  const prov = {
    sweepId: SWEEP,
    jobId,
    attemptId: `${jobId}.a1-1`,
    attemptNumber: 1,
    fencingToken: 1,
    nodes: ["emu-h100-0"],
    hostnames: ["vm"],
    deployment: d,
  };
  for (const [i, conc] of [4, 16].entries()) {
    const r = makeRow({ concurrency: conc, totalTput: 1000 * (i + 1), medianTpotMs: 10, date: "2025-06-01" }).result;
    if (conc === 16) r.engineMetrics = ENGINE_METRICS;
    ctl.ctx.results.insertPoint(prov, { ...r, emulated: true });
  }
});

afterAll(async () => {
  await ctl?.stop();
});

describe("results CLI and emulated results", () => {
  it("the results API lists a named emulated sweep or job, keeps emulated results out of unnamed queries", async () => {
    const get = async (q: string) => (await ctl.api("GET", `/api/v1/results${q}`, undefined, TOKENS.viewer)).body;
    expect((await get(`?sweep=${SWEEP}`)).total).toBe(2); // was 0: emulated=false by default
    expect((await get(`?job=${encodeURIComponent(jobId)}`)).total).toBe(2);
    expect((await get(`?sweep=${SWEEP}&emulated=false`)).total).toBe(0); // an explicit filter still wins
    expect((await get("")).total).toBe(0);
    expect((await get("?emulated=any")).total).toBe(2);
    const csv = await ctl.api("GET", `/api/v1/results/export?format=csv&sweep=${SWEEP}`, undefined, TOKENS.viewer);
    expect(String(csv.body).trim().split("\n")).toHaveLength(3);
  });

  it("the CLI: results ls --job shows them; an empty unnamed export says why on stderr; frontier prints tput/GPU once", async () => {
    // side by side: each CLI start costs seconds on a small machine
    const [table, csv, frontier, cost] = await Promise.all([
      runCliAsync(["results", "ls", "--job", jobId], { env }),
      runCliAsync(["results", "export", "--format", "csv"], { env }),
      runCliAsync(["results", "frontier", "--sweep", SWEEP, "--csv"], { env }),
      runCliAsync(["results", "frontier", "--sweep", SWEEP, "--y", "cost", "--csv"], { env }),
    ]);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split("\n");
    expect(rows).toHaveLength(4); // header, rule, two points (was "(none)")
    expect(rows.slice(2).every((l) => l.trimEnd().endsWith("yes"))).toBe(true); // the emulated column
    expect(rows[0]).toContain("engine");
    const withMetrics = rows.filter((l) => l.includes("kv 47% · prefix hit 25% · preempt 0"));
    expect(withMetrics).toHaveLength(1);
    expect(withMetrics[0]).toMatch(/\s16\s/); // the c=16 point carries them
    expect(table.stderr).not.toContain(HINT);

    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split("\n")).toHaveLength(1); // the header only, stdout stays CSV
    expect(csv.stderr).toContain(HINT);

    expect(frontier.code, frontier.stderr).toBe(0);
    const header = frontier.stdout.split("\n")[0].split(",");
    expect(header.slice(0, 3)).toEqual(["group", "interactivity", "tputPerGpu"]);
    expect(header).not.toContain("tok/s/GPU"); // was printed twice: tputPerGpu and tok/s/GPU
    expect(cost.stdout.split("\n")[0].split(",")).toContain("tok/s/GPU");
  }, 60_000); // four CLI processes on a shared 2-core host

  it("the CLI exports one `vllm bench serve` JSON per point and the lab's aggregated rows", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vllm-export-"));
    const [vllm, agg, noDir, badFilter] = await Promise.all([
      runCliAsync(["results", "export", "--format", "vllm-bench", "--sweep", SWEEP, "-o", dir], { env }),
      runCliAsync(["results", "export", "--format", "lab-agg", "--sweep", SWEEP], { env }),
      runCliAsync(["results", "export", "--format", "vllm-bench", "--sweep", SWEEP], { env }),
      runCliAsync(["results", "export", "--format", "lab-agg", "--job", jobId], { env }),
    ]);
    expect(vllm.code, vllm.stderr).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const bench = files.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
    // the keys the lab's result processing reads from a `vllm bench serve` file
    for (const b of bench)
      for (const k of ["max_concurrency", "model_id", "total_token_throughput", "output_throughput", "median_ttft_ms"])
        expect(b, k).toHaveProperty(k);
    expect(bench.map((b) => b.max_concurrency).sort((a, b) => a - b)).toEqual([4, 16]);
    expect(bench.map((b) => b.total_token_throughput).sort((a, b) => a - b)).toEqual([1000, 2000]);
    expect(bench.find((b) => b.max_concurrency === 16).benchfleet.row.result.engineMetrics).toEqual(ENGINE_METRICS);

    expect(agg.code, agg.stderr).toBe(0);
    const aggRows = JSON.parse(agg.stdout);
    expect(aggRows.map((r: { conc: number }) => r.conc).sort((a: number, b: number) => a - b)).toEqual([4, 16]);
    expect(aggRows[0]).toHaveProperty("tput_per_gpu");

    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain("name a directory with -o DIR");
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toContain("not --job");
  }, 60_000);
});
