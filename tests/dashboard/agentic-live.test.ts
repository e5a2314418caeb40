/**
 * An agentic sweep started while the agentic view is open, end to end on the emulated fleet: a real
 * controller, a real agent process tree (the emulated launcher: engine processes with the prefix
 * cache and the host-DRAM tier, the load generator replaying the synthetic trace), Chromium on the
 * controller's dashboard. The view shows each point as it is stored, without a reload; when the
 * sweep is done its per-turn latencies and hit rates are the same in the results API, `results
 * agentic` and the page. Screenshot: docs/screenshots/agentic-live.png.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { type AgenticFrontier, PointResult, type PointRow } from "@benchfleet/shared";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { randomLoopback } from "../helpers/loopback.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const CONCURRENCIES = [2, 4, 8];

describe("a live agentic sweep in the API, the CLI and the agentic view", () => {
  let c: TestController;
  let agent: AgentHandle | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"));
    agent = await startAgent({
      controller: c.url.replace(/^http/, "ws"),
      token: TOKENS.enrol,
      agentId: "agentic-live-h200",
      dataDir: mkdtempSync(join(tmpdir(), "bf-agentic-live-")),
      launcher: "emulated",
      emulate: { sku: "h200", gpus: 8, ip: randomLoopback() },
      emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
      backoff: { initialMs: 50, maxMs: 500 },
      stopGraceMs: 2000,
    });
    await until(
      async () => (await c.api("GET", "/api/v1/nodes/agentic-live-h200")).body?.state === "idle",
      10_000,
      "idle",
    );
    browser = await launchChromium();
    page = await signedInPage(browser, c.url, TOKENS.viewer, "#/agentic");
    page.on("pageerror", (e) => console.log("page error:", e.message));
  }, 60_000);
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await agent?.stop();
    await c.stop();
  });

  it("points appear in the view as they are stored; API, CLI and page agree on hit rates and per-turn latencies", async () => {
    const p = page!;
    const points = '[data-testid="agentic-stats"]';
    // every sweep's points (a retry finds the view filtered to the previous try's sweep)
    await p.evaluate(() => {
      location.hash = "#/agentic";
    });
    // points stored before (none, unless this test is retried)
    await p.waitForSelector(`${points}[data-points]`, { state: "attached", timeout: 15_000 });
    await p.waitForSelector("text=no successful agentic point matches", { timeout: 15_000 }).catch(() => undefined);
    const before = Number(await p.getAttribute(points, "data-points"));
    // every value the point count takes, and a marker a reload would lose
    await p.evaluate((sel) => {
      const w = window as unknown as { __seen: string[]; __sameDocument: boolean };
      w.__sameDocument = true;
      w.__seen = [];
      const el = document.querySelector(sel)!;
      new MutationObserver(() => w.__seen.push(el.getAttribute("data-points") ?? "")).observe(el, {
        attributes: true,
        attributeFilter: ["data-points"],
      });
    }, points);

    const { maxModelLen: _, ...base } = makeDeployment({
      seed: "agentic-live",
      sku: "h200",
      gpusPerNode: 1,
      // trace seconds: the emulator's clock runs 20× fast, so each point measures 3 s of wall time
      points: CONCURRENCIES.map((concurrency) => ({ concurrency, isl: 0, osl: 0, durationS: 60 })),
      phaseTimeoutS: 120,
    });
    const d = {
      ...base,
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      precision: "bf16",
      isl: 0,
      osl: 0,
      scenario: "agentic-coding",
      agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "vllm-native" }, dramOffloadGb: 40 },
      promptsPerConc: 4,
    };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "agentic-live", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;

    // the first point shows while the sweep still runs
    await p.waitForFunction(
      ([sel, n]) => Number(document.querySelector(sel as string)?.getAttribute("data-points")) > (n as number),
      [points, before],
      { timeout: 120_000 },
    );
    const atFirst = await c.api("GET", `/api/v1/sweeps/${sweepId}`, undefined, TOKENS.viewer);
    expect(atFirst.body.status).toBe("running");
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");
    const all = before + CONCURRENCIES.length;
    await p.waitForSelector(`${points}[data-points="${all}"]`, { state: "attached", timeout: 15_000 });
    const live = await p.evaluate(() => {
      const w = window as unknown as { __seen?: string[]; __sameDocument?: boolean };
      return { seen: w.__seen ?? [], sameDocument: w.__sameDocument === true };
    });
    expect(live.sameDocument).toBe(true);
    // the points arrived one refetch at a time, not all at once
    expect(live.seen.some((n) => Number(n) > before && Number(n) < all)).toBe(true);

    // the results API: per-turn metrics and the engines' hit rates stored with each point
    const list = await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const rows = list.body.items as PointRow[];
    expect(rows.map((r) => r.concurrency).sort((a, b) => a - b)).toEqual(CONCURRENCIES);
    for (const row of rows) {
      const r = PointResult.parse(row.result);
      expect(r.status, r.failureReason).toBe("ok");
      expect(r.agentic!.requests.completed).toBeGreaterThan(0);
      expect(r.agentic!.ttftMs.p99).toBeGreaterThan(0);
      expect(r.agentic!.itlMs.median).toBeGreaterThan(0);
      expect(r.engineMetrics!.roles[0]!.prefixCache!.hitRate).toBeGreaterThan(0.3);
    }
    const f = await c.api("GET", `/api/v1/results/agentic-frontier?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const groups = f.body.groups as AgenticFrontier[];
    expect(groups).toHaveLength(1);
    const apiPoints = [...groups[0]!.points, ...groups[0]!.dominated];
    expect(apiPoints).toHaveLength(CONCURRENCIES.length);
    const pct = (v: number | null) => `${((v ?? Number.NaN) * 100).toFixed(1)}%`;
    const apiHitRates = apiPoints.map((q) => pct(q.hitRate)).sort();

    // the CLI: the same hit rates
    const cli = await runCliAsync(["results", "agentic", "--sweep", sweepId, "--csv"], {
      env: { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer },
    });
    expect(cli.code, cli.stderr).toBe(0);
    const [header, ...lines] = cli.stdout.trim().split("\n");
    expect(header!.split(",").slice(0, 4)).toEqual(["group", "tok/s/user", "tok/s/GPU", "hit rate"]);
    expect(lines.map((l) => l.split(",")[3]).sort()).toEqual(apiHitRates);

    // the page: one row per point with the API's hit rate and per-turn latencies; the tooltip names them
    await p.selectOption('[data-testid="agentic-sweep"]', sweepId);
    await p.waitForSelector(`${points}[data-points="${CONCURRENCIES.length}"]`, { state: "attached", timeout: 15_000 });
    expect((await p.locator('[data-testid="agentic-hit-rate"]').allTextContents()).sort()).toEqual(apiHitRates);
    const tableRows = await p.locator('[data-testid="agentic-table"] tbody tr').allTextContents();
    // as the page formats a number
    const fmt = (v: number | null) =>
      v === null ? "–" : Math.abs(v) >= 1000 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : v.toFixed(1);
    for (const q of apiPoints) {
      // a row of this point: its hit rate and its TTFT median / p99 (points may share a hit rate)
      const ttft = `${fmt(q.turns.ttftMs.median)} / ${fmt(q.turns.ttftMs.p99)}`;
      const withRate = tableRows.filter((r) => r.includes(pct(q.hitRate)));
      expect(
        withRate.filter((r) => r.includes(ttft)),
        `${ttft} in ${withRate.join("\n")}`,
      ).not.toHaveLength(0);
    }
    const box = (await p.locator('[data-testid="agentic-chart"] .u-over').boundingBox())!;
    let tip = "";
    for (let x = 0.01; x < 1 && !tip.includes("trajectories in flight"); x += 0.01) {
      await p.mouse.move(box.x + box.width * x, box.y + box.height / 2);
      const t = p.locator('[data-testid="agentic-tooltip"]');
      tip = (await t.count()) ? ((await t.textContent()) ?? "") : "";
    }
    expect(tip).toMatch(/prefix-cache hit rate \d+\.\d%/);
    expect(tip).toMatch(/per turn \(median \/ p99\): TTFT [\d.,]+ \/ [\d.,]+ ms · ITL [\d.,]+ \/ [\d.,]+ ms/);
    expect(tip).toContain(`sweep ${sweepId}`);
    await screenshot(p, "agentic-live");
  }, 300_000);
});
