/**
 * `results ls` / `results export` / `results frontier` against a real controller holding one
 * emulated sweep (what the demo fleet of `benchfleet up` produces), through the real CLI: a named
 * sweep or job shows its results whatever they are; an unnamed query keeps emulated results out
 * and says so on stderr (stdout stays the table, CSV or JSON).
 */
import { makeRow } from "@benchfleet/shared/analytics/test-support";
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
  it("results ls --sweep / --job list a named emulated sweep's points (was: '(none)')", async () => {
    // the CLI runs side by side (each start costs seconds on a small machine)
    const [bySweep, table, csv, real] = await Promise.all([
      runCliAsync(["results", "ls", "--sweep", SWEEP, "--json"], { env }),
      runCliAsync(["results", "ls", "--job", jobId], { env }),
      runCliAsync(["results", "export", "--format", "csv", "--sweep", SWEEP], { env }),
      runCliAsync(["results", "ls", "--sweep", SWEEP, "--emulated", "false", "--json"], { env }),
    ]);
    expect(bySweep.code).toBe(0);
    const r = JSON.parse(bySweep.stdout);
    expect(r.total).toBe(2);
    expect(r.items.every((p: { emulated: boolean; sweepId: string }) => p.emulated && p.sweepId === SWEEP)).toBe(true);
    expect(bySweep.stderr).not.toContain(HINT);

    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split("\n");
    expect(rows).toHaveLength(4); // header, rule, two points
    expect(rows.slice(2).every((l) => l.trimEnd().endsWith("yes"))).toBe(true); // the emulated column

    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split("\n")).toHaveLength(3);

    // an explicit filter still wins over the default
    expect(JSON.parse(real.stdout).total).toBe(0);
  });

  it("unnamed queries leave emulated results out and say so on stderr; stdout stays parseable", async () => {
    const [ls, csv, frontier, all] = await Promise.all([
      runCliAsync(["results", "ls", "--json"], { env }),
      runCliAsync(["results", "export", "--format", "csv"], { env }),
      runCliAsync(["results", "frontier", "--json"], { env }),
      runCliAsync(["results", "export", "--emulated", "any"], { env }),
    ]);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).total).toBe(0);
    expect(ls.stderr).toContain(HINT);

    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split("\n")).toHaveLength(1); // the header
    expect(csv.stderr).toContain(HINT);

    expect(frontier.code).toBe(0);
    expect(JSON.parse(frontier.stdout).groups).toEqual([]);
    expect(frontier.stderr).toContain(HINT);

    expect(JSON.parse(all.stdout).count).toBe(2);
    expect(all.stderr).not.toContain(HINT);
  });

  it("results frontier prints throughput/GPU once (the y column), other axes keep it beside", async () => {
    const [byDefault, cost] = await Promise.all([
      runCliAsync(["results", "frontier", "--sweep", SWEEP, "--csv"], { env }),
      runCliAsync(["results", "frontier", "--sweep", SWEEP, "--y", "cost", "--csv"], { env }),
    ]);
    expect(byDefault.code).toBe(0);
    const header = byDefault.stdout.split("\n")[0].split(",");
    expect(header.slice(0, 3)).toEqual(["group", "interactivity", "tputPerGpu"]);
    expect(header).not.toContain("tok/s/GPU");
    expect(cost.stdout.split("\n")[0].split(",")).toContain("tok/s/GPU");
  });
});
