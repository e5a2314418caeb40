/**
 * The plan preview lists every deployment with its launch and a wall-clock estimate that says what
 * it rests on: a deployment that ran on this controller before takes its measured time, another of
 * the same SKU and framework the model scaled by those runs, the rest the model; the sweep's
 * wall-clock packs the launches onto the fleet's nodes. Dashboard (Chromium) and `plan --history`.
 * Screenshot: plan-preview-deployments.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "../helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS } from "../helpers/controller.js";
import { ProtocolAgent } from "../helpers/protocol-agent.js";
import { buildDashboard, launchChromium, screenshot, signedInPage } from "./browser.js";

const entry = (key: string, runner: string, framework: string, spaces: string[]) => `
${key}:
  image: lmsysorg/sglang:v0.5.16-cu129
  model: deepseek-ai/DeepSeek-R1-0528
  model-prefix: dsr1
  runner: ${runner}
  precision: fp8
  framework: ${framework}
  multinode: false
  benchfleet: { prompts-per-conc: 3 }
  scenarios:
    fixed-seq-len:
      - isl: 1024
        osl: 128
        search-space:
${spaces.map((s) => `          - ${s}`).join("\n")}
`;
const TP8 = "{ tp: 8, ep: 1, conc-list: [2, 8] }";
const TP4 = "{ tp: 4, ep: 1, conc-list: [2, 8] }";

describe("plan preview: deployments, launches, wall-clock from history", () => {
  let c: TestController;
  let browser: Browser;
  let page: Page | undefined;
  const agents: ProtocolAgent[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "bf-plan-preview-"));

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

  it("measured, calibrated and model estimates per deployment; the sweep on the fleet's nodes", async () => {
    for (const agentId of ["pp-h200-a", "pp-h200-b"]) {
      const a = new ProtocolAgent({ url: c.url, agentId, token: TOKENS.enrol, sku: "h200", domain: "rack-1" });
      agents.push(a);
      await a.connect();
    }
    // history: the TP8 deployment ran here once
    const file = "preview-master.yaml";
    const first = entry("pp-dsr1-fp8-h200-sglang", "h200", "sglang", [TP8]);
    const run = agents.map(async (a) => {
      const asg = await a.nextAssignment(60_000);
      // a couple of seconds, so the measured figures are not 0 s
      await a.runAssignment(asg, { holdUntil: new Promise((r) => setTimeout(r, 2500)) });
    });
    const sweepId = (
      await c.api("POST", "/api/v1/sweeps", { name: "history", plan: { configs: [{ file, text: first }] } })
    ).body.sweepId as string;
    await Promise.any(run).catch((e) => {
      throw new Error(
        `no agent ran the sweep: ${JSON.stringify(agents.map((a) => a.received.filter((m) => m.type === "error")))} ${e}`,
      );
    });
    expect((await sweepFinished(c, sweepId, 30_000)).status).toBe("succeeded");

    // the preview: TP8 again (measured), TP4 (same SKU and framework: calibrated), an h100 vLLM row (model)
    const text =
      entry("pp-dsr1-fp8-h200-sglang", "h200", "sglang", [TP8, TP4]) +
      entry("pp-dsr1-fp8-h100-vllm", "h100", "vllm", [TP8]);
    const path = join(tmp, file);
    writeFileSync(path, text);
    page = await signedInPage(browser, c.url, TOKENS.operator, "#/sweeps?start=1");
    await page.setInputFiles('[data-testid="config-files"]', path);
    await page.click('[data-testid="preview-plan"]');
    await page.waitForSelector('[data-testid="plan-deployments"]');
    const rows = page.locator('[data-testid="plan-deployment"]');
    expect(await rows.count()).toBe(3);
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => {
        const td = Array.from(tr.querySelectorAll("td"));
        return {
          config: td[0]!.textContent,
          parallelism: td[3]!.textContent,
          conc: td[5]!.textContent,
          launch: td[6]!.textContent,
          basis: td[10]!.getAttribute("data-basis"),
          wall: td[10]!.textContent,
        };
      }),
    );
    const by = (parallelism: string, config: string) =>
      cells.find((x) => x.parallelism === parallelism && x.config === config)!;
    const measured = by("TP8", "pp-dsr1-fp8-h200-sglang");
    expect(measured).toMatchObject({ basis: "measured", conc: "2,8", launch: "1/1" });
    expect(measured.wall).toMatch(/^[1-9]\d*s measured \(1 job\)$/);
    const calibrated = by("TP4", "pp-dsr1-fp8-h200-sglang");
    expect(calibrated.basis).toBe("calibrated");
    expect(calibrated.wall).toMatch(/^[1-9]\d*s calibrated ×0\.0\d+ \(1 job\)$/); // seconds here, not the model's minutes
    const model = by("TP8", "pp-dsr1-fp8-h100-vllm");
    expect(model.basis).toBe("model");
    expect(model.wall).toMatch(/^\d+m \d\ds model$/);
    expect(await page.textContent('[data-testid="plan-wall-clock"]')).toMatch(
      /^Wall-clock ≈ \d+m \d\ds on the fleet's nodes \(h100: 1 node assumed, h200: 2 nodes\), \d+m \d\ds one after another · estimates: 1 measured, 1 calibrated, 1 model$/,
    );
    await page.locator('[data-testid="plan-deployments"]').scrollIntoViewIfNeeded();
    await screenshot(page, "plan-preview-deployments");

    // the CLI: the same figures from the controller's history
    const cli = await runCliAsync(["plan", "--config", path, "--history"], {
      env: { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer },
    });
    expect(cli.code, cli.stderr).toBe(0);
    const lines = cli.stdout.split("\n");
    const row = (needle: RegExp) => lines.find((l) => needle.test(l)) ?? "";
    expect(row(/h200 .*tp8 ep1/)).toMatch(/\d+s \(measured\)$/);
    expect(row(/h200 .*tp4 ep1/)).toMatch(/\d+s \(calibrated\)$/);
    expect(row(/h100 .*tp8 ep1/)).toMatch(/\d+m \d\ds \(model\)$/);
    expect(cli.stdout).toMatch(
      /Wall-clock: ≈\d+m \d\ds on the controller's fleet \(nodes: h100 1\?, h200 2; \? = unknown, largest gang\), .* estimates: 1 measured, 1 calibrated, 1 model/,
    );
  }, 120_000);
});
