/**
 * The fleet as Prometheus and Grafana see it, end to end: a real controller, two real emulated
 * agent processes, a 2-node disaggregated DeepSeek-R1 MTP deployment run through them. Then:
 * - a scrape of the controller's `/metrics` holds every series the Grafana dashboard in
 *   deploy/grafana queries, with the fleet's figures (agents, GPUs, spool, phases, results);
 * - `/api/v1/status` reads the same registry;
 * - the stored point carries engine metrics of both roles (prefill and decode), read from the
 *   emulated engines' vllm:* names, with the MTP acceptance length and rate.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EngineRoleMetrics, parsePrometheusText } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT, spawnCli } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { twoNodeDisagg } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

interface Agent {
  id: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** every metric name a PromQL expression of the dashboard selects (`name{…}`) */
function dashboardMetricNames(): Map<string, string> {
  const dash = JSON.parse(readFileSync(join(REPO_ROOT, "deploy/grafana/benchfleet-fleet.json"), "utf8")) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  const names = new Map<string, string>();
  for (const p of dash.panels)
    for (const t of p.targets ?? []) {
      const found = [...t.expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{/g)].map((m) => m[1]!);
      expect(found.length, `panel "${p.title}": ${t.expr}`).toBeGreaterThan(0);
      for (const n of found) names.set(n, p.title);
    }
  return names;
}

