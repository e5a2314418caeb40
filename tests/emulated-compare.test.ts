/**
 * Two identical sweeps on the emulated fleet compared show no regression, whatever the host load:
 * a real controller, a real agent with the emulated launcher (engine processes, the load generator
 * in this process), the same deployment run twice, the second time with this process's event loop
 * blocked most of the time (a loaded host). Each point runs twice (`repeats: 2`), so results keep
 * the runs' spread. The compare API, the CLI's `results compare` and the dashboard's compare page
 * (Chromium) must flag nothing and list no change between the runs; the per-point throughput deltas
 * and the runs' spread are logged.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildDashboard, launchChromium, signedInPage } from "./dashboard/browser.js";
import { runCliAsync } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

/** Blocks this process's event loop `busyMs` of every `periodMs`. */
function hogEventLoop(busyMs: number, periodMs: number): () => void {
  const t = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      /* busy */
    }
  }, periodMs - busyMs);
  return () => clearInterval(t);
}

describe("identical emulated sweeps compared", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "cmp-h100",
      dataDir: mkdtempSync(join(tmpdir(), "bf-cmp-")),
      launcher: "emulated",
      emulate: { sku: "h100", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(async () => (await c.api("GET", "/api/v1/nodes/cmp-h100")).body?.state === "idle", 10_000, "idle");
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await c.stop();
  });

  const run = async (name: string) => {
    const d = {
      ...makeDeployment({
        seed: "emulated-compare",
        gpusPerNode: 1,
        points: [4, 16].map((concurrency) => ({ concurrency, isl: 256, osl: 64 })),
        phaseTimeoutS: 120,
      }),
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      isl: 256,
      osl: 64,
      promptsPerConc: 4,
      repeats: 2,
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name, deployments: [d] }, TOKENS.operator);
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 120_000)).status).toBe("succeeded");
    return sweepId;
  };

  it("a quiet run and a run on a blocked host: no regression, throughput within 5 %", async () => {
    const a = await run("cmp-a");
    const stop = hogEventLoop(30, 45);
    let b: string;
    try {
      b = await run("cmp-b");
    } finally {
      stop();
    }
    const cmp = await c.api("GET", `/api/v1/results/compare?a=${a}&b=${b}&emulated=true`, undefined, TOKENS.viewer);
    expect(cmp.status).toBe(200);
    const points = cmp.body.points as Array<{
      concurrency: number;
      tputDelta: number;
      threshold: number;
      regression: boolean;
      a: { runs: number; tputSpread: number | null };
      b: { runs: number; tputSpread: number | null };
    }>;
    console.info(
      `run-to-run throughput/GPU deltas: ${points.map((p) => `c=${p.concurrency} ${(p.tputDelta * 100).toFixed(2)} % (spread of 2 runs: a ${((p.a.tputSpread ?? 0) * 100).toFixed(2)} %, b ${((p.b.tputSpread ?? 0) * 100).toFixed(2)} %)`).join(", ")}`,
    );
    for (const p of points) {
      expect(p.a.runs).toBe(2);
      expect(p.b.runs).toBe(2);
      expect(p.threshold).toBeGreaterThanOrEqual(0.01);
    }
    expect(cmp.body.changes).toEqual([]);
    expect(points.map((p) => p.concurrency).sort((x, y) => x - y)).toEqual([4, 16]);
    for (const p of points) expect(Math.abs(p.tputDelta)).toBeLessThanOrEqual(0.05);
    expect(cmp.body.regressions).toEqual({ points: 0, frontiers: 0 });

    // the CLI: no regression (exit 0 with --fail-on-regression), nothing changed
    const cli = await runCliAsync(["results", "compare", a, b, "--fail-on-regression"], {
      env: { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer },
    });
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain("0 point regression(s), 0 frontier regression(s)");
    expect(cli.stdout).toContain("changed between the runs: nothing");
    expect(cli.stdout).toMatch(/2\/2/); // runs A/B

    // the dashboard: no regression row, nothing changed
    browser = await launchChromium();
    const page = await signedInPage(browser, c.url, TOKENS.viewer, `#/compare?sweeps=${a},${b}`);
    const table = page.locator(`[data-testid="compare-table"][data-a="${a}"][data-b="${b}"]`);
    await table.locator('[data-testid="compare-points"]').waitFor({ timeout: 15_000 });
    expect(await table.locator('[data-testid="compare-summary"]').textContent()).toContain(
      "regressions beyond the noise: 0 points, 0 frontiers",
    );
    expect(await table.locator("tr.regression").count()).toBe(0);
    expect(await table.locator('[data-testid="compare-changes"]').getAttribute("data-count")).toBe("0");
  }, 300_000);
});
