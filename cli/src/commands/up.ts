/**
 * `benchfleet up`: the whole system on one machine — Redis (REDIS_URL or a private redis-server),
 * the controller with the dashboard, a fleet of emulated agents as separate processes, and a demo
 * sweep followed to the end with its Pareto table. Ctrl-C stops everything and leaves nothing running.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  type ControllerHandle,
  planFromFiles,
  REPO_ROOT,
  type RedisHandle,
  readSkuCatalog,
  startController,
  startRedis,
} from "@benchfleet/controller";
import type { AgenticFrontier, Plan, SkuName, SweepSummary } from "@benchfleet/shared";
import { CliError, commaList } from "@benchfleet/shared";
import { type Command, Option } from "commander";
import { agenticTableRows } from "../agentic-table.js";
import { ApiClient } from "../client.js";
import { collectDirs } from "../option-checks.js";
import { renderTable } from "../table.js";
import { dashboardBuilt, ensureDashboardBuilt } from "../up/dashboard-build.js";
import { demoFleet, type FleetMember, parseSlurmSpec } from "../up/demo-fleet.js";
import { type AgentProcess, reapMarked, spawnAgent, stopAgents } from "../up/fleet-processes.js";
import { type FrontierGroupView, pointEnergy, renderParetoTables } from "../up/pareto-table.js";
import { type SlurmCluster, slurmInstalled, startSlurmCluster } from "../up/slurm-cluster.js";
import { progressLine } from "./sweep.js";

const DEFAULT_SKUS = "h100,h200,b200,gb200,mi300x,mi355x";
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

interface UpOptions {
  agents: number;
  skus: string;
  sweep: string;
  runners: string;
  port: number;
  timeScale: number;
  dataDir: string;
  untilDone?: boolean;
  json?: boolean;
  timeoutS: number;
  slurm?: string;
  srtSlurm?: string[];
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${name} must be a non-negative integer, got "${v}"`, 2);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number, got "${v}"`, 2);
  return n;
};

export function register(program: Command): void {
  program
    .command("up")
    .description("run the whole system on this machine: Redis, controller + dashboard, emulated agents, a demo sweep")
    .option("--agents <n>", "emulated agents to start", int("--agents"), 12)
    .option("--skus <list>", "SKUs the agents pose as, round-robin", DEFAULT_SKUS)
    .option("--sweep <file>", "master config of the demo sweep", join(REPO_ROOT, "configs", "demo.yaml"))
    .option(
      "--runners <file>",
      "runners.yaml of the sweep's cluster:<name> labels (agentic rows)",
      join(REPO_ROOT, "configs", "demo-runners.yaml"),
    )
    .option("--srt-slurm <dir>", "srt-slurm recipes for the sweep's CONFIG_FILE rows (repeatable)", collectDirs)
    .option("--port <port>", "controller and dashboard port (0: any free port)", int("--port"), 8080)
    .option(
      "--time-scale <x>",
      "emulated engines: wall seconds per emulated second (reported metrics stay in emulated time)",
      positive("--time-scale"),
      0.05,
    )
    .option("--data-dir <dir>", "controller data, agent spools, Redis data", ".benchfleet/up")
    .option("--until-done", "exit when the sweep finishes: status 0 if every point succeeded")
    .option("--json", "with --until-done: print a JSON summary as the last line")
    .option(
      "--slurm <sku:nodes>",
      "also run a local Slurm cluster of that many nodes (slurm-wlm + munge, as root) and one partition agent posing as those SKU nodes; its jobs run as sbatch/srun job steps",
    )
    .addOption(
      new Option("--timeout-s <s>", "give up (non-zero exit) after this long")
        .argParser(positive("--timeout-s"))
        .default(1800),
    )
    .action(async (o: UpOptions) => {
      process.exitCode = await up(o);
    });
}

async function up(o: UpOptions): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const catalog = readSkuCatalog();
  const skus = commaList(o.skus).map((s) => s.toLowerCase());
  for (const s of skus)
    if (!(s in catalog))
      throw new CliError(`--skus: unknown SKU "${s}" (known: ${Object.keys(catalog).join(", ")})`, 2);
  const plan: Plan = planFromFiles({
    config: [o.sweep],
    runners: o.runners,
    srtSlurm: o.srtSlurm ?? [join(REPO_ROOT, "configs", "srt-slurm-recipes")],
  });
  let slurmSpec: { sku: SkuName; nodes: number } | undefined;
  if (o.slurm) {
    try {
      slurmSpec = parseSlurmSpec(o.slurm, catalog);
    } catch (e) {
      throw new CliError((e as Error).message, 2);
    }
    if (!slurmInstalled())
      throw new CliError("--slurm: Slurm is not installed (Debian: apt-get install -y slurm-wlm munge)", 2);
    if (process.getuid?.() !== 0) throw new CliError("--slurm: the local Slurm daemons must run as root", 2);
  }
  const fleet: FleetMember[] = o.agents > 0 ? demoFleet(o.agents, skus as SkuName[], catalog) : [];
  if (slurmSpec)
    fleet.push({
      agentId: `slurm-${slurmSpec.sku}`,
      sku: slurmSpec.sku,
      gpus: catalog[slurmSpec.sku].gpusPerNode,
      domain: `slurm:${slurmSpec.sku}`,
      ip: "",
      // the cluster's environment is set once it runs (below)
      slurm: { partition: slurmSpec.sku, env: {} },
    });
  if (fleet.length === 0) throw new CliError("--agents 0 needs --slurm (no agent would run anything)", 2);
  const fleetSkus = new Set(fleet.map((m) => m.sku));
  const runnable = plan.deployments.filter((d) => fleetSkus.has(d.sku));
  if (!runnable.length)
    throw new CliError(`no deployment of ${o.sweep} runs on the fleet's SKUs (${[...fleetSkus].join(", ")})`, 2);
  const skipped = plan.deployments.length - runnable.length;
  // rows planned for a label other than their SKU (agentic rows' cluster:<name>) run on that SKU's agents
  for (const m of fleet) {
    const labels = new Set(runnable.filter((d) => d.sku === m.sku && d.runner !== m.sku).map((d) => d.runner));
    if (labels.size) m.labels = [...labels];
  }

  const dataDir = resolve(o.dataDir);
  mkdirSync(dataDir, { recursive: true });
  // every process of this run carries the marker in its environment (BENCHFLEET_UP_RUN), so
  // nothing is left behind; tests may choose it to check that by pid
  const marker = process.env.BENCHFLEET_UP_MARKER || randomUUID();
  let redis: RedisHandle | undefined;
  let controller: ControllerHandle | undefined;
  let agents: AgentProcess[] = [];
  let slurmCluster: SlurmCluster | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await stopAgents(agents);
      const orphans = reapMarked(marker);
      if (orphans.length) say(`stopped ${orphans.length} leftover engine process(es): ${orphans.join(", ")}`);
      await slurmCluster?.stop();
      await controller?.close();
      await redis?.stop();
    })();
    return stopping;
  };
  let interrupted: ((sig: string) => void) | undefined;
  const interruptedP = new Promise<string>((r) => {
    interrupted = r;
  });
  const onSignal = (sig: NodeJS.Signals) => interrupted?.(sig);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    let redisUrl = process.env.REDIS_URL;
    if (redisUrl) say(`redis: using REDIS_URL ${redisUrl}`);
    else {
      mkdirSync(join(dataDir, "redis"), { recursive: true });
      try {
        // its own process group, as the agents: Ctrl-C stops it through stopAll, after the controller
        redis = await startRedis({ dataDir: join(dataDir, "redis"), detached: true });
      } catch (e) {
        throw new CliError(
          `${(e as Error).message}. Install Redis (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_URL=redis://host:port`,
          2,
        );
      }
      redisUrl = redis.url;
      say(`redis: started redis-server pid ${redis.pid} on ${redis.url}`);
    }

    if (!dashboardBuilt()) {
      say("dashboard: building it once (vite)…");
      const err = ensureDashboardBuilt();
      say(err ? `dashboard: not available (${err}); the API and CLI work without it` : "dashboard: built");
    }
    controller = await startController({
      config: {
        redisUrl,
        keyPrefix: `bfup${marker.slice(0, 8)}`,
        dataDir: join(dataDir, "controller"),
        port: o.port,
        insecureDev: true,
        heartbeatIntervalMs: 1000,
        heartbeatTimeoutMs: 6000,
        disconnectGraceMs: 5000,
        backoffMs: 2000,
        dispatchIntervalMs: 300,
      },
    });
    say(`controller: ${controller.url} (dashboard at ${controller.url}/, --insecure-dev: no auth, local demo only)`);
    // the CLI's default controller is :8480, not up's port
    say(`cli: BENCHFLEET_URL=${controller.url} pnpm benchfleet sweep ls   (no token needed)`);
    const ws = `${controller.url.replace(/^http/, "ws")}/api/v1/agents/ws`;
    const partitionAgent = fleet.find((m) => m.slurm);
    if (slurmSpec && partitionAgent?.slurm) {
      slurmCluster = await startSlurmCluster({ nodes: slurmSpec.nodes, partition: slurmSpec.sku });
      partitionAgent.slurm.env = slurmCluster.env;
      say(
        `slurm: local cluster (munge, slurmctld, ${slurmSpec.nodes} slurmd) in ${slurmCluster.dir}, partition ${slurmSpec.sku}: ${slurmCluster.nodes.map((n) => `${n.name}@${n.addr}`).join(" ")}`,
      );
    }
    agents = fleet.map((member) =>
      spawnAgent({
        member,
        controllerWs: ws,
        token: "demo",
        dataDir: join(dataDir, "agents"),
        timeScale: o.timeScale,
        marker,
      }),
    );
    say(`agents: ${fleet.map((m) => `${m.agentId}@${m.domain}`).join(" ")} (logs under ${join(dataDir, "agents")})`);

    const client = new ApiClient({ controller: controller.url });
    await waitForAgents(client, fleet.length, interruptedP);
    let sweep = await client.post<SweepSummary>("/api/v1/sweeps", {
      name: `demo ${relative(process.cwd(), resolve(o.sweep)) || o.sweep}`,
      deployments: runnable,
      source: { kind: "config", configFiles: [o.sweep] },
    });
    say(
      `sweep ${sweep.sweepId}: ${sweep.jobCount} deployments, ${sweep.pointsTotal} points${skipped ? ` (${skipped} deployments skipped: no agent of their SKU)` : ""}`,
    );

    const deadline = Date.now() + o.timeoutS * 1000;
    let last = "";
    const tty = process.stderr.isTTY;
    for (;;) {
      sweep = await client.get<SweepSummary>(`/api/v1/sweeps/${sweep.sweepId}`);
      const line = progressLine(sweep as never);
      if (line !== last) tty ? process.stderr.write(`\r\x1b[2K${line}`) : say(line);
      last = line;
      if (TERMINAL.has(sweep.status)) break;
      if (Date.now() > deadline) {
        if (tty) say("");
        say(`timed out after ${o.timeoutS} s`);
        return 1;
      }
      const sig = await Promise.race([
        interruptedP,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
      ]);
      if (sig) {
        if (tty) say("");
        say(`${sig}: stopping everything`);
        return 130;
      }
    }
    if (tty) say("");

    const frontier = await client.get<{ groups: FrontierGroupView[] }>(
      `/api/v1/results/frontier?sweep=${sweep.sweepId}&emulated=true`,
    );
    process.stdout.write(
      `\nPareto frontiers (throughput/GPU vs interactivity; emulated results):\n${renderParetoTables(frontier.groups, catalog)}`,
    );
    const agentic = await client.get<{ groups: AgenticFrontier[] }>(
      `/api/v1/results/agentic-frontier?sweep=${sweep.sweepId}&emulated=true`,
    );
    if (agentic.groups.length)
      process.stdout.write(
        `\nAgentic points (trace replay; throughput/GPU vs interactivity, prefix-cache hit rate):\n${renderTable(agenticTableRows(agentic.groups))}`,
      );
    const results = await client.get<{ total: number; items: Array<Record<string, unknown>> }>(
      `/api/v1/results?sweep=${sweep.sweepId}&emulated=true&limit=5000`,
    );
    const okPoints = results.items.filter((r) => r.status === "ok").length;
    const allOk = sweep.status === "succeeded" && okPoints === sweep.pointsTotal;
    say(
      `\n${sweep.status}: ${okPoints}/${sweep.pointsTotal} points measured. Dashboard: ${controller.url}/  Results DB: ${join(dataDir, "controller", "results.sqlite")}`,
    );

    if (o.untilDone) {
      if (o.json) {
        const summary = {
          sweep: sweep.sweepId,
          status: sweep.status,
          deployments: sweep.jobCount,
          points: sweep.pointsTotal,
          succeeded: okPoints,
          failed: sweep.pointsTotal - okPoints,
          pids: { up: process.pid, redis: redis?.pid ?? null, agents: agents.map((a) => a.child.pid ?? null) },
          results: results.items.map((r) => ({
            configKey: r.configKey,
            sku: r.sku,
            framework: r.framework,
            concurrency: r.concurrency,
            status: r.status,
            tputPerGpu: r.tputPerGpu,
            interactivity: r.interactivity,
            medianTtftMs: r.medianTtftMs,
            ...pointEnergy(r.result),
            emulated: r.emulated,
          })),
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
      return allOk ? 0 : 1;
    }
    say("the fleet keeps running for the dashboard; Ctrl-C stops everything");
    const sig = await interruptedP;
    say(`${sig}: stopping everything`);
    return allOk ? 0 : 1;
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function waitForAgents(client: ApiClient, n: number, interrupted: Promise<string>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const nodes = await client.get<{ items: Array<{ state: string }> } | Array<{ state: string }>>("/api/v1/nodes");
    const items = Array.isArray(nodes) ? nodes : nodes.items;
    const idle = items.filter((x) => x.state === "idle").length;
    if (idle >= n) return;
    if (Date.now() > deadline)
      throw new CliError(`only ${idle} of ${n} agents registered within 120 s (see their logs)`);
    const sig = await Promise.race([interrupted, new Promise<undefined>((r) => setTimeout(() => r(undefined), 500))]);
    if (sig) throw new CliError(`${sig} while waiting for agents`, 130);
  }
}
