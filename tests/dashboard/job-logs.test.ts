/**
 * Logs of a two-node job: every line carries the time the agent read it, each node's processes
 * keep their own prefix (`[lj-a agent]`, `[lj-b prefill-0]`), and a download is the attempt's whole
 * stored log (more lines than any tail, every process, merged by time) unless only matches are
 * asked for — in the API, `benchfleet logs` (tail and `--output`) and the job view (Chromium).
 * Screenshot: job-logs-nodes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Assignment } from "@benchfleet/shared";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, type TestController, TOKENS, until } from "../helpers/controller.js";
import { makeDeployment } from "../helpers/deployments.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[/;

describe("job logs: times, per-node prefixes, whole downloads", () => {
  let c: TestController;
  let browser: Browser;
  let page: Page | undefined;
  const agents: ProtocolAgent[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "bf-job-logs-"));

  beforeAll(async () => {
    buildDashboard();
    c = await startTestController(inject("redisUrl"), { dataDir: join(tmp, "data") });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await page?.context().close();
    await browser?.close();
    for (const a of agents) await a.close();
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("two nodes' lines apart and stamped; tail, CLI download and dashboard download agree", async () => {
    const [x, y] = ["lg-a", "lg-b"].map(
      (agentId) => new ProtocolAgent({ url: c.url, agentId, token: TOKENS.enrol, sku: "h200", domain: "rack-1" }),
    ) as [ProtocolAgent, ProtocolAgent];
    agents.push(x, y);
    await x.connect();
    await y.connect();
    const gang = makeDeployment({
      seed: "lg-gang",
      sku: "h200",
      nodes: 2,
      points: [{ concurrency: 4, isl: 64, osl: 64 }],
    });
    await c.api("POST", "/api/v1/sweeps", { name: "logs", deployments: [gang] });
    const first = await Promise.any([x, y].map((p) => p.nextAssignment(5000)));
    const byId = new Map([x, y].map((p) => [p.opts.agentId, p]));
    const leaderId = first.gang.find((m) => m.rank === 0)!.agentId;
    const memberId = first.gang.find((m) => m.rank === 1)!.agentId;
    const leader = byId.get(leaderId)!;
    const member = byId.get(memberId)!;
    const as = new Map<string, Assignment>();
    for (const p of [leader, member]) {
      const a = await p.nextAssignment();
      as.set(p.opts.agentId, a);
      p.accept(a);
    }
    const a = as.get(leaderId)!;
    const t0 = Date.parse("2026-12-04T18:00:00.000Z");
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const log = (
      p: ProtocolAgent,
      process: string,
      stream: "stdout" | "stderr" | "agent",
      lines: string[],
      ms: number[],
    ) => {
      const asg = as.get(p.opts.agentId)!;
      p.send({
        type: "log",
        attemptId: asg.attemptId,
        fencingToken: asg.fencingToken,
        process,
        stream,
        lines,
        times: ms.map(at),
      });
    };
    // both nodes' agents say the same thing; the member's prefill engine floods past any tail
    log(leader, "agent", "agent", ["phase launch started"], [0]);
    log(member, "agent", "agent", ["phase launch started"], [1]);
    const flood = 6000;
    for (let b = 0; b < flood / 1000; b++)
      log(
        member,
        "prefill-0",
        "stdout",
        Array.from({ length: 1000 }, (_, i) => `decode step ${b * 1000 + i}`),
        Array.from({ length: 1000 }, (_, i) => 1000 + b * 1000 + i),
      );
    log(member, "prefill-0", "stderr", ["CUDA graph capture warning"], [20_000]);
    log(leader, "agent", "agent", ["phase load started"], [30_000]);

    const expectedLines = 2 + flood + 1 + 1;
    const tail = await until(
      async () => {
        const r = await c.api("GET", `/api/v1/jobs/${a.jobId}/logs?tail=1`, undefined, TOKENS.viewer);
        const text = JSON.stringify(r.body.lines ?? []);
        return text.includes("phase load started") && text.includes("CUDA graph") ? r.body : undefined;
      },
      10_000,
      "the stored tail",
    );
    expect(tail.processes).toEqual([`${leaderId}/agent`, `${memberId}/agent`, `${memberId}/prefill-0`].sort());
    // each line's time apart from its (stream-tagged) text; the processes with lines before the tail named
    expect(tail.lines).toContainEqual({
      process: `${memberId}/prefill-0`,
      at: at(20_000),
      line: "[stderr] CUDA graph capture warning",
    });
    expect(tail.older).toEqual([`${leaderId}/agent`, `${memberId}/prefill-0`].sort());

    // the CLI tail: time, then the node and process
    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer };
    const cliTail = await runCliAsync(["logs", a.jobId, "-n", "2"], { env });
    expect(cliTail.code).toBe(0);
    const printed = cliTail.stdout.trim().split("\n");
    for (const l of printed) expect(l).toMatch(STAMP);
    expect(printed).toContain(`${at(0)} [${leaderId} agent] phase launch started`);
    expect(printed).toContain(`${at(1)} [${memberId} agent] phase launch started`);
    expect(printed).toContain(`${at(20_000)} [${memberId} prefill-0] [stderr] CUDA graph capture warning`);

    // the CLI download: whole, merged by time
    const whole = join(tmp, "whole.log");
    const dl = await runCliAsync(["logs", a.jobId, "--output", whole], { env });
    expect(dl.code, dl.stderr).toBe(0);
    const wholeLines = readFileSync(whole, "utf8").trimEnd().split("\n");
    expect(wholeLines).toHaveLength(expectedLines);
    for (const l of wholeLines) expect(l).toMatch(STAMP);
    expect(wholeLines[0]).toBe(`${at(0)} [${leaderId} agent] phase launch started`);
    expect(wholeLines[1]).toBe(`${at(1)} [${memberId} agent] phase launch started`);
    expect(wholeLines[2]).toBe(`${at(1000)} [${memberId} prefill-0] decode step 0`);
    expect(wholeLines.at(-1)).toBe(`${at(30_000)} [${leaderId} agent] phase load started`);
    // only when asked: one process, matching lines
    const some = join(tmp, "some.log");
    const dl2 = await runCliAsync(
      ["logs", a.jobId, "--output", some, "--process", `${memberId}/prefill-0`, "--match", "STEP 599"],
      { env },
    );
    expect(dl2.code, dl2.stderr).toBe(0);
    const someLines = readFileSync(some, "utf8").trimEnd().split("\n");
    expect(someLines).toHaveLength(11); // 599, 5990…5999
    expect(someLines.every((l) => l.includes(`[${memberId} prefill-0] decode step 599`))).toBe(true);
    const bad = await runCliAsync(["logs", a.jobId, "--output", join(tmp, "x.log"), "--process", "nope"], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`has no log of nope (it has: ${leaderId}/agent`);

    // the job view: time and node on each line; Download is the whole stored log even while a search filters the view
    page = await signedInPage(browser, c.url, TOKENS.viewer, `#/jobs/${encodeURIComponent(a.jobId)}`);
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="log-stats"]')?.getAttribute("data-total")) >= n,
      5000 + 3,
      { timeout: 15_000 },
    );
    // the view holds the last 5,000 lines of each process and says where the older ones are
    expect(await page.locator('[data-testid="log-older"]').textContent()).toBe(
      `Showing the last 5,000 lines of ${memberId} prefill-0; older lines are in the download.`,
    );
    // a live line arrives with its agent's time
    log(member, "agent", "agent", ["phase launch finished"], [31_000]);
    const liveLine = page.locator('.log-line:has-text("phase launch finished")');
    await liveLine.waitFor();
    expect(await liveLine.locator(".ts").textContent()).toBe("18:00:31.000");
    expect(await liveLine.locator(".proc").textContent()).toBe(`${memberId} agent`);
    await page.fill('[data-testid="log-search"]', "phase");
    await page.waitForFunction(() => document.querySelectorAll(".log-line").length === 4);
    // the stored tail and the live line merged by time
    expect(await page.locator(".log-line").allTextContents()).toEqual([
      `18:00:00.000${leaderId} agentphase launch started`,
      `18:00:00.001${memberId} agentphase launch started`,
      `18:00:30.000${leaderId} agentphase load started`,
      `18:00:31.000${memberId} agentphase launch finished`,
    ]);
    await page.locator('[data-testid="log-view"]').scrollIntoViewIfNeeded();
    await screenshot(page, "job-logs-nodes");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="log-download"]')]);
    const file = join(tmp, "dashboard.log");
    await download.saveAs(file);
    const dashLines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(dashLines).toEqual([...wholeLines, `${at(31_000)} [${memberId} agent] phase launch finished`]);
    const [matches] = await Promise.all([
      page.waitForEvent("download"),
      page.click('[data-testid="log-download-matches"]'),
    ]);
    const [older] = await Promise.all([
      page.waitForEvent("download"),
      page.click('[data-testid="log-older-download"]'),
    ]);
    const ofile = join(tmp, "older.log");
    await older.saveAs(ofile);
    expect(readFileSync(ofile, "utf8")).toBe(readFileSync(file, "utf8"));
    const mfile = join(tmp, "matches.log");
    await matches.saveAs(mfile);
    expect(readFileSync(mfile, "utf8").trimEnd().split("\n")).toEqual([
      `${at(0)} [${leaderId} agent] phase launch started`,
      `${at(1)} [${memberId} agent] phase launch started`,
      `${at(30_000)} [${leaderId} agent] phase load started`,
      `${at(31_000)} [${memberId} agent] phase launch finished`,
    ]);
  }, 120_000);
});
