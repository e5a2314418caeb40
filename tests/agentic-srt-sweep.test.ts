/**
 * An agentic multi-node row launched from its srt-slurm recipe, end to end on the emulated fleet:
 * `sweep start --srt-slurm` plans configs/demo.yaml's GB200 dynamo-sglang agentic row from our
 * recipe (configs/srt-slurm-recipes/dsr1-fp4/gb200-agentic-1p1d-hicache.yaml) and submits it to a
 * real controller; two real agents posing as GB200 nodes of the row's `cluster:` runner run the
 * gang (etcd/NATS, a prefill and a decode worker, the frontends) with emulated engines whose KV
 * cache is what the recipe's engine flags set: the prefill worker's radix cache and a HiCache tier
 * of 4 GB per rank, the decode worker's radix cache off. The stored point carries the trace
 * replay's per-turn metrics, the hit rate and the offload traffic; the agentic frontier of the API,
 * `results agentic` and the dashboard's agentic view show it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { type AgenticFrontier, PointResult, type PointRow } from "@benchfleet/shared";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildDashboard, launchChromium, signedInPage } from "./dashboard/browser.js";
import { REPO_ROOT, runCliAsync } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { randomLoopback } from "./helpers/loopback.js";

const KEY = "demo-dsr1-fp4-gb200-dynamo-sglang-agentic";
const AGENTS = ["agentic-srt-gb200-a", "agentic-srt-gb200-b"];

describe("an agentic row launched from its srt-slurm recipe on the emulated fleet", () => {
  let c: TestController;
  const agents: AgentHandle[] = [];
  const dirs: string[] = [];
  let browser: Browser | undefined;
  beforeAll(async () => {
    // before the controller starts: it serves the dashboard only if built
    buildDashboard();
    c = await startTestController(inject("redisUrl"));
    for (const agentId of AGENTS) {
      const dataDir = mkdtempSync(join(tmpdir(), "bf-agentic-srt-"));
      dirs.push(dataDir);
      agents.push(
        await startAgent({
          controller: c.url.replace(/^http/, "ws"),
          token: TOKENS.enrol,
          agentId,
          dataDir,
          labels: ["cluster:demo-gb200"],
          launcher: "emulated",
          emulate: { sku: "gb200", gpus: 4, ip: randomLoopback() },
          // the emulator's clock runs 20× fast: the row's 120 trace seconds are 6 s of wall time
          emulateExtraArgs: ["--time-scale", "0.05", "--quiet"],
          backoff: { initialMs: 50, maxMs: 500 },
          stopGraceMs: 2000,
        }),
      );
    }
    for (const id of AGENTS)
      await until(async () => (await c.api("GET", `/api/v1/nodes/${id}`)).body?.state === "idle", 10_000, `${id} idle`);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await c?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("runs the recipe's gang, replays the trace and stores per-turn metrics, hit rate and offload traffic", async () => {
    const operator = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.operator };
    const start = await runCliAsync(
      [
        "sweep",
        "start",
        "-c",
        join(REPO_ROOT, "configs", "demo.yaml"),
        "--runners",
        join(REPO_ROOT, "configs", "demo-runners.yaml"),
        "--keys",
        KEY,
        "--srt-slurm",
        join(REPO_ROOT, "configs", "srt-slurm-recipes"),
        "--json",
      ],
      { env: operator },
    );
    expect(start.code, start.stderr).toBe(0);
    // the recipe's benchmark section is not run: the row's load is benchfleet's trace replay
    expect(start.stderr).toMatch(
      /gb200-agentic-1p1d-hicache\.yaml:\d+:\d+: benchmark\.type: .* benchfleet replays its traces instead/,
    );
    const sweepId = JSON.parse(start.stdout).sweepId as string;
    expect((await sweepFinished(c, sweepId, 180_000)).status).toBe("succeeded");

    const rows = (await c.api("GET", `/api/v1/results?sweep=${sweepId}`, undefined, TOKENS.viewer)).body
      .items as PointRow[];
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ configKey: KEY, sku: "gb200", concurrency: 8 });
    expect([...row.nodes].sort()).toEqual(AGENTS);
    const r = PointResult.parse(row.result);
    expect(r.status, r.failureReason).toBe("ok");
    expect(r.point).toMatchObject({ isl: 0, osl: 0, durationS: 120 });

    // the trace replay's per-turn figures
    const a = r.agentic!;
    expect(a.trace.source).toBe("synthetic(seed=42)");
    expect(a.concurrency).toBe(8);
    expect(a.requests.completed).toBeGreaterThan(0);
    expect(a.trajectories.started).toBeGreaterThanOrEqual(8);
    // the lab's error ratio, under its gate (a loaded host may fail a turn or two)
    expect(a.errorRatio).toBeCloseTo(a.requests.failed / (a.requests.completed + a.requests.failed), 9);
    expect(a.errorRatio).toBeLessThanOrEqual(a.failureThreshold);
    for (const m of [a.ttftMs, a.itlMs, a.e2elMs]) {
      expect(m.median).toBeGreaterThan(0);
      expect(m.p99).toBeGreaterThanOrEqual(m.median!);
    }
    expect(a.e2elMs.median).toBeGreaterThan(a.ttftMs.median!);
    expect(a.throughput.totalTokensPerGpu).toBeGreaterThan(0);

    // the KV cache the recipe sets: the prefill worker caches prefixes and offloads to HiCache, the
    // decode worker (radix cache disabled) neither
    const roles = r.engineMetrics!.roles;
    const prefill = roles.find((x) => x.role === "prefill")!;
    const decode = roles.find((x) => x.role === "decode")!;
    expect(prefill.prefixCache!.hitRate).toBeGreaterThan(0.3);
    expect(prefill.offload).not.toBeNull();
    expect(prefill.offload!.externalQueryTokens).toBeGreaterThan(0);
    expect(decode.prefixCache?.hitTokens ?? 0).toBe(0);
    expect(decode.offload).toBeNull();
    // the host tier each engine was launched with: the recipe's 4 GB per rank over the prefill
    // worker's 4 GPUs, none on decode; the row's DRAM budget stays the deployment's
    expect(r.kvHostTiers).toEqual([
      {
        process: "prefill-0-rank0",
        role: "prefill",
        kind: "gb",
        gb: 16,
        setting: "--hicache-size 4 (GB per rank) × 4 ranks",
      },
      { process: "decode-0-rank0", role: "decode", kind: "none" },
    ]);

    // the gang ran the recipe's processes: etcd/NATS, one worker per role, the dynamo frontends and nginx
    const logs = await c.api("GET", `/api/v1/jobs/${row.jobId}/logs?tail=1000`, undefined, TOKENS.viewer);
    expect(logs.status, JSON.stringify(logs.body)).toBe(200);
    const names = JSON.stringify(logs.body.processes);
    for (const name of ["infra-etcd", "infra-nats", "prefill-0-rank0", "decode-0-rank0", "frontend-0", "nginx"])
      expect(names).toContain(name);

    // the agentic frontier (API and CLI) shows the point with its hit rate
    const f = await c.api("GET", `/api/v1/results/agentic-frontier?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const groups = f.body.groups as AgenticFrontier[];
    expect(groups).toHaveLength(1);
    expect(groups[0]!.group).toMatchObject({ sku: "gb200", kvOffloading: "dram", kvOffloadBackend: "hicache" });
    expect(groups[0]!.measured).toBe(1);
    const point = groups[0]!.points[0]!;
    expect(point.hitRate).toBeGreaterThan(0.1);
    // the overall sums both roles' counters, as the lab's aggregation does; per role apart
    expect(point.roleHitRates.map((x) => x.role)).toEqual(["prefill", "decode"]);
    expect(point.roleHitRates[0]!.hitRate).toBeCloseTo(prefill.prefixCache!.hitRate!, 9);
    expect(point.roleHitRates[0]!.hitRate).toBeGreaterThanOrEqual(point.hitRate!);
    expect(point.hostTier).toMatchObject({ gbPerProcess: 16, totalGb: 16, label: "16 GB" });
    expect(point.dramOffloadGb).toBeGreaterThan(16);
    const viewer = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.viewer };
    const frontier = await runCliAsync(["results", "agentic", "--sweep", sweepId, "--csv"], { env: viewer });
    expect(frontier.code, frontier.stderr).toBe(0);
    const [header, ...lines] = frontier.stdout.trim().split("\n");
    expect(header!.split(",").slice(0, 4)).toEqual(["group", "tok/s/user", "tok/s/GPU", "hit rate"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("gb200");
    const hitRate = lines[0]!.split(",")[3]!;
    expect(hitRate).toMatch(/^\d+\.\d%$/);
    const cells = Object.fromEntries(header!.split(",").map((h, i) => [h, lines[0]!.split(",")[i]]));
    expect(cells["host tier"]).toBe("16 GB");
    const byRole = cells["hit by role"]!;
    expect(byRole).toMatch(/^prefill \d+\.\d% · decode (\d+\.\d%|–)$/);
    expect(cells["DRAM budget GB"]).toBe(String(point.dramOffloadGb));

    // the dashboard's agentic view: the sweep's point, its hit rate as the CLI gives it, per-turn latencies
    browser = await launchChromium();
    const page = await signedInPage(browser, c.url, TOKENS.viewer, `#/agentic?sweep=${encodeURIComponent(sweepId)}`);
    await page.waitForSelector('[data-testid="agentic-stats"][data-points="1"]', {
      state: "attached",
      timeout: 30_000,
    });
    expect(await page.locator('[data-testid="agentic-hit-rate"]').allTextContents()).toEqual([hitRate]);
    expect(await page.locator('[data-testid="agentic-role-hit-rates"]').allTextContents()).toEqual([byRole]);
    expect(await page.locator('[data-testid="agentic-host-tier"]').allTextContents()).toEqual([
      `16 GB / ${point.dramOffloadGb} GB`,
    ]);
    const [tableRow] = await page.locator('[data-testid="agentic-table"] tbody tr').allTextContents();
    expect(tableRow).toContain("gb200");
    expect(tableRow).toContain(row.jobId);
    expect(tableRow).toMatch(/\d[\d.,]* \/ \d[\d.,]*/);
  }, 240_000);
});
