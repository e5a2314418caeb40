/**
 * A node excluded from a job: after the node fails an attempt of the job, `jobs show`, the API and
 * the job view (Chromium) name the node with the failure's reason, and the waiting reason names the
 * exclusion; `jobs lift-exclusion` refuses a node the job does not exclude; an operator lifts the
 * exclusion from the job view and the job runs on that node again at once, without waiting out the
 * exclusion's back-off. Screenshot: job-exclusion.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import {
  cancelUnfinishedSweeps,
  startTestController,
  type TestController,
  TOKENS,
  until,
} from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

describe("job exclusions: shown with their reason, lifted by an operator", () => {
  let c: TestController;
  let browser: Browser;
  let page: Page | undefined;
  let agent: ProtocolAgent | undefined;

  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"), {
      dataDir: mkdtempSync(join(tmpdir(), "bf-exclusions-")),
      // the exclusion would hold for ten minutes: only the operator's lift lets the job back
      config: { exclusionBackoffMs: 600_000, jobAttempts: 3 },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    await agent?.close();
    await c.stop();
  });

  it("jobs show and the job view name the excluded node and why; the dashboard lifts it", async () => {
    // a retry starts from a controller without the first try's agent and job
    await agent?.close();
    await page?.context().close();
    page = undefined;
    await cancelUnfinishedSweeps(c);
    agent = new ProtocolAgent({ url: c.url, agentId: "ex-only", token: TOKENS.enrol, sku: "mi300x", domain: "r1" });
    await agent.connect();
    const d = makeDeployment({ seed: "ex-lift", sku: "mi300x", points: [{ concurrency: 1, isl: 64, osl: 64 }] });
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "ex", deployments: [d] })).body.sweepId as string;
    const a1 = await agent.nextAssignment();
    const mark = agent.received.length;
    agent.accept(a1);
    agent.running = undefined;
    const reason = "engine crashed: CUDA error (emulated)";
    expect((await agent.sendAcked(agent.finished(a1, "failed", { reason, retryable: true }))).ok).toBe(true);
    const waiting = await until(
      async () => {
        const j = (await c.api("GET", `/api/v1/jobs/${a1.jobId}`, undefined, TOKENS.viewer)).body;
        return j.status === "queued" && /excluded/.test(j.waitingReason ?? "") ? j : undefined;
      },
      10_000,
      "job waiting on its exclusion",
    );
    expect(waiting.exclusions).toMatchObject([{ nodeId: "ex-only", attemptId: a1.attemptId, reason }]);

    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.operator };
    const show = await runCliAsync(["jobs", "show", a1.jobId], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`excluded: ex-only: ${reason} (attempt ${a1.attemptId}; since `);
    expect(show.stdout).toMatch(/waiting: .*excluded/);
    const wrong = await runCliAsync(["jobs", "lift-exclusion", a1.jobId, "no-such-node"], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`job ${a1.jobId} does not exclude no-such-node (it excludes ex-only)`);
    const none = await runCliAsync(["jobs", "lift-exclusion", a1.jobId], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("name the nodes to lift, or --all");
    // a viewer may not lift
    const refused = await c.api(
      "POST",
      `/api/v1/jobs/${a1.jobId}/lift-exclusion`,
      { nodes: ["ex-only"] },
      TOKENS.viewer,
    );
    expect(refused.status).toBe(403);

    page = await signedInPage(browser, c.url, TOKENS.operator, `#/jobs/${encodeURIComponent(a1.jobId)}`);
    await page.waitForSelector('[data-testid="exclusions"] [data-excluded="ex-only"]');
    expect(await page.textContent('[data-excluded="ex-only"]')).toContain(`excluded ex-only: ${reason}`);
    expect(await page.textContent('[data-excluded="ex-only"]')).toContain(`attempt ${a1.attemptId}`);
    await screenshot(page, "job-exclusion");
    await page.click('[data-testid="lift-ex-only"]');
    await page.click('[data-testid="confirm"]');

    // lifted: the job goes back to the node long before the ten-minute back-off
    const a2 = await agent.nextAssignment(20_000, mark);
    expect(a2.attemptNumber).toBe(2);
    expect(a2.jobId).toBe(a1.jobId);
    const after = (await c.api("GET", `/api/v1/jobs/${a1.jobId}`, undefined, TOKENS.viewer)).body;
    expect(after.excludedNodes).toEqual([]);
    await page.waitForFunction(() => !document.querySelector('[data-testid="exclusions"]'));
    agent.accept(a2);
    await agent.runAssignment(a2);
    await until(
      async () => (await c.api("GET", `/api/v1/jobs/${a1.jobId}`)).body.status === "succeeded",
      10_000,
      "job succeeded",
    );
    await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {});
  }, 120_000);
});
