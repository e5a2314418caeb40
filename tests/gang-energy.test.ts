/**
 * Energy per token of a deployment spanning nodes run by one agent per node: the leader samples its
 * own GPUs; the controller asks every other member for its part over the point's window
 * (energy-request), and the stored point's energy becomes the gang's sum. Real controller, two real
 * agents posing as H200 nodes with emulated engines; GPU power from a stand-in nvidia-smi (no GPU here).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AgentHandle, startAgent } from "@benchfleet/agent";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { twoNodeDisagg } from "./helpers/deployments.js";
import { randomLoopback } from "./helpers/loopback.js";

// the agents' samplers start `nvidia-smi` from this process's PATH: the stand-in reports 400 W per GPU
process.env.PATH = `${fileURLToPath(new URL("./fixtures/gpu-tools", import.meta.url))}:${process.env.PATH}`;

describe("energy of a multi-node gang of per-node agents", () => {
  let c: TestController;
  const agents: AgentHandle[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
    for (const id of ["gang-h200-a", "gang-h200-b"]) {
      const dataDir = mkdtempSync(join(tmpdir(), "bf-gang-energy-"));
      dirs.push(dataDir);
      agents.push(
        await startAgent({
          controller: c.url.replace(/^http/, "ws"),
          token: TOKENS.enrol,
          agentId: id,
          dataDir,
          launcher: "emulated",
          emulate: { sku: "h200", gpus: 8, ip: randomLoopback() },
          gpuTelemetry: "nvidia-smi",
          emulateExtraArgs: ["--time-scale", "0.02", "--quiet"],
          backoff: { initialMs: 50, maxMs: 500 },
          stopGraceMs: 2000,
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await c?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("the stored point's energy is the sum of both nodes' GPUs, each reported by its own agent", async () => {
    const created = await c.api(
      "POST",
      "/api/v1/sweeps",
      { name: "gang-energy", deployments: [twoNodeDisagg("gang-energy", { osl: 64 })] },
      TOKENS.operator,
    );
    expect(created.status).toBe(201);
    const sweepId = created.body.sweepId as string;
    expect((await sweepFinished(c, sweepId, 60_000)).status).toBe("succeeded");
    // the follower's part arrives after the leader's result: wait for the merged figure
    const energy = await until(
      async () => {
        const r = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
        const e = r.body.items?.[0]?.result?.energy;
        return e?.nodes?.length === 2 ? e : undefined;
      },
      15_000,
      "both nodes' energy merged",
    );
    expect(energy).toMatchObject({ complete: true, gpus: 16 });
    expect(energy.note).toBeUndefined();
    expect(energy.avgPowerW).toBeCloseTo(16 * 400, 0);
    expect(energy.nodes.map((n: { node: string }) => n.node).sort()).toEqual(["gang-h200-a", "gang-h200-b"]);
    for (const n of energy.nodes) expect(n.energy).toMatchObject({ complete: true, gpus: 8 });
    expect(energy.totalEnergyJ).toBeCloseTo(
      energy.nodes[0].energy.totalEnergyJ + energy.nodes[1].energy.totalEnergyJ,
      6,
    );
    expect(energy.joulesPerOutputToken).toBeGreaterThan(0);
  }, 90_000);
});
