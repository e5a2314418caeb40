/**
 * The sweep comparison in a real browser (Debian's Chromium via playwright-core) against a running
 * controller (real Redis, real SQLite results DB) holding three sweeps: last week's, this week's
 * (faster, one more load point, one failed point) and one whose points all failed. The compare
 * page overlays the sweeps' Pareto frontiers on one uPlot chart (read back from the page: series,
 * legend, frontier points), shows the analytics API's table below it, and names a sweep with
 * nothing to draw instead of drawing a broken chart; a frontier's regression is judged against the
 * spread of its repeated points. Screenshots: docs/screenshots/compare.png, compare-frontier-noise.png.
 */
import { combineRepeats, type Deployment } from "@benchfleet/shared";
import { makeRow } from "@benchfleet/shared/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, type TestController, TOKENS } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const redisUrl = inject("redisUrl");

/** [concurrency, total tok/s of the deployment (output = half of it), median TPOT ms] */
type Curve = Array<[number, number, number]>;

// last week: config X on 8 GPUs (3 points, all on the frontier) and config Y on 4 GPUs (2 points, both dominated by X)
const A_X: Curve = [
  [4, 1600, 10], // 100 tok/s/user, 100 output tok/s/GPU
  [16, 6400, 20], // 50, 400
  [64, 16000, 40], // 25, 1000
];
const A_Y: Curve = [
  [16, 2400, 25], // 40, 300: below (50, 400)
  [64, 6400, 50], // 20, 800: below (25, 1000)
];
// this week: config X faster everywhere, one more load point; plus a failed point
const B_X: Curve = [
  [4, 2400, 8], // 125, 150
  [16, 8000, 16], // 62.5, 500
  [64, 19200, 32], // 31.25, 1200
  [256, 32000, 80], // 12.5, 2000
];

