/**
 * The results explorer in a real browser (Debian's Chromium via playwright-core) against a running
 * controller (real Redis, real SQLite results DB). Stored points: DeepSeek-R1 at 1k/1k in fp8, fp8
 * with MTP and fp4 on H200 and fp8 on B200; gpt-oss at 1k/1k; R1 at 1k/128. The page must show one
 * model family and one ISL/OSL (R1 fp4 and fp8 together, never gpt-oss or 1k/128), split series
 * by SKU × framework × precision × spec decoding, keep both charts on the same filtered points,
 * draw on every x and y axis, show a point's configuration, latency, cost, energy and engine
 * metrics on hover and open its job on click. Screenshot: docs/screenshots/results-explorer.png.
 */
import type { Deployment, EngineMetrics } from "@benchfleet/shared";
import { makeRow } from "@benchfleet/shared/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const redisUrl = inject("redisUrl");

/** [concurrency, total tok/s of the deployment, median TPOT ms] */
type Curve = Array<[number, number, number]>;
const CURVE: Curve = [
  [4, 1600, 10],
  [16, 6400, 20],
  [64, 16000, 40],
];

const ENGINE: EngineMetrics = {
  intervalMs: 1000,
  roles: [
    {
      role: "worker",
      process: "server",
      url: "http://127.0.0.1:1/metrics",
      engine: "sglang",
      scrapes: 5,
      failedScrapes: 0,
      kvCacheUsage: { mean: 0.42, max: 0.6 },
      requestsRunning: null,
      requestsWaiting: null,
      prefixCache: { hitRate: 0.25, hitTokens: 25, queryTokens: 100 },
      specDecode: { acceptanceLength: 2.4, acceptanceRate: 0.7, drafts: 10, draftTokens: 30, acceptedTokens: 14 },
      preemptions: 0,
      offload: null,
    },
  ],
};

