/**
 * Sweep state with cancelled jobs, in the API, the CLI, the report and the dashboard (Chromium): a
 * sweep of two jobs whose one job the operator cancels while the other succeeds finishes
 * `incomplete`, not `cancelled`; `sweep show` and the report name the missing points; the
 * dashboard says how many points are missing and retries the cancelled job as `sweep retry` does;
 * a job's points heading says what the job has when the attempt shown has none. Finished attempts
 * never show a phase as running.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

describe("sweep state with cancelled jobs", () => {
  let c: TestController;
  let browser: Browser;
  let page: Page | undefined;
  const agents: ProtocolAgent[] = [];

  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"), { dataDir: mkdtempSync(join(tmpdir(), "bf-sweep-state-")) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    for (const a of agents) await a.close();
    await c.stop();
  });

  it("one cancelled job: sweep incomplete, missing points named, retried from the dashboard", async () => {
    const h100 = new ProtocolAgent({ url: c.url, agentId: "ss-h100", token: TOKENS.enrol, sku: "h100", domain: "r1" });
    agents.push(h100);
    await h100.connect();
    const ok = makeDeployment({ seed: "ss-ok", sku: "h100", points: [{ concurrency: 4, isl: 64, osl: 64 }] });
    // no B200 agent: this job stays queued until the operator cancels it
    const gone = makeDeployment({
      seed: "ss-gone",
      sku: "b200",
      points: [2, 8].map((concurrency) => ({ concurrency, isl: 64, osl: 64 })),
    });
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "ss", deployments: [ok, gone] })).body
      .sweepId as string;
    const jobs = (await c.api("GET", `/api/v1/jobs?sweep=${sweepId}`)).body.items as Array<{
      jobId: string;
      sku: string;
    }>;
    const goneJob = jobs.find((j) => j.sku === "b200")!.jobId;
    expect((await c.api("POST", `/api/v1/jobs/${goneJob}/cancel`, { reason: "not needed" })).status).toBe(200);

    const a = await h100.nextAssignment();
    h100.accept(a);
    h100.phase(a, "load", "started");
    expect((await h100.sendAcked(h100.pointResult(a, a.points[0]!))).ok).toBe(true);
    expect((await h100.sendAcked(h100.finished(a, "succeeded"))).ok).toBe(true);
    h100.running = undefined;

    const s = await until(
      async () => {
        const b = (await c.api("GET", `/api/v1/sweeps/${sweepId}`)).body;
        return b.counts.succeeded === 1 ? b : undefined;
      },
      10_000,
      "sweep finished",
    );
    expect(s.status).toBe("incomplete");
    expect(s.pointsMissing).toBe(2);
    // the finished attempt shows no phase running
    const job = (await c.api("GET", `/api/v1/jobs/${a.jobId}`)).body;
    expect(Object.values(job.attempts[0].phases).map((p) => (p as { status: string }).status)).not.toContain("started");

    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer };
    const show = await runCliAsync(["sweep", "show", sweepId], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/incomplete: 1\/2 succeeded.*1 cancelled; points 1\/3 \(2 missing/);

    const report = await c.api("GET", `/api/v1/results/report?sweep=${sweepId}`, undefined, TOKENS.viewer);
    expect(report.status).toBe(200);
    const html = String(report.body);
    expect(html).toContain("Missing points");
    expect(html).toContain(goneJob);
    expect(html).toContain("cancelled: not needed");

    page = await signedInPage(browser, c.url, TOKENS.operator, `#/sweeps/${encodeURIComponent(sweepId)}`);
    await page.waitForSelector('[data-testid="points-missing"]');
    expect(await page.textContent('[data-testid="points-missing"]')).toContain("2 points missing");
    const retry = page.locator('[data-testid="retry-failed"]');
    expect(await retry.isEnabled()).toBe(true);
    await screenshot(page, "sweep-incomplete");
    await retry.click();
    await page.click('[data-testid="confirm"]');
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${goneJob}`)).body.status === "queued",
      10_000,
      "cancelled job re-queued",
    );

    // the job page of the succeeded job: the phase timeline is closed, the points heading consistent
    await page.goto(`${c.url}/#/jobs/${encodeURIComponent(a.jobId)}`);
    await page.waitForSelector('[data-testid="phase-timeline"]');
    expect(await page.textContent('[data-testid="phase-timeline"]')).not.toContain("(running)");
    expect(await page.textContent('[data-testid="points-heading"]')).toMatch(/Points measured \(1/);
    await page.locator('[data-testid="phase-timeline"]').scrollIntoViewIfNeeded();
    await screenshot(page, "job-phases-closed");
    await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {});
  });
});
