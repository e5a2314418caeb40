/**
 * What runs where, right now: a two-node job in its load phase reports progress inside its second
 * point; the API, `jobs ls`, `jobs show`, the sweep detail, the job view and the Fleet (Chromium)
 * all name its parallelism, concurrency list, nodes, current point and phase, requests done of total,
 * per-GPU tok/s, elapsed time and an estimate from the measured pace. A queued TP variant of the same
 * configuration is told apart by its parallelism. Screenshots: fleet-live, sweep-live.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Assignment, JobView } from "@benchfleet/shared";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

describe("live jobs: what runs where", () => {
  let c: TestController;
  let browser: Browser;
  let page: Page | undefined;
  const agents: ProtocolAgent[] = [];

  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"), { dataDir: mkdtempSync(join(tmpdir(), "bf-live-jobs-")) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    for (const a of agents) await a.close();
    await c.stop();
  });

  const progress = (a: Assignment, pointIndex: number, done: number) => ({
    type: "progress" as const,
    attemptId: a.attemptId,
    fencingToken: a.fencingToken,
    pointIndex,
    points: a.points.length,
    concurrency: a.points[pointIndex]!.concurrency,
    isl: 64,
    osl: 64,
    stage: "run" as const,
    done,
    total: a.points[pointIndex]!.concurrency * 10,
    outputTokensPerS: 32_000,
    elapsedS: 10,
    at: new Date().toISOString(),
  });

  it("a gang job's point, progress, nodes and estimate in the API, the CLI and the dashboard", async () => {
    const [x, y] = ["lj-a", "lj-b"].map(
      (agentId) => new ProtocolAgent({ url: c.url, agentId, token: TOKENS.enrol, sku: "h200", domain: "rack-1" }),
    ) as [ProtocolAgent, ProtocolAgent];
    agents.push(x, y);
    await x.connect();
    await y.connect();
    const points = [4, 8, 16].map((concurrency) => ({ concurrency, isl: 64, osl: 64 }));
    // the plan says two hours; the measured pace says a minute or two
    const gang = makeDeployment({ seed: "lj-gang", sku: "h200", nodes: 2, points, wallSeconds: 7200 });
    // the same configuration at TP4 on a SKU without agents: it stays queued
    const tp4 = { ...makeDeployment({ seed: "lj-tp4", sku: "b200", points }), tp: 4 };
    const sweepId = (await c.api("POST", "/api/v1/sweeps", { name: "live", deployments: [gang, tp4] })).body
      .sweepId as string;

    const first = await Promise.any([x, y].map((p) => p.nextAssignment(5000)));
    const byId = new Map([x, y].map((p) => [p.opts.agentId, p]));
    const members = first.gang.map((m) => byId.get(m.agentId)!);
    const as = await Promise.all(members.map((p) => p.nextAssignment()));
    const [leader, a] = [members[0]!, as[0]!];
    for (const [i, p] of members.entries()) {
      p.accept(as[i]!);
      p.memberReady(as[i]!);
    }
    await leader.waitFor((m) => m.type === "gang-ready" && m.attemptId === a.attemptId);
    // the load phase began a minute ago; the first point is stored, the second 1/4 done
    leader.send({
      type: "phase",
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      phase: "load",
      status: "started",
      at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect((await leader.sendAcked(leader.pointResult(a, a.points[0]!))).ok).toBe(true);
    leader.send(progress(a, 1, 20));

    const live = await until(
      async () => {
        const items = (await c.api("GET", `/api/v1/jobs?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
          .items as JobView[];
        const j = items.find((i) => i.jobId === a.jobId);
        return j?.live?.progress ? { j, items } : undefined;
      },
      10_000,
      "progress in the job list",
    );
    const j = live.j;
    const leaderId = first.gang.find((m) => m.rank === 0)!.agentId;
    const memberId = first.gang.find((m) => m.rank === 1)!.agentId;
    expect(j.parallelism).toBe("TP8");
    expect(j.concurrencies).toEqual([4, 8, 16]);
    expect(j.live!.nodes).toEqual([leaderId, memberId]);
    expect(j.live!.phase).toBe("load");
    expect(j.live!.pointNumber).toBe(2);
    expect(j.live!.tokPerSPerGpu).toBe(2000);
    // 1.25 points in ~60 s (more on a busy host): ~48 s a point, 1.75 points left, not the plan's 2 h
    expect(j.timing!.basis).toBe("measured");
    expect(j.timing!.remainingS).toBeGreaterThan(70);
    expect(j.timing!.remainingS).toBeLessThan(200);
    const queued = live.items.find((i) => i.sku === "b200")!;
    expect(queued.parallelism).toBe("TP4");
    expect(queued.live).toBeUndefined();
    expect(queued.timing!.basis).toBe("plan");

    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer };
    const ls = await runCliAsync(["jobs", "ls", "--sweep", sweepId], { env });
    expect(ls.code).toBe(0);
    const row = ls.stdout.split("\n").find((l) => l.includes(a.jobId))!;
    expect(row).toContain("TP8");
    expect(row).toContain("4,8,16");
    expect(row).toContain(`${leaderId},${memberId}`);
    expect(row).toContain("load · point 2/3 c=8 · run 20/80 req · 2,000 tok/s/GPU");
    expect(ls.stdout.split("\n").find((l) => l.includes("b200"))).toContain("TP4");
    const show = await runCliAsync(["jobs", "show", a.jobId], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("parallelism: TP8  concurrency: 4,8,16");
    expect(show.stdout).toMatch(
      new RegExp(`now: load · point 2/3 c=8 · run 20/80 req · 2,000 tok/s/GPU on ${leaderId}, ${memberId}, attempt`),
    );
    expect(show.stdout).toMatch(/time: ran (\d+m )?\d+s, ~(\d+m )?\d+s left \(measured\)/);

    // sweep detail: the two TP variants apart, the running one's point and progress
    page = await signedInPage(browser, c.url, TOKENS.viewer, `#/sweeps/${encodeURIComponent(sweepId)}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="job-now"]')?.textContent?.includes("20/80"));
    expect(await page.textContent('[data-testid="job-now"]')).toBe(
      "load · point 2/3 c=8 · run 20/80 req · 2,000 tok/s/GPU",
    );
    const layouts = await page.locator('[data-testid="job-parallelism"]').allTextContents();
    expect(layouts.sort()).toEqual(["TP4", "TP8"]);
    const times = await page.locator('[data-testid="job-time"]').allTextContents();
    expect(times.some((t) => /left$/.test(t))).toBe(true);
    expect(times.some((t) => /\(plan\)$/.test(t))).toBe(true);
    await screenshot(page, "sweep-live");

    // Fleet: each node names the job it runs, not an attempt id
    await page.goto(`${c.url}/#/fleet`);
    const cell = page.locator(`tr[data-node="${memberId}"] [data-testid="node-job"]`);
    await page.waitForFunction(
      (id) => document.querySelector(`tr[data-node="${id}"] [data-testid="node-job"]`)?.textContent?.includes("c=8"),
      memberId,
    );
    const text = await cell.textContent();
    expect(text).toContain(gang.configKey);
    expect(text).toContain("TP8 · conc 4,8,16 · rank 1 of 2");
    expect(text).toContain("point 2/3 c=8 · run 20/80 req");
    await screenshot(page, "fleet-live");

    // the job view follows the progress events
    await page.goto(`${c.url}/#/jobs/${encodeURIComponent(a.jobId)}`);
    await page.waitForSelector('[data-testid="job-live"]');
    expect(await page.textContent('[data-testid="job-layout"]')).toBe("TP8 · conc 4,8,16");
    leader.send(progress(a, 1, 60));
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="job-live"]')?.textContent?.includes("run 60/80 req"),
    );
    expect(await page.textContent('[data-testid="job-live"]')).toContain(`on ${leaderId}, ${memberId}`);

    // once the attempt ends, nothing is live any more
    for (const pt of a.points.slice(1)) expect((await leader.sendAcked(leader.pointResult(a, pt))).ok).toBe(true);
    expect((await leader.sendAcked(leader.finished(a, "succeeded"))).ok).toBe(true);
    const done = await until(
      async () => {
        const d = (await c.api("GET", `/api/v1/jobs/${a.jobId}`, undefined, TOKENS.viewer)).body as JobView;
        return d.status !== "running" ? d : undefined;
      },
      10_000,
      "job ended",
    );
    expect(done.live).toBeUndefined();
    expect(done.timing!.basis).toBe("finished");
    await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {});
  }, 120_000);
});
