/**
 * `results ls` / `results export` / `results frontier` against a real controller holding one
 * emulated sweep (what the demo fleet of `benchfleet up` produces), through the real CLI: a named
 * sweep or job shows its results whatever they are; an unnamed query keeps emulated results out
 * and says so on stderr (stdout stays the table, CSV or JSON).
 */
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
});
