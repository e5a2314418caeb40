/**
 * This node's health as the agent reports it: the preflight checks (GPUs, disk, ports, runtimes),
 * plus for a Slurm agent its partition's problems and allocations whose release is still pending,
 * leftovers of a previous run that could not be stopped, and an unknown SKU. And, before a real
 * NVIDIA node takes an attempt, a wait for GPUs that other processes still use.
 */
import type { Health } from "@benchfleet/shared";
import type { AgentOptions } from "./agent-options.js";
import { runTool } from "./discovery/discover.js";
import { NVIDIA_APPS_ARGS, parseNvidiaComputeApps } from "./discovery/gpu-health.js";
import { discoverPartition } from "./discovery/slurm-partition.js";
import type { Launcher } from "./launchers/launcher.js";
import { SlurmLauncher } from "./launchers/slurm.js";
import { type ReapReport, unreapedReasons } from "./leftovers/reaper.js";
import type { NodeIdentity, SlurmPartition } from "./node-identity.js";
import { evaluatePreflight, gatherPreflightFacts } from "./preflight.js";

export type HealthCheck = (ports: number[], ownPids?: Set<number>) => Promise<Health>;

export function nodeHealthCheck(
  o: AgentOptions,
  id: NodeIdentity,
  slurm: SlurmPartition | undefined,
  launcher: Launcher,
  leftovers: ReapReport,
  log: (line: string) => void,
): HealthCheck {
  const d = id.discovery;
  const minDisk = o.minDiskFreeBytes ?? (id.emulated ? 2 ** 30 : 50 * 2 ** 30);
  return async (ports, ownPids) => {
    const facts = await gatherPreflightFacts({
      vendor: d.vendor,
      emulated: o.emulate !== undefined,
      dataDir: o.dataDir,
      ports,
      portHost: o.emulate?.ip,
    });
    const h = evaluatePreflight(facts, { gpuCount: d.gpus.length, minDiskFreeBytes: minDisk, ownPids });
    if (slurm) {
      const p = await discoverPartition(slurm.info.partition, o.slurm?.env);
      // an allocation whose release failed holds nodes until it is cancelled: try again now
      const stuck = launcher instanceof SlurmLauncher ? await launcher.retryReleases(log) : [];
      if (stuck.length) p.problems.push(`Slurm allocation(s) ${stuck.join(", ")} not cancelled yet`);
      if (p.problems.length) {
        h.reasons.push(...p.problems);
        h.ok = false;
      }
    }
    const unreaped = unreapedReasons(leftovers.failures);
    if (unreaped.length) {
      h.reasons.push(...unreaped);
      h.ok = false;
    }
    if (d.sku.sku === "unknown") {
      h.reasons.push(`unknown GPU SKU: ${d.sku.reason}`);
      h.ok = false;
    }
    return h;
  };
}

/**
 * A real NVIDIA node: waits up to 30 s for other processes to leave its GPUs; returns them if they
 * do not (undefined when free, or when not applicable: emulated, Slurm, AMD, no nvidia-smi).
 */
export function gpusFreeCheck(o: AgentOptions, id: NodeIdentity, slurm: SlurmPartition | undefined) {
  return async (): Promise<string | undefined> => {
    if (o.emulate || slurm || id.discovery.vendor !== "nvidia") return undefined;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await runTool("nvidia-smi", NVIDIA_APPS_ARGS);
      if (!r.ok) return undefined;
      const apps = parseNvidiaComputeApps(r.stdout);
      if (apps.length === 0) return undefined;
      if (Date.now() > deadline) return apps.map((a) => `pid ${a.pid} ${a.name}`).join(", ");
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
}
