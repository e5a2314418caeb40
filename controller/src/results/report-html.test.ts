import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ResultRow } from "@benchfleet/shared";
import { makeRow, TEST_SKUS } from "@benchfleet/shared/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../tests/helpers/chromium.js";
import { gpuHoursFromRows, renderReport } from "./report-html.js";

/** docs/screenshots/report.png with BENCHFLEET_SCREENSHOTS=1 (`pnpm screenshots`), else the test's private tmp */
const SCREENSHOT =
  process.env.BENCHFLEET_SCREENSHOTS === "1"
    ? fileURLToPath(new URL("../../../docs/screenshots/report.png", import.meta.url))
    : join(tmpdir(), "report.png");

/** A concurrency sweep shaped like a real one: per-user speed falls as the batch grows. */
function sweepRows(sku: "h100" | "gb200", tp: number, speed: number, start: number): ResultRow[] {
  return [4, 8, 16, 32, 64, 128, 256].map((conc, i) => {
    const tpot = (1000 / speed) * (1 + conc / 48);
    const totalTput = 2 * conc * (1000 / tpot) * 0.92;
    const t0 = new Date(start + i * 600_000).toISOString();
    // 650 W per GPU over the measured window
    const energyJ = (650 * tp * (2 * 1024 * conc * 10)) / totalTput;
    const row = makeRow({
      sku,
      tp,
      concurrency: conc,
      totalTput,
      medianTpotMs: tpot,
      energyJ,
      date: t0,
      sweepId: "sweep-42",
    });
    row.result.finishedAt = new Date(start + i * 600_000 + 300_000).toISOString();
    return row;
  });
}

const rows: ResultRow[] = [
  ...sweepRows("h100", 8, 95, Date.UTC(2025, 5, 1)),
  ...sweepRows("gb200", 4, 210, Date.UTC(2025, 5, 1)),
  makeRow({
    sku: "h100",
    tp: 8,
    concurrency: 512,
    totalTput: 1,
    medianTpotMs: 1,
    status: "failed",
    failureReason: "load: client timeout after 1800 s",
    sweepId: "sweep-42",
  }),
];
// the fastest per-user point of the h100 group is on its frontier; it carries engine metrics
rows[0]!.result.engineMetrics = {
  intervalMs: 1000,
  roles: [
    {
      role: "worker",
      process: "worker-0",
      url: "http://10.0.0.1:8000/metrics",
      engine: "sglang",
      scrapes: 30,
      failedScrapes: 0,
      kvCacheUsage: { mean: 0.41, max: 0.62 },
      requestsRunning: { mean: 3.9, max: 4 },
      requestsWaiting: { mean: 0, max: 0 },
      prefixCache: null,
      specDecode: {
        acceptanceLength: 2.41,
        acceptanceRate: null,
        drafts: null,
        draftTokens: null,
        acceptedTokens: null,
      },
      preemptions: null,
      offload: null,
    },
  ],
};

const evalOf = (em: number, passed: boolean) => ({
  task: "gsm8k" as const,
  harness: "builtin" as const,
  n: 1319,
  strict: { exactMatch: em, stderr: 0.008 },
  flexible: { exactMatch: em + 0.004, stderr: 0.008 },
  failedRequests: 0,
  threshold: 0.9,
  passed,
  durationS: 312,
  startedAt: "2025-06-01T02:00:00Z",
  finishedAt: "2025-06-01T02:05:12Z",
  emulated: true,
});

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe("HTML report", () => {
  const html = renderReport({
    title: "benchfleet report: DeepSeek-R1 FP8 1k/1k",
    sweepId: "sweep-42",
    generatedAt: "2025-06-02T00:00:00Z",
    rows,
    evals: [
      {
        configKey: "dsr1-fp8-h100-sglang",
        sku: "h100",
        parallelism: "TP8",
        image: "lmsysorg/sglang:v0.5.0",
        eval: { ...evalOf(0.951, true), concurrency: 256 },
      },
      {
        configKey: "dsr1-fp8-gb200-sglang",
        sku: "gb200",
        parallelism: "TP4",
        image: "lmsysorg/sglang:v0.5.0",
        eval: evalOf(0.412, false),
      },
    ],
    failures: [{ what: "job sweep-42.ab12cd34 (mi355x)", reason: "ready: health check timed out after 900 s" }],
    catalog: TEST_SKUS,
    interactivities: [20, 35, 60, 200],
  });

  it("is self-contained and carries every section", () => {
    expect(html).not.toMatch(/<script|<link|https?:\/\/|src=/i);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(html.match(/<path class="frontier"/g)).toHaveLength(6); // 2 groups × 3 charts
    expect(html).toContain("dsr1 fp8 1k/1k h100 sglang");
    expect(html).toContain("load: client timeout after 1800 s");
    expect(html).toContain("ready: health check timed out after 900 s");
    expect(html).toContain("FAILED");
    // each eval row names the concurrency it ran at ("–" where the eval client chose)
    expect(html).toMatch(/lmsysorg\/sglang:v0\.5\.0<\/td><td>256<\/td><td>1319<\/td>/);
    expect(html).toMatch(/lmsysorg\/sglang:v0\.5\.0<\/td><td>–<\/td><td>1319<\/td>/);
    // the rows are emulated: their energy is the emulated engine's, never called measured
    expect(html).toContain("Energy per token vs interactivity (emulated power)");
    expect(html).not.toContain("(measured)");
    expect(html).toContain("points emulated");
    expect(html).not.toContain("points measured");
    expect(html).toMatch(/out of range \(/); // 200 tok/s/user is beyond what was measured
    expect(html).toContain("Emulated results");
    expect(html).toMatch(/<td>4<\/td>.*<td class="l">kv 62% · accept 2\.41<\/td><\/tr>/);
  });

  it("GPU-hours from point timestamps: first start to last finish × GPUs, per deployment", () => {
    // each group: 7 points over 6×10 min + 5 min = 65 min; h100 8 GPUs, gb200 4 GPUs
    const ok = rows.filter((r) => r.result.status === "ok");
    expect(gpuHoursFromRows(ok)).toBeCloseTo((65 / 60) * 8 + (65 / 60) * 4, 9);
  });

  it("renders in headless Chromium without network, and a screenshot is saved", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bf-report-"));
    tmp.push(dir);
    const file = join(dir, "report.html");
    await writeFile(file, html);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(errors).toEqual([]);
      expect(await page.locator("svg.chart").count()).toBe(3);
      // the charts are laid out and the frontier lines have a real length on screen
      const box = await page.locator("svg.chart").first().boundingBox();
      expect(box?.width).toBeGreaterThan(400);
      const lengths = await page.$$eval("path.frontier", (ps) => ps.map((p) => (p as SVGPathElement).getTotalLength()));
      expect(lengths).toHaveLength(6);
      for (const l of lengths) expect(l).toBeGreaterThan(20);
      expect(await page.locator("h2").allTextContents()).toEqual([
        "Frontiers",
        "At target interactivity",
        "Frontier points",
        "Accuracy per deployment",
        "Failures",
      ]);
      await mkdir(join(SCREENSHOT, ".."), { recursive: true });
      const png = await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(png.subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await browser.close();
    }
  }, 60_000);
});
