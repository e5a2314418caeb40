/**
 * End to end: a disaggregated SGLang plan (2 prefill + 1 decode worker on three "nodes" plus the
 * router) built by the recipe is run with the emulated engine standing in for each process — the
 * plan's argv handed to the emulated launcher, real child processes on 127.0.0.1..3 — through
 * per-process readiness, the gang readiness (router /readiness + canary) and one load point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmulatedLauncher } from "@benchfleet/agent/launchers/emulated";
import type { LaunchContext, RunningProcess } from "@benchfleet/agent/launchers/launcher";
import { runLoadPoint } from "@benchfleet/agent/loadgen/run-load-point";
import { waitReady } from "@benchfleet/agent/ready-check";
import { buildLaunchPlan } from "@benchfleet/agent/recipes/index";
import { PORT_BASES } from "@benchfleet/agent/recipes/ports";
import { loadPresets } from "@benchfleet/agent/recipes/preset-loader";
import { makeDeployment, makePlacement } from "@benchfleet/agent/recipes/test-support/deployments";
import { afterAll, describe, expect, it } from "vitest";

const presets = loadPresets(fileURLToPath(new URL("../configs/recipes/", import.meta.url)));

describe("recipe plan on the emulated engine", () => {
  const running: Array<{ launcher: EmulatedLauncher; proc: RunningProcess }> = [];
  const dir = mkdtempSync(join(tmpdir(), "bf-recipes-e2e-"));
  afterAll(async () => {
    await Promise.all(running.map(({ launcher, proc }) => launcher.stop(proc, 2000)));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sglang-disagg 2P1D: launch, readiness, canary, one load point", async () => {
    const d = makeDeployment({
      configKey: "dsr1-fp8-h200-sglang-disagg-e2e",
      sku: "h200",
      framework: "sglang-disagg",
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp8",
      image: "lmsysorg/sglang:v0.5.16-cu129",
      isl: 256,
      osl: 16,
      concs: [4],
      kvP2pTransfer: "mooncake",
      specDecoding: "mtp",
      prefill: { numWorker: 2, tp: 8, ep: 8, dpAttn: true },
      decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
    });
    const placement = makePlacement(d, { portBase: PORT_BASES[7 + (process.pid % 20)]!, rdma: ["mlx5_0"] });
    placement.nodes.forEach((n, i) => {
      n.ip = `127.0.0.${i + 1}`;
    });
    const plan = buildLaunchPlan(d, placement, { presets });
    expect(plan.nodes.map((n) => n.processes.map((p) => p.role))).toEqual([
      ["prefill", "router"],
      ["prefill"],
      ["decode"],
    ]);

    const lines: string[] = [];
    // one launcher per node: each node's processes bind that node's address, as on separate hosts
    const launchers = plan.nodes.map(
      (n) =>
        new EmulatedLauncher({
          host: n.ip,
          plan: () => plan,
          extraArgs: ["--time-scale", "0.02", "--health-interval-ms", "100", "--quiet"],
        }),
    );
    const ctx = (node: number): LaunchContext => ({
      attemptId: "e2e-1",
      deployment: d,
      vendor: "nvidia",
      attemptDir: join(dir, `node${node}`),
      onLine: (name, _s, line) => lines.push(`${name}: ${line}`),
    });
    const stages = [...new Set(plan.nodes.flatMap((n) => n.processes.map((p) => p.stage)))].sort();
    for (const stage of stages) {
      const started: Array<{
        proc: RunningProcess;
        health: (typeof plan.nodes)[number]["processes"][number]["health"];
      }> = [];
      for (const n of plan.nodes) {
        for (const spec of n.processes.filter((p) => p.stage === stage)) {
          const proc = await launchers[n.rank]!.start(spec, ctx(n.rank));
          running.push({ launcher: launchers[n.rank]!, proc });
          started.push({ proc, health: spec.health });
        }
      }
      await Promise.all(
        started.map(({ proc, health }) =>
          waitReady(
            health,
            { name: proc.name, exited: () => proc.exit, tail: () => proc.tail() },
            AbortSignal.timeout(20_000),
            100,
          ),
        ),
      );
    }
    await waitReady(plan.gangHealth, { name: "gang" }, AbortSignal.timeout(20_000), 100);

    const res = await runLoadPoint({
      baseUrl: plan.endpoint.baseUrl,
      model: plan.endpoint.model,
      isl: d.isl,
      osl: d.osl,
      concurrency: 4,
      numPrompts: 12,
      warmups: 2,
      rangeRatio: 1,
      seed: 1,
      emulated: true,
    });
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    expect(res.bench.total_output_tokens).toBe(12 * d.osl);
    // the router reached both prefill workers' addresses from the plan's argv
    const router = plan.nodes[0]!.processes.find((p) => p.role === "router")!;
    expect(router.argv.filter((a) => a.startsWith("http://127.0.0."))).toHaveLength(3);
  }, 60_000);
});
