/**
 * The agentic view in a real browser (Debian's Chromium via playwright-core) against a running
 * controller (real Redis, real SQLite results DB). Stored points: an H200 deployment with KV
 * offload to host DRAM (three frontier points and one dominated), one without offload, one on
 * B200, and a fixed-seq-len deployment that must stay out of the view. The page draws one series
 * per group with every point, labels frontier points with their hit rate, lists hit rate and
 * per-turn latencies per point, filters by SKU and offloading, shows per-turn metrics on hover and
 * opens the job on click. Screenshot (all groups): docs/screenshots/agentic.png.
 */
import type { Deployment, PointResult } from "@benchfleet/shared";
import { makeAgenticResult, makeRow } from "@benchfleet/shared/test-support";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeAgenticDeployment } from "../helpers/agentic-deployments.js";
import { startTestController, type TestController, TOKENS } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const redisUrl = inject("redisUrl");

describe("agentic view in Chromium", () => {
  let ctl: TestController;
  let browser: Browser;
  let page: Page;
  let sweepId = "";

  const ds = {
    dram: makeAgenticDeployment({ seed: "ui-dram", concurrencies: [4, 8, 16, 64], kvOffloading: "dram" }),
    gpu: makeAgenticDeployment({ seed: "ui-gpu", concurrencies: [4, 16] }),
    b200: makeAgenticDeployment({ seed: "ui-b200", sku: "b200", concurrencies: [8, 32] }),
    fixed: makeDeployment({ seed: "ui-fixed", sku: "h200", points: [{ concurrency: 4, isl: 1024, osl: 1024 }] }),
  };

  function store(d: Deployment, results: PointResult[]): void {
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
    for (const r of results) ctl.ctx.results.insertPoint(prov, r);
  }

  beforeAll(async () => {
    buildDashboard();
    ctl = await startTestController(redisUrl);
    sweepId = (
      await ctl.ctx.sweeps.create({
        name: "agentic-ui",
        triggeredBy: "test",
        source: { kind: "plan" },
        deployments: Object.values(ds),
      })
    ).sweepId;
    store(ds.dram, [
      makeAgenticResult({ concurrency: 4, tputPerGpu: 500, interactivity: 90, hitRate: 0.81, ttftMedianMs: 120 }),
      makeAgenticResult({ concurrency: 8, tputPerGpu: 1000, interactivity: 50, hitRate: 0.7 }),
      makeAgenticResult({ concurrency: 16, tputPerGpu: 1500, interactivity: 60, hitRate: 0.86 }),
      makeAgenticResult({ concurrency: 64, tputPerGpu: 2500, interactivity: 30, hitRate: 0.9 }),
    ]);
    store(ds.gpu, [
      makeAgenticResult({ concurrency: 4, tputPerGpu: 400, interactivity: 80, hitRate: 0.5 }),
      makeAgenticResult({ concurrency: 16, tputPerGpu: 900, interactivity: 40, hitRate: 0.55 }),
    ]);
    store(ds.b200, [
      makeAgenticResult({ concurrency: 8, tputPerGpu: 3000, interactivity: 70, hitRate: 0.6 }),
      makeAgenticResult({ concurrency: 32, tputPerGpu: 5000, interactivity: 35, hitRate: 0.65 }),
    ]);
    store(ds.fixed, [
      { ...makeRow({ concurrency: 4, totalTput: 80_000, medianTpotMs: 10, sku: "h200" }).result, emulated: true },
    ]);
    browser = await launchChromium();
    page = await signedInPage(browser, ctl.url, TOKENS.viewer, "#/agentic");
    page.on("pageerror", (e) => console.log("page error:", e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
  });

  const stats = async () => {
    const el = '[data-testid="agentic-stats"]';
    return {
      points: Number(await page.getAttribute(el, "data-points")),
      series: Number(await page.getAttribute(el, "data-series")),
      frontier: Number(await page.getAttribute(el, "data-frontier")),
    };
  };
  const waitPoints = (n: number) =>
    page.waitForFunction(
      (count) => document.querySelector('[data-testid="agentic-stats"]')?.getAttribute("data-points") === String(count),
      n,
      { timeout: 15_000 },
    );
  /** the uPlot series labels once the chart draws `n` series */
  const labels = async (n: number) => {
    await page.waitForFunction(
      (count) =>
        ((
          document.querySelector('[data-testid="agentic-chart"]') as
            | (HTMLElement & { uplot?: { series: unknown[] } })
            | null
        )?.uplot?.series.length ?? 0) ===
        1 + 2 * count,
      n,
      { timeout: 10_000 },
    );
    return page.evaluate(() =>
      (
        document.querySelector('[data-testid="agentic-chart"]') as HTMLElement & {
          uplot: { series: Array<{ label?: string }> };
        }
      ).uplot.series
        .map((s) => s.label ?? "")
        .filter((l) => !l.endsWith("(all points)"))
        .slice(1),
    );
  };
  /** moves the mouse along the chart until the tooltip names `text` */
  const hoverUntil = async (text: string) => {
    const box = (await page.locator('[data-testid="agentic-chart"] .u-over').boundingBox())!;
    for (let x = 0.01; x < 1; x += 0.01) {
      await page.mouse.move(box.x + box.width * x, box.y + box.height / 2);
      const tip = page.locator('[data-testid="agentic-tooltip"]');
      if ((await tip.count()) && (await tip.textContent())?.includes(text)) return tip;
    }
    throw new Error(`no tooltip with "${text}" anywhere on the chart`);
  };

  it("one series per group with every agentic point; fixed-seq-len points stay out", async () => {
    await waitPoints(8);
    expect(await stats()).toEqual({ points: 8, series: 3, frontier: 7 });
    expect(await labels(3)).toEqual([
      "Llama-3.1-8B-Instruct · bf16 · b200 · vllm · no-spec · no offload (emulated)",
      "Llama-3.1-8B-Instruct · bf16 · h200 · vllm · no-spec · dram (vllm-native) (emulated)",
      "Llama-3.1-8B-Instruct · bf16 · h200 · vllm · no-spec · no offload (emulated)",
    ]);
    await screenshot(page, "agentic");
    const rows = page.locator('[data-testid="agentic-table"] tbody tr');
    expect(await rows.count()).toBe(8);
    expect(await page.locator('[data-testid="agentic-table"] tbody tr[data-frontier="0"]').count()).toBe(1);
    expect(await page.locator('[data-testid="agentic-hit-rate"]').allTextContents()).toEqual([
      "65.0%",
      "60.0%",
      "90.0%",
      "86.0%",
      "81.0%",
      "70.0%",
      "55.0%",
      "50.0%",
    ]);
    // per-turn latencies: median and p99 of TTFT at conc 4 with DRAM offload
    expect(await rows.nth(4).textContent()).toContain("120.0 / 360.0");
    expect(await page.textContent("nav")).toContain("Agentic");
  });

  it("SKU and KV-offloading filters reach the chart and the table, kept in the URL", async () => {
    await page.selectOption('[data-testid="agentic-kv"]', "dram");
    await waitPoints(4);
    expect(await stats()).toEqual({ points: 4, series: 1, frontier: 3 });
    expect(page.url()).toContain("kv=dram");
    await page.selectOption('[data-testid="agentic-kv"]', "");
    await page.selectOption('[data-testid="agentic-sku"]', "b200");
    await waitPoints(2);
    expect(await stats()).toEqual({ points: 2, series: 1, frontier: 2 });
    expect(await page.locator('[data-testid="agentic-table"] tbody tr').count()).toBe(2);
    await page.selectOption('[data-testid="agentic-sku"]', "");
    await waitPoints(8);
  });

  it("hover shows hit rate and per-turn metrics; a click opens the job", async () => {
    // the hit-rate labels are drawn on the canvas: record what the chart writes there
    await page.evaluate(() => {
      const w = window as unknown as { __texts: string[] };
      w.__texts = [];
      const fill = CanvasRenderingContext2D.prototype.fillText;
      CanvasRenderingContext2D.prototype.fillText = function (t: string, x: number, y: number, m?: number) {
        w.__texts.push(t);
        fill.call(this, t, x, y, m);
      };
    });
    await page.goto(`${ctl.url}/#/agentic?kv=dram`);
    await waitPoints(4);
    await labels(1);
    const drawn = await page.evaluate(() => (window as unknown as { __texts: string[] }).__texts);
    expect(drawn).toEqual(expect.arrayContaining(["hit 90.0%", "hit 86.0%", "hit 81.0%"]));
    expect(drawn).not.toContain("hit 70.0%");
    const tip = await hoverUntil("· 4 trajectories in flight");
    const text = (await tip.textContent())!;
    expect(text).toContain("on the frontier");
    expect(text).toContain("prefix-cache hit rate 81.0%");
    expect(text).toMatch(
      /per turn \(median \/ p99\): TTFT 120\.0 \/ 360\.0 ms · ITL 11\.1 \/ 33\.3 ms · E2E [\d.,]+ \/ [\d.,]+ ms/,
    );
    expect(text).toContain("DRAM budget 400 GB");
    expect(text).toContain("[emulated]");
    const job = (await tip.getAttribute("data-job"))!;
    expect(job).toBe(`${sweepId}.${ds.dram.fingerprint.slice(0, 16)}`);
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForURL((u) => decodeURIComponent(u.hash) === `#/jobs/${job}`, { timeout: 10_000 });
  });
});
