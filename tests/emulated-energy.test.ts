/**
 * Energy per token from the emulated GPU power model, end to end: real `benchfleet agent start
 * --emulate-sku` processes (emulated launcher, so their GPUs are sampled from their emulated engines'
 * busy time), a real controller. A single-node job's stored point and a 2-node disaggregated gang's
 * merged point carry emulated energy with plausible watts (between idle and TDP of the GPUs used);
 * heartbeats carry emulated telemetry. No stand-in nvidia-smi: nothing here reads a GPU tool.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { makeDeployment, twoNodeDisagg } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

/** configs/skus.yaml tdpW of H100 and H200; the model idles a GPU at 10 % of it */
const TDP_W = 700;
const IDLE_W = 70;

interface Agent {
  id: string;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe("emulated energy per token (emulated GPU power model)", () => {
  let c: TestController;
  const agents: Agent[] = [];
  const dirs: string[] = [];

  function startAgent(id: string, sku: "h100" | "h200"): Agent {
    const dataDir = mkdtempSync(join(tmpdir(), "bf-emu-energy-"));
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
        sku,
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
    // three agent processes and their engines share a small host: a late heartbeat must not fail the attempt
    c = await startTestController(inject("redisUrl"), { config: { heartbeatTimeoutMs: 5000, reconnectGraceMs: 8000 } });
    agents.push(startAgent("emu-energy-h100", "h100"), startAgent("emu-energy-h200-a", "h200"));
    agents.push(startAgent("emu-energy-h200-b", "h200"));
    for (const a of agents)
      await until(
        async () => (await c.api("GET", `/api/v1/nodes/${a.id}`)).body?.state === "idle",
        30_000,
        `agent ${a.id} registered`,
      );
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) a.child.kill("SIGTERM");
    await Promise.all(agents.map((a) => Promise.race([a.exited, new Promise((r) => setTimeout(r, 10_000))])));
    await c?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("single node and 2-node gang: stored points carry emulated energy within idle…TDP of their GPUs", async () => {
    // idle GPUs heartbeat emulated telemetry: 8 GPUs at the idle power
    const idle = await until(
      async () => {
        const t = (await c.api("GET", "/api/v1/nodes/emu-energy-h100")).body?.telemetry;
        return t?.gpus?.length === 8 ? t : undefined;
      },
      10_000,
      "emulated telemetry in a heartbeat",
    );
    expect(idle).toMatchObject({ gpuTelemetry: true, emulated: true });
    expect(idle.gpus.map((g: { powerW: number }) => g.powerW)).toEqual(Array(8).fill(IDLE_W));

    const single = {
      ...makeDeployment({ seed: "emu-energy-single", sku: "h100", points: [{ concurrency: 8, isl: 512, osl: 384 }] }),
      model: "meta-llama/Llama-3.1-8B-Instruct",
      modelPrefix: "llama3-8b",
      framework: "vllm",
      isl: 512,
      osl: 384,
      promptsPerConc: 2,
    };
    const gang = twoNodeDisagg("emu-energy-gang", { osl: 128 });
    const sweeps: string[] = [];
    for (const [name, d] of [
      ["emu-energy-single", single],
      ["emu-energy-gang", gang],
    ] as const) {
      const created = await c.api("POST", "/api/v1/sweeps", { name, deployments: [d] }, TOKENS.operator);
      expect(created.status).toBe(201);
      sweeps.push(created.body.sweepId as string);
    }
    const stderr = () => agents.map((a) => `${a.id}: ${a.stderr().slice(-2000)}`).join("\n");
    for (const s of sweeps) {
      const view = await sweepFinished(c, s, 90_000).catch(async (e) => {
        const v = await c.api("GET", `/api/v1/sweeps/${s}`, undefined, TOKENS.viewer);
        throw new Error(`${(e as Error).message}\n${JSON.stringify(v.body).slice(0, 3000)}\n${stderr()}`);
      });
      expect(view.status, stderr()).toBe("succeeded");
    }

    const stored = async (sweepId: string, nodes: number) => {
      let last: unknown;
      return until(
        async () => {
          const r = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
          const item = r.body.items?.[0];
          const e = item?.result?.energy;
          last = e;
          // a single node's figure has no parts; a gang's is complete once every node's part is in
          const parts = nodes === 1 || e?.nodes?.length === nodes;
          return e && parts && e.totalEnergyJ !== null ? item.result : undefined;
        },
        15_000,
        `energy of sweep ${sweepId} from ${nodes} node(s)`,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}; last energy: ${JSON.stringify(last)}`);
      });
    };

    // single node: all 8 GPUs of the TP8 engine, busy under load (well above idle), below TDP
    const one = await stored(sweeps[0], 1);
    expect(one.emulated).toBe(true);
    expect(one.energy).toMatchObject({ complete: true, gpus: 8, emulated: true });
    expect(one.energy.note).toBeUndefined();
    expect(one.energy.avgPowerW).toBeGreaterThan(8 * IDLE_W * 1.5);
    expect(one.energy.avgPowerW).toBeLessThanOrEqual(8 * TDP_W);
    expect(one.energy.joulesPerOutputToken).toBeGreaterThan(0);
    // energy is on the emulated clock, like the throughput: ≈ average power × the emulated duration
    expect(one.energy.totalEnergyJ / (one.energy.avgPowerW * one.bench.duration)).toBeGreaterThan(0.7);
    expect(one.energy.totalEnergyJ / (one.energy.avgPowerW * one.bench.duration)).toBeLessThan(1.4);

    // gang: the prefill node's and the decode node's 8 GPUs each, merged into 16
    const two = await stored(sweeps[1], 2);
    expect(two.energy).toMatchObject({ complete: true, gpus: 16, emulated: true });
    expect(two.energy.nodes.map((n: { node: string }) => n.node).sort()).toEqual([
      "emu-energy-h200-a",
      "emu-energy-h200-b",
    ]);
    for (const n of two.energy.nodes) {
      expect(n.energy).toMatchObject({ complete: true, gpus: 8, emulated: true });
      expect(n.energy.avgPowerW).toBeGreaterThan(8 * IDLE_W);
      expect(n.energy.avgPowerW).toBeLessThanOrEqual(8 * TDP_W);
    }
    expect(two.energy.totalEnergyJ).toBeCloseTo(
      two.energy.nodes[0].energy.totalEnergyJ + two.energy.nodes[1].energy.totalEnergyJ,
      6,
    );
    expect(two.energy.avgPowerW).toBeGreaterThan(16 * IDLE_W);
    expect(two.energy.avgPowerW).toBeLessThanOrEqual(16 * TDP_W);
    expect(two.energy.joulesPerOutputToken).toBeGreaterThan(0);
  }, 150_000);
});