describe("sweep comparison in Chromium", () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  const ids = { a: "", b: "", c: "" };
  const deployment = (seed: string, gpus = 8): Deployment => ({
    ...makeDeployment({
      seed,
      gpusPerNode: gpus,
      points: [4, 16, 64, 256].map((c) => ({ concurrency: c, isl: 1024, osl: 1024 })),
    }),
    configKey: `dsr1-fp8-h200-sglang-${seed}`,
    configKeys: [`dsr1-fp8-h200-sglang-${seed}`],
    modelPrefix: "dsr1",
    sku: "h200",
    runner: "h200",
    framework: "sglang",
  });

  function store(sweepId: string, d: Deployment, curve: Curve, day: string, status: "ok" | "failed" = "ok"): void {
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
    curve.forEach(([concurrency, totalTput, medianTpotMs], i) => {
      const r = makeRow({
        concurrency,
        totalTput,
        medianTpotMs,
        status,
        tp: d.gpus,
        isl: d.isl,
        osl: d.osl,
        date: `${day}T0${i}:00:00.000Z`,
      }).result;
      ctl.ctx.results.insertPoint(prov, {
        ...r,
        ...(status === "failed" ? { failureReason: "server died (emulated)" } : {}),
        emulated: true,
      });
    });
  }

  beforeAll(async () => {
    buildDashboard();
    ctl = await startTestController(redisUrl);
    const x = deployment("x");
    const y = deployment("y", 4);
    const sweep = async (name: string, deployments: Deployment[]) =>
      (await ctl.ctx.sweeps.create({ name, triggeredBy: "test", source: { kind: "plan" }, deployments })).sweepId;
    ids.a = await sweep("sglang last week", [x, y]);
    ids.b = await sweep("sglang this week", [x]);
    ids.c = await sweep("broken image", [x]);
    store(ids.a, x, A_X, "2025-06-01");
    store(ids.a, y, A_Y, "2025-06-01");
    store(ids.b, x, B_X, "2025-06-08");
    store(ids.b, x, [[512, 1, 1000]], "2025-06-08", "failed");
    store(ids.c, x, A_X, "2025-06-09", "failed");
    browser = await launchChromium();
    page = await signedInPage(browser, ctl.url, TOKENS.viewer, "#/compare");
    page.on("pageerror", (e) => console.log("page error:", e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
  });

  /**
   * What the chart draws, read from the uPlot instance in the page once it draws exactly these
   * sweeps. The instance is built in an effect after the render that shows the stats, and on a
   * route change the previous sweeps' instance stays on the element until then: reading it right
   * after the stats change can see no chart or the old one.
   */
  const chartOf = async (...sweepIds: string[]) => {
    await page.waitForFunction(
      (ids) => {
        const el = document.querySelector('[data-testid="compare-chart"]') as
          | (HTMLElement & { uplot?: { series: Array<{ label?: string }> } })
          | null;
        const labels = (el?.uplot?.series.slice(1) ?? []).map((s) => s.label ?? "");
        return (
          labels.length > 0 &&
          labels.every((l) => ids.some((id) => l.includes(id))) &&
          ids.every((id) => labels.some((l) => l.includes(id)))
        );
      },
      sweepIds,
      { timeout: 10_000 },
    );
    return page.evaluate(() => {
      const el = document.querySelector('[data-testid="compare-chart"]') as HTMLElement & {
        uplot: { series: Array<{ label?: string }>; data: Array<Array<number | null>> };
      };
      const u = el.uplot;
      return u.series.slice(1).map((s, i) => ({
        label: s.label ?? "",
        ys: (u.data[i + 1] ?? []).filter((v): v is number => v !== null),
      }));
    });
  };

  it("two sweeps picked in the page: their frontiers overlaid, one legend entry per sweep, the table below", async () => {
    await page.waitForSelector('[data-testid="compare-hint"]');
    await page.selectOption('[data-testid="compare-add"]', ids.a);
    await page.waitForURL(new RegExp(`sweeps=${ids.a}`));
    await page.selectOption('[data-testid="compare-add"]', ids.b);
    await page.waitForURL(new RegExp(`sweeps=${ids.a}(%2C|,)${ids.b}`));
    await page.waitForFunction(
      () => document.querySelector('[data-testid="compare-stats"]')?.getAttribute("data-series") === "2",
      undefined,
      { timeout: 10_000 },
    );
    await page.waitForSelector('[data-testid="compare-chart"] canvas');

    // the legend names each sweep once (its frontier); the per-sweep scatter rows are not listed
    const legend = await page
      .locator('[data-testid="compare-chart"] .u-legend .u-series.bf-frontier .u-label')
      .allTextContents();
    expect(legend).toEqual([`sglang last week (${ids.a}) (emulated)`, `sglang this week (${ids.b}) (emulated)`]);
    expect(await page.locator('[data-testid="compare-chart"] .u-legend .u-series.bf-scatter').first().isVisible()).toBe(
      false,
    );

    // uPlot's series: per sweep all successful points (faint) and the frontier (joined)
    const series = await chartOf(ids.a, ids.b);
    expect(series.map((s) => s.label)).toEqual([
      `sglang last week (${ids.a}) (emulated) (all points)`,
      `sglang last week (${ids.a}) (emulated)`,
      `sglang this week (${ids.b}) (emulated) (all points)`,
      `sglang this week (${ids.b}) (emulated)`,
    ]);
    expect(series.map((s) => s.ys.length)).toEqual([5, 3, 4, 4]); // A: 2 dominated points off its frontier; B's failed point not drawn
    expect(series[1]!.ys.slice().sort((p, q) => p - q)).toEqual([100, 400, 1000]); // output tok/s/GPU on A's frontier
    expect(series[3]!.ys.slice().sort((p, q) => p - q)).toEqual([150, 500, 1200, 2000]);
    expect(await page.getAttribute(`li[data-sweep="${ids.a}"]`, "data-frontier")).toBe("3");
    expect(await page.getAttribute(`li[data-sweep="${ids.b}"]`, "data-points")).toBe("4");
    expect(await page.textContent(`li[data-sweep="${ids.b}"]`)).toContain("1 failed or incomplete");
    expect(await page.locator('[data-testid="compare-empty"]').count()).toBe(0);

    // hover: the point's sweep, whether it is on the frontier, its configuration and load
    const box = (await page.locator('[data-testid="compare-chart"] .u-over').boundingBox())!;
    for (let x = 0.02; x < 1; x += 0.02) {
      await page.mouse.move(box.x + box.width * x, box.y + box.height / 2);
      if (await page.locator('[data-testid="chart-tooltip"]').count()) break;
    }
    const tip = await page.textContent('[data-testid="chart-tooltip"]');
    expect(tip).toMatch(/sglang (last|this) week .* · (on the frontier|dominated)/);
    expect(tip).toMatch(/conc \d+ · ISL\/OSL 1024\/1024 · [48] GPUs/);
    expect(tip).toContain("dsr1-fp8-h200-sglang-");
    expect(tip).toMatch(/[\d.,]+ output tok\/s\/GPU \([\d.,]+ total\) at [\d.,]+ tok\/s\/user/);

    // the analytics API's comparison, below the chart
    const table = page.locator(`[data-testid="compare-table"][data-a="${ids.a}"][data-b="${ids.b}"]`);
    await table.locator('[data-testid="compare-points"]').waitFor();
    expect(await table.locator('[data-testid="compare-points"] tbody tr').count()).toBe(3); // config X at 4, 16, 64
    expect(await table.locator('[data-testid="compare-summary"]').textContent()).toMatch(
      /3 load points in both, 2 only in A/,
    );
    const chartBox = (await page.locator('[data-testid="compare-chart"]').boundingBox())!;
    expect((await table.boundingBox())!.y).toBeGreaterThan(chartBox.y + chartBox.height);

    // grouping by configuration: one series per sweep × config
    await page.selectOption('[data-testid="compare-group"]', "configKey");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="compare-stats"]')?.getAttribute("data-series") === "3",
    );
    await page.selectOption('[data-testid="compare-group"]', "");
    await page.waitForFunction(
      () => document.querySelector('[data-testid="compare-stats"]')?.getAttribute("data-series") === "2",
    );
    await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.35);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "compare");
  });

  it("a sweep with no successful point is named in a message; with nothing to draw there is no chart", async () => {
    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.a},${ids.c}`);
    await page.waitForSelector('[data-testid="compare-empty"]');
    expect(await page.textContent('[data-testid="compare-empty"]')).toBe(
      `broken image (${ids.c}) has no successful point in dsr1 1024/1024: only one sweep is drawn.`,
    );
    await page.waitForSelector('[data-testid="compare-chart"] canvas');
    expect((await chartOf(ids.a)).map((s) => s.ys.length)).toEqual([5, 3]);
    expect(await page.getAttribute(`li[data-sweep="${ids.c}"]`, "data-points")).toBe("0");
    expect(await page.textContent('[data-testid="compare-table-error"]')).toContain(ids.c);

    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.c},no-such-sweep`);
    await page.waitForSelector('[data-testid="compare-empty"]');
    expect(await page.textContent('[data-testid="compare-empty"]')).toMatch(
      /None of these sweeps has a successful point: there is no frontier to draw/,
    );
    expect(await page.locator('[data-testid="compare-chart"]').count()).toBe(0);

    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.b}`);
    await page.waitForSelector('[data-testid="compare-hint"]');
    expect(await page.locator('[data-testid="compare-chart"]').count()).toBe(0);
  });

  it("an imported sweep (no measured point) is drawn from the analytics API's frontier", async () => {
    const rows = (
      [
        [4, 4000, 8], // 125 tok/s/user, 250 output tok/s/GPU
        [16, 12800, 16], // 62.5, 800
        [64, 32000, 40], // 25, 2000
        [32, 9600, 40], // 25, 600: dominated, not on the API's frontier
      ] as Curve
    ).map(([concurrency, totalTput, medianTpotMs]) => ({
      ...makeRow({ concurrency, totalTput, medianTpotMs, sku: "b200", sweepId: "imported-b200" }),
      provenance: { kind: "imported" as const, source: "b200.json", format: "inferencex-agg" as const },
    }));
    const res = await ctl.api("POST", "/api/v1/results/import", { rows }, TOKENS.operator);
    expect(res.status).toBe(200);
    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.a},imported-b200`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="compare-stats"]')?.getAttribute("data-series") === "2",
      undefined,
      { timeout: 10_000 },
    );
    const series = await chartOf(ids.a, "imported-b200");
    expect(series[3]!.label).toBe("imported-b200");
    expect(series[3]!.ys.slice().sort((p, q) => p - q)).toEqual([250, 800, 2000]);
    expect(await page.textContent('li[data-sweep="imported-b200"]')).toContain(
      "3 successful points, 3 on the frontier (imported results: frontier points only)",
    );
  });

  it("one model family and one ISL/OSL at a time: other models and sequence lengths are never pooled", async () => {
    const gptoss = { ...deployment("g"), model: "openai/gpt-oss-120b", modelPrefix: "gptoss", precision: "fp4" };
    const short = { ...deployment("short"), osl: 128 };
    store(ids.b, gptoss, [[4, 2000, 10]], "2025-06-08");
    store(ids.b, short, [[4, 3000, 10]], "2025-06-08");
    // sweep b's MTP deployment: its own series beside b's non-MTP one, never pooled with it
    const mtp = { ...deployment("mtp"), specDecoding: "mtp" as const };
    store(ids.b, mtp, [[8, 4000, 10]], "2025-06-08");
    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.a},${ids.b}`);
    await page.waitForSelector('[data-testid="compare-scenario"]');
    expect(await page.locator('[data-testid="compare-scenario"] option').allTextContents()).toEqual([
      "dsr1 · ISL/OSL 1024/1024 (10 points)",
      "dsr1 · ISL/OSL 1024/128 (1 points)",
      "gptoss · ISL/OSL 1024/1024 (1 points)",
    ]);
    const series = await chartOf(ids.a, ids.b);
    expect(series.filter((s) => !s.label.endsWith("(all points)")).map((s) => s.label)).toEqual([
      `sglang last week (${ids.a}) · none (emulated)`,
      `sglang this week (${ids.b}) · mtp (emulated)`,
      `sglang this week (${ids.b}) · none (emulated)`,
    ]);
    expect(series.flatMap((s) => s.ys)).not.toContain(125); // gpt-oss: 2000 tok/s ÷ 2 ÷ 8 GPUs; 1k/128: 187.5
    expect(series.flatMap((s) => s.ys)).not.toContain(187.5);
    // the table below compares within the scenario too
    const table = page.locator(`[data-testid="compare-table"][data-a="${ids.a}"][data-b="${ids.b}"]`);
    expect(await table.locator('[data-testid="compare-summary"]').textContent()).toMatch(/3 load points in both/);
    await page.selectOption('[data-testid="compare-scenario"]', "gptoss 1024/1024");
    await page.waitForURL(/model=gptoss/);
    await page.waitForSelector('[data-testid="compare-empty"]');
    expect(await page.textContent('[data-testid="compare-empty"]')).toContain("in gptoss 1024/1024");
    expect((await chartOf(ids.b)).map((s) => s.ys)).toEqual([[125], [125]]);
  });

  it("the results explorer links to the comparison of its scenario's last two sweeps", async () => {
    await page.goto(`${ctl.url}/#/results?model=dsr1&isl=1024&osl=1024`);
    const link = page.locator('[data-testid="results-compare-link"]');
    await link.waitFor();
    expect(await link.getAttribute("href")).toMatch(/^#\/compare\?sweeps=[^&]+,[^&]+&model=dsr1&isl=1024&osl=1024$/);
    await link.click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="compare-stats"]')?.getAttribute("data-series") !== null,
      undefined,
      { timeout: 10_000 },
    );
    expect(Number(await page.getAttribute('[data-testid="compare-stats"]', "data-series"))).toBeGreaterThanOrEqual(2);
  });

  it("frontiers know noise: 8 % lower within the 12 % spread of repeated points is no regression", async () => {
    // its own scenario (8k/1k), so the sweeps above are not pooled with these
    const d = { ...deployment("rep"), isl: 8192 };
    const sweep = async (name: string) =>
      (await ctl.ctx.sweeps.create({ name, triggeredBy: "test", source: { kind: "plan" }, deployments: [d] })).sweepId;
    const base = await sweep("repeats base");
    const again = await sweep("repeats again");
    // each point run 3 times with ±6 % scatter: the range is 12 % of the mean
    const stored = (sweepId: string, scale: number, day: string) =>
      A_X.forEach(([concurrency, totalTput, medianTpotMs], i) => {
        const r = makeRow({
          concurrency,
          totalTput: totalTput * scale,
          medianTpotMs,
          tp: 8,
          isl: 8192,
          osl: 1024,
          date: `${day}T0${i}:00:00.000Z`,
        }).result;
        const runs = [0.94, 1, 1.06].map((k) => ({
          ...r,
          bench: { ...r.bench, total_token_throughput: r.bench.total_token_throughput * k },
        }));
        const { run, repeats } = combineRepeats(runs);
        ctl.ctx.results.insertPoint(
          {
            sweepId,
            jobId: `${sweepId}.${d.fingerprint.slice(0, 16)}`,
            attemptId: `${sweepId}-${d.fingerprint.slice(0, 8)}-1`,
            attemptNumber: 1,
            fencingToken: 1,
            nodes: ["n1"],
            hostnames: ["host1"],
            deployment: d,
          },
          { ...run, ...(repeats ? { repeats } : {}), emulated: true },
        );
      });
    stored(base, 1, "2025-07-01");
    stored(again, 0.92, "2025-07-02");
    await page.goto(`${ctl.url}/#/compare?sweeps=${base},${again}&model=dsr1&isl=8192&osl=1024`);
    const table = page.locator(`[data-testid="compare-table"][data-a="${base}"][data-b="${again}"]`);
    await table.locator('[data-testid="compare-frontiers"]').waitFor();
    expect(await table.locator('[data-testid="compare-summary"]').textContent()).toMatch(
      /3 load points in both, .* regressions beyond the noise: 0 points, 0 frontiers$/,
    );
    const row = table.locator('[data-testid="compare-frontiers"] tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.locator('[data-testid="frontier-noise"]').textContent()).toBe("±12.0%");
    expect(await row.locator("td").last().textContent()).toBe("no");
    await table.locator('[data-testid="compare-frontiers"]').scrollIntoViewIfNeeded();
    await screenshot(page, "compare-frontier-noise");
    // the same drop between single runs (the sweeps above: ±5 %) would count
    await page.goto(`${ctl.url}/#/compare?sweeps=${ids.a},${ids.b}&model=dsr1&isl=1024&osl=1024`);
    const single = page.locator(`[data-testid="compare-table"][data-a="${ids.a}"][data-b="${ids.b}"]`);
    await single.locator('[data-testid="compare-frontiers"]').waitFor();
    expect(await single.locator('[data-testid="frontier-noise"]').first().textContent()).toBe("±5.0%");
  });

  it("lists what changed between the runs: the image and the engine version", async () => {
    // its own scenario (2k/1k), so the sweeps above are not pooled with these
    const before = { ...deployment("chg"), isl: 2048 };
    const after = { ...before, image: "lmsysorg/sglang:v0.5.17-cu129" };
    const stored = async (name: string, d: Deployment, engineVersion: string, day: string) => {
      const sweepId = (
        await ctl.ctx.sweeps.create({ name, triggeredBy: "test", source: { kind: "plan" }, deployments: [d] })
      ).sweepId;
      A_X.forEach(([concurrency, totalTput, medianTpotMs], i) => {
        const r = makeRow({
          concurrency,
          totalTput,
          medianTpotMs,
          tp: 8,
          isl: 2048,
          osl: 1024,
          date: `${day}T0${i}:00:00.000Z`,
        });
        ctl.ctx.results.insertPoint(
          {
            sweepId,
            jobId: `${sweepId}.${d.fingerprint.slice(0, 16)}`,
            attemptId: `${sweepId}-${d.fingerprint.slice(0, 8)}-1`,
            attemptNumber: 1,
            fencingToken: 1,
            nodes: ["n1"],
            hostnames: ["host1"],
            deployment: d,
            engineVersion,
          },
          { ...r.result, emulated: true },
        );
      });
      return sweepId;
    };
    const a = await stored("image before", before, "sglang 0.5.16", "2025-08-01");
    const b = await stored("image after", after, "sglang 0.5.17", "2025-08-02");
    await page.goto(`${ctl.url}/#/compare?sweeps=${a},${b}&model=dsr1&isl=2048&osl=1024`);
    const table = page.locator(`[data-testid="compare-table"][data-a="${a}"][data-b="${b}"]`);
    const changes = table.locator('[data-testid="compare-changes"]');
    await changes.waitFor();
    expect(await changes.getAttribute("data-count")).toBe("2");
    expect(await changes.locator("li").allTextContents()).toEqual([
      `image changed: ${before.image} → ${after.image}`,
      "engine version changed: sglang 0.5.16 → sglang 0.5.17",
    ]);
    // the same throughput: nothing flagged
    expect(await table.locator('[data-testid="compare-summary"]').textContent()).toMatch(
      /regressions beyond the noise: 0 points, 0 frontiers$/,
    );
    await changes.scrollIntoViewIfNeeded();
    await screenshot(page, "compare-changes");
  });
});
