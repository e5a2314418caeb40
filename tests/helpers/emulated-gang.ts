/**
 * A launch plan run with the emulated engine standing in for each process: the plan's argv handed
 * to the emulated launcher, real child processes on 127.0.0.1..N (one launcher per node, each
 * binding its node's address, as on separate hosts), stage by stage with per-process readiness,
 * then the gang readiness (router/frontend health + canary) and one load point.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LaunchContext, RunningProcess } from "@benchfleet/agent";
import { EmulatedLauncher, runLoadPoint, waitReady } from "@benchfleet/agent";
import { buildLaunchPlan } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import type { Deployment, LaunchPlan } from "@benchfleet/shared";
import { PORT_BASES } from "@benchfleet/shared";

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * The plan of `d` on nodes 127.0.0.1… in a port block none of whose ports is taken: other test
 * files run emulated engines side by side, and a frontend answering on a port another test's
 * frontend holds would be that test's.
 */
export async function planOnFreePorts(
  d: Deployment,
  o: { rdma?: string[]; presets?: NonNullable<Parameters<typeof buildLaunchPlan>[2]>["presets"] } = {},
): Promise<LaunchPlan> {
  for (let tries = 0; tries < 50; tries++) {
    const portBase = PORT_BASES[Math.floor(Math.random() * PORT_BASES.length)]!;
    const placement = makePlacement(d, { portBase, ...(o.rdma ? { rdma: o.rdma } : {}) });
    placement.nodes.forEach((n, i) => {
      n.ip = `127.0.0.${i + 1}`;
    });
    const plan = buildLaunchPlan(d, placement, o.presets ? { presets: o.presets } : {});
    const ports = plan.nodes.flatMap((n) =>
      n.processes.flatMap((p) => Object.values(p.ports).map((port) => [n.ip, port] as const)),
    );
    if ((await Promise.all(ports.map(([ip, port]) => portFree(ip, port)))).every(Boolean)) return plan;
  }
  throw new Error("no port block with every port free");
}

/** Emulated gangs started by one test file; `stop()` ends every process and removes their files. */
export class EmulatedGangs {
  readonly running: Array<{ launcher: EmulatedLauncher; proc: RunningProcess }> = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "bf-recipes-e2e-"));

  /** runs every process of the plan, waits for readiness, then one load point of concurrency 4 and 12 prompts */
  async launchAndLoad(plan: LaunchPlan, d: Deployment, attemptId: string) {
    const lines: string[] = [];
    const launchers = plan.nodes.map(
      (n) =>
        new EmulatedLauncher({
          host: n.ip,
          plan: () => plan,
          extraArgs: ["--time-scale", "0.02", "--health-interval-ms", "100", "--quiet"],
        }),
    );
    const ctx = (node: number): LaunchContext => ({
      attemptId,
      deployment: d,
      vendor: "nvidia",
      attemptDir: join(this.dir, attemptId, `node${node}`),
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
          this.running.push({ launcher: launchers[n.rank]!, proc });
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
    return { res, lines };
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map(({ launcher, proc }) => launcher.stop(proc, 2000)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