describe("results explorer in Chromium", () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  let sweepId = "";

  const deployment = (seed: string, o: Partial<Deployment>): Deployment => {
    const d = makeDeployment({
      seed,
      points: CURVE.map(([c]) => ({ concurrency: c, isl: o.isl ?? 1024, osl: o.osl ?? 1024 })),
    });
    const key = `${o.modelPrefix ?? "dsr1"}-${o.precision ?? "fp8"}-${o.sku ?? "h200"}-sglang${o.specDecoding === "mtp" ? "-mtp" : ""}-${seed}`;
    return {
      ...d,
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp8",
      sku: "h200",
      runner: "h200",
      framework: "sglang",
      ...o,
      configKey: key,
      configKeys: [key],
    };
  };

  function store(d: Deployment, factor: number, withEngine = false): void {
    const prov = {
      sweepId,
      jobId: `${sweepId}.${d.fingerprint.slice(0, 16)}`,
      attemptId: `${sweepId}-${d.fingerprint.slice(0, 8)}-1`,
      attemptNumber: 1,
      fencingToken: 1,
      nodes: ["n1"],
      hostnames: ["host1"],
      deployment: d,
    };
    CURVE.forEach(([concurrency, totalTput, medianTpotMs], i) => {
      const r = makeRow({
        concurrency,
        totalTput: totalTput * factor,
        medianTpotMs,
        tp: d.gpus,
        isl: d.isl,
        osl: d.osl,
        energyJ: 40_000,
        date: `2026-01-01T0${i}:00:00.000Z`,
      }).result;
      ctl.ctx.results.insertPoint(prov, { ...r, emulated: true, ...(withEngine ? { engineMetrics: ENGINE } : {}) });
    });
  }

  const ds = {
    fp8: deployment("fp8", {}),
    mtp: deployment("mtp", { specDecoding: "mtp" }),
    fp4: deployment("fp4", { precision: "fp4" }),
    b200: deployment("b200", { sku: "b200", runner: "b200" }),
    gptoss: deployment("gptoss", { model: "openai/gpt-oss-120b", modelPrefix: "gptoss", precision: "fp4" }),
    short: deployment("short", { osl: 128 }),
  };

  beforeAll(async () => {
    buildDashboard();
    ctl = await startTestController(redisUrl);
    sweepId = (
      await ctl.ctx.sweeps.create({
        name: "explorer",
        triggeredBy: "test",
        source: { kind: "plan" },
        deployments: Object.values(ds),
      })
    ).sweepId;
    store(ds.fp8, 1);
    store(ds.mtp, 1.3, true);
    store(ds.fp4, 1.6);
    store(ds.b200, 2);
    store(ds.gptoss, 4);
    store(ds.short, 3);
    browser = await launchChromium();
    page = await signedInPage(browser, ctl.url, TOKENS.viewer, "#/results");
    page.on("pageerror", (e) => console.log("page error:", e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
  });

  const stats = async (id: string) => ({
    points: Number(await page.getAttribute(`[data-testid="${id}"]`, "data-points")),
    series: Number(await page.getAttribute(`[data-testid="${id}"]`, "data-series")),
  });
  /** the uPlot series labels once the chart draws `n` series (built in an effect after the stats render) */
  const labels = async (testId: string, n: number) => {
    await page.waitForFunction(
      ([id, count]) => {
        const el = document.querySelector(`[data-testid="${id}"]`) as
          | (HTMLElement & { uplot?: { series: unknown[] } })
          | null;
        return (el?.uplot?.series.length ?? 0) === 1 + 2 * (count as number);
      },
      [testId, n] as const,
      { timeout: 10_000 },
    );
    return page.evaluate(
      (id) =>
        (
          document.querySelector(`[data-testid="${id}"]`) as HTMLElement & {
            uplot: { series: Array<{ label?: string }> };
          }
        ).uplot.series.map((s) => s.label ?? ""),
      testId,
    );
  };
  const hoverTooltip = async (testId: string) => {
    const box = (await page.locator(`[data-testid="${testId}"] .u-over`).boundingBox())!;
    for (let x = 0.02; x < 1; x += 0.04) {
      await page.mouse.move(box.x + box.width * x, box.y + box.height / 2);
      if (await page.locator('[data-testid="chart-tooltip"]').count()) return box;
    }
    throw new Error("no tooltip anywhere on the chart");
  };

  it("one model family and one ISL/OSL: R1 fp4 and fp8 together, never gpt-oss or 1k/128", async () => {
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="chart-stats"]')?.getAttribute("data-points")) > 0,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.inputValue('[data-testid="results-scenario"]')).toBe("dsr1 1024/1024");
    expect(await page.locator('[data-testid="results-scenario"] option').allTextContents()).toEqual([
      "dsr1 · ISL/OSL 1024/1024 (12 points)",
      "dsr1 · ISL/OSL 1024/128 (3 points)",
      "gptoss · ISL/OSL 1024/1024 (3 points)",
    ]);
    expect(await stats("chart-stats")).toEqual({ points: 12, series: 4 });
    const series = await labels("frontier-chart", 4);
    expect(series.filter((l) => !l.endsWith("(all points)")).slice(1)).toEqual([
      "b200 · sglang · fp8 · no-spec (emulated)",
      "h200 · sglang · fp4 · no-spec (emulated)",
      "h200 · sglang · fp8 · mtp (emulated)",
      "h200 · sglang · fp8 · no-spec (emulated)",
    ]);
    // the second chart (cost) draws the same points
    expect(await stats("second-chart-stats")).toEqual({ points: 12, series: 4 });
    expect(await page.locator('[data-testid="results-pooled"]').count()).toBe(0);
  });

  it("every filter reaches both charts; series by any combination; pooling is named", async () => {
    await page.uncheck('[data-testid="results-sku"] input[value="b200"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="second-chart-stats"]')?.getAttribute("data-points") === "9",
    );
    expect(await stats("chart-stats")).toEqual({ points: 9, series: 3 });
    expect(page.url()).toContain("sku=h200");
    await page.selectOption('[data-testid="results-spec"]', "off");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="second-chart-stats"]')?.getAttribute("data-points") === "6",
    );
    expect(await stats("chart-stats")).toEqual({ points: 6, series: 2 });
    await page.selectOption('[data-testid="results-spec"]', "");
    // series by SKU only: one series pooling precision and spec decoding, named above the chart
    await page.uncheck('[data-testid="results-series"] input[value="framework"]');
    await page.uncheck('[data-testid="results-series"] input[value="precision"]');
    await page.uncheck('[data-testid="results-series"] input[value="spec"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-stats"]')?.getAttribute("data-series") === "1",
    );
    expect(await page.textContent('[data-testid="results-pooled"]')).toContain("precision, spec");
    await page.check('[data-testid="results-series"] input[value="precision"]');
    await page.check('[data-testid="results-series"] input[value="spec"]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="second-chart-stats"]')?.getAttribute("data-series") === "3",
    );
    expect(await labels("frontier-chart", 3)).toContain("h200 · fp8 · mtp (emulated)");
  });

  it("default targets lie inside the data; the table has a value in every cell", async () => {
    const heads = await page.locator('[data-testid="at-table"] thead th').allTextContents();
    expect(heads.length).toBeGreaterThanOrEqual(4);
    const cells = page.locator('[data-testid="at-table"] tbody td[data-ok]');
    expect(await cells.count()).toBeGreaterThanOrEqual(9);
    expect(await page.locator('[data-testid="at-table"] tbody td[data-ok="0"]').count()).toBe(0);
  });

  it("hover shows configuration, latency, cost, energy and engine metrics; x and y axes switch", async () => {
    await hoverTooltip("frontier-chart");
    const tip = (await page.textContent('[data-testid="chart-tooltip"]'))!;
    expect(tip).toMatch(/dsr1-fp[48]-h200-sglang/);
    expect(tip).toContain("[emulated]");
    expect(tip).toMatch(/TP8 · 8 GPUs · 1 nodes · conc \d+ · ISL\/OSL 1024\/1024/);
    expect(tip).toMatch(/TTFT 200\.0 ms · E2E [\d.,]+ ms/);
    expect(tip).toMatch(/cost \$[\d.]+\/M tokens · energy [\d.]+ J\/token/);
    expect(tip).toMatch(/engine: (KV cache 60% · prefix hits 25% · MTP acceptance 2\.40|no metrics scraped)/);
    expect(tip).toMatch(/job [^ ]+ \(click to open\)/);
    // the MTP series' points carry their engine metrics
    await page.goto(`${ctl.url}/#/results?sku=h200&spec=on`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-stats"]')?.getAttribute("data-points") === "3",
    );
    await labels("frontier-chart", 1);
    await hoverTooltip("frontier-chart");
    expect(await page.textContent('[data-testid="chart-tooltip"]')).toContain(
      "engine: KV cache 60% · prefix hits 25% · MTP acceptance 2.40",
    );
    for (const [x, label] of [
      ["e2el", "E2E latency median (ms)"],
      ["ttft", "TTFT median (ms)"],
    ] as const) {
      await page.selectOption('[data-testid="results-x"]', x);
      await page.waitForFunction(
        (l) =>
          (
            document.querySelector('[data-testid="frontier-chart"]') as
              | (HTMLElement & { uplot?: { axes: Array<{ label?: string }> } })
              | null
          )?.uplot?.axes[0]?.label === l,
        label,
        { timeout: 10_000 },
      );
    }
    await page.selectOption('[data-testid="results-x"]', "interactivity");
    await page.selectOption('[data-testid="results-y"]', "energy");
    await page.waitForFunction(() => document.body.textContent?.includes("Energy per token (J) vs Interactivity"));
    expect(await stats("chart-stats")).toEqual({ points: 3, series: 1 });
  });

  it("a click on a point opens its job", async () => {
    await page.goto(`${ctl.url}/#/results?sku=h200&series=sku,precision,spec`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-stats"]')?.getAttribute("data-points") === "9",
    );
    await labels("frontier-chart", 3);
    await screenshot(page, "results-explorer");
    await hoverTooltip("frontier-chart");
    const job = (await page.getAttribute('[data-testid="chart-tooltip"]', "data-job"))!;
    expect(job.startsWith(`${sweepId}.`)).toBe(true);
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForURL((u) => decodeURIComponent(u.hash) === `#/jobs/${job}`, { timeout: 10_000 });
  });
});