describe("fleet metrics: Prometheus /metrics, Grafana dashboard, engine metrics per point", () => {
  let c: TestController;
  const agents: Agent[] = [];
  const dirs: string[] = [];

  function startAgent(id: string): Agent {
    const dataDir = mkdtempSync(join(tmpdir(), "bf-fleet-metrics-"));
    dirs.push(dataDir);
    const child = spawnCli(
      [
        "agent",
        "start",
        "--controller",
        c.url.replace(/^http/, "ws"),
        "--token",
        TOKENS.enrol,
        "--agent-id",
        id,
        "--emulate-sku",
        "h200",
        "--emulate-ip",
        randomLoopback(),
        "--data-dir",
        dataDir,
        "--time-scale",
        "0.5",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (b) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    return { id, child, stderr: () => stderr, exited };
  }

  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"), { config: { heartbeatTimeoutMs: 5000, reconnectGraceMs: 8000 } });
    agents.push(startAgent("fm-a"), startAgent("fm-b"));
    for (const a of agents)
      await until(
        async () => (await c.api("GET", `/api/v1/nodes/${a.id}`)).body?.state === "idle",
        60_000,
        `agent ${a.id} registered`,
      ).catch((e) => {
        throw new Error(`${(e as Error).message}\n${a.stderr().slice(-3000)}`);
      });
  }, 90_000);

  afterAll(async () => {
    for (const a of agents) a.child.kill("SIGTERM");
    await Promise.all(agents.map((a) => Promise.race([a.exited, new Promise((r) => setTimeout(r, 10_000))])));
    await c?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("runs an MTP disagg point; the scrape serves every dashboard metric and the point its engine metrics", async () => {
    const d = { ...twoNodeDisagg("fleet-metrics", { osl: 64 }), specDecoding: "mtp" as const };
    const created = await c.api("POST", "/api/v1/sweeps", { name: "fleet-metrics", deployments: [d] }, TOKENS.operator);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const stderr = () => agents.map((a) => `${a.id}: ${a.stderr().slice(-2000)}`).join("\n");
    const view = await sweepFinished(c, created.body.sweepId, 90_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${stderr()}`);
    });
    expect(view.status, stderr()).toBe("succeeded");

    // ---- the stored point: both roles' engines, MTP acceptance
    const point = await until(
      async () => {
        const r = await c.api(
          "GET",
          `/api/v1/results?sweep=${created.body.sweepId}&emulated=true`,
          undefined,
          TOKENS.viewer,
        );
        return r.body.items?.[0]?.result;
      },
      15_000,
      "stored point",
    );
    const roles = point.engineMetrics.roles as EngineRoleMetrics[];
    expect(roles.map((r) => r.role).sort()).toEqual(["decode", "prefill"]);
    for (const r of roles) {
      expect(r.problem, JSON.stringify(r)).toBeUndefined();
      expect(r.engine).toBe("vllm");
      expect(r.scrapes).toBeGreaterThanOrEqual(2);
      expect(r.kvCacheUsage).not.toBeNull();
      expect(r.requestsRunning).not.toBeNull();
      expect(r.preemptions).toBe(0);
      // the emulated engine has no prefix cache: it looks tokens up and never hits
      expect(r.prefixCache?.hitTokens).toBe(0);
    }
    const prefill = roles.find((r) => r.role === "prefill")!;
    expect(prefill.prefixCache!.queryTokens).toBeGreaterThan(0);
    expect(prefill.prefixCache!.hitRate).toBe(0);
    const decode = roles.find((r) => r.role === "decode")!;
    expect(decode.specDecode, JSON.stringify(decode)).not.toBeNull();
    expect(decode.specDecode!.drafts).toBeGreaterThan(0);
    // at least one token a step (the bonus token), at most one more than the draft depth
    expect(decode.specDecode!.acceptanceLength).toBeGreaterThan(1);
    expect(decode.specDecode!.acceptanceLength).toBeLessThanOrEqual(
      1 + decode.specDecode!.draftTokens! / decode.specDecode!.drafts!,
    );
    expect(decode.specDecode!.acceptanceRate).toBeGreaterThan(0);
    expect(decode.specDecode!.acceptanceRate).toBeLessThanOrEqual(1);

    // ---- the point as the lab's aggregated row (agg_bmk.json): 8 prefill + 8 decode GPUs
    const agg = await c.api(
      "GET",
      `/api/v1/results/lab-agg?sweep=${created.body.sweepId}&emulated=true`,
      undefined,
      TOKENS.viewer,
    );
    expect(agg.status, JSON.stringify(agg.body)).toBe(200);
    expect(agg.body).toHaveLength(1);
    expect(agg.body[0]).toMatchObject({
      hw: "h200",
      is_multinode: true,
      spec_decoding: "mtp",
      num_prefill_gpu: 8,
      num_decode_gpu: 8,
    });
    expect(agg.body[0].tput_per_gpu).toBeCloseTo(point.bench.total_token_throughput / 16, 9);
    expect(agg.body[0].output_tput_per_gpu).toBeCloseTo(point.bench.output_throughput / 8, 9);
    expect(agg.body[0].median_intvty).toBeCloseTo(1000 / point.bench.median_tpot_ms, 9);

    // ---- the controller's scrape
    expect((await fetch(`${c.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const samples = parsePrometheusText(await res.text());
    const served = new Set(samples.map((s) => s.name));
    const missing = [...dashboardMetricNames()].filter(([n]) => !served.has(n)).map(([n, panel]) => `${n} (${panel})`);
    expect(missing).toEqual([]);

    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0);
    expect(value("benchfleet_agents_connected")).toBe(2);
    expect(value("benchfleet_agents_healthy")).toBe(2);
    expect(value("benchfleet_agents", { state: "idle" }) + value("benchfleet_agents", { state: "busy" })).toBe(2);
    // (at least: a retry of this test runs a second sweep on the same controller)
    expect(value("benchfleet_jobs", { status: "succeeded" })).toBeGreaterThanOrEqual(1);
    expect(value("benchfleet_jobs", { status: "failed" })).toBe(0);
    expect(value("benchfleet_attempts", { state: "succeeded" })).toBeGreaterThanOrEqual(1);
    expect(value("benchfleet_result_points_stored", { emulated: "true" })).toBeGreaterThanOrEqual(1);
    expect(value("benchfleet_dispatch_round_seconds_count")).toBeGreaterThan(0);
    expect(value("benchfleet_attempt_phase_duration_seconds_count", { phase: "load" })).toBeGreaterThanOrEqual(1);
    expect(value("benchfleet_agent_ws_frames_received_total")).toBeGreaterThan(0);
    for (const a of agents) {
      expect(samples.some((s) => s.name === "benchfleet_node_spool_depth" && s.labels.node === a.id)).toBe(true);
      // the emulated GPU power model: 8 GPUs a node
      expect(
        samples.filter((s) => s.name === "benchfleet_node_gpu_power_watts" && s.labels.node === a.id),
      ).toHaveLength(8);
    }

    // the agents' spools drain once the controller acknowledged their results (next heartbeat)
    await until(
      async () => {
        const text = await (
          await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })
        ).text();
        const depths = parsePrometheusText(text).filter((s) => s.name === "benchfleet_node_spool_depth");
        return depths.length === 2 && depths.every((s) => s.value === 0);
      },
      5_000,
      "spool depth 0 on both agents",
    );

    // ---- /api/v1/status reads the same registry
    const status = (await c.api("GET", "/api/v1/status", undefined, TOKENS.viewer)).body;
    expect(status.agentsConnected).toBe(2);
    expect(status.nodes).toBe(2);
    expect(status.dispatchRounds).toBeGreaterThan(0);
    expect(status.dispatchRoundMs.count).toBeGreaterThan(0);
  }, 150_000);
});
