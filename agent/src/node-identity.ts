/**
 * Who this agent is to the controller, decided once at start from its options and what discovery
 * found: its id, SKU and GPUs (a Slurm agent stands for its partition's nodes, not the login node),
 * vendor, whether its engines are emulated, which GPU telemetry it samples, and the agent record it
 * registers with. Pure.
 */
import type { AgentInfo, LauncherKind, SkuName } from "@benchfleet/shared";
import { AGENT_VERSION, type AgentOptions } from "./agent-options.js";
import { type Discovery, toGpuInfo } from "./discovery/discover.js";
import type { PartitionInfo } from "./discovery/slurm-partition.js";
import type { GpuTool, SmiTool } from "./telemetry/sampler.js";

/** the partition a Slurm agent stands for, its nodes' SKU and GPUs per node */
export interface SlurmPartition {
  info: PartitionInfo;
  sku: SkuName;
  gpusPerNode: number;
}

export interface NodeIdentity {
  kind: LauncherKind;
  agentId: string;
  /** discovery, with the partition's SKU for a Slurm agent */
  discovery: Discovery;
  gpuCount: number;
  vendor: "nvidia" | "amd";
  /** an emulated node (posing as a SKU, or running emulated engines) */
  emulated: boolean;
  /** the engines are the emulator (not just an emulated node running some other process) */
  emulatedEngines: boolean;
  /** GPU sampling on the allocated Slurm nodes ("none" elsewhere) */
  nodeTelemetry: SmiTool | "none";
}

export function nodeIdentity(
  o: AgentOptions,
  kind: LauncherKind,
  found: Discovery,
  slurm: SlurmPartition | undefined,
): NodeIdentity {
  const d: Discovery = slurm
    ? { ...found, sku: { sku: slurm.sku, reason: `nodes of Slurm partition ${slurm.info.partition}` } }
    : found;
  const vendor = slurm ? (slurm.sku.startsWith("mi") ? "amd" : "nvidia") : d.vendor === "none" ? "nvidia" : d.vendor;
  const defaultId = slurm
    ? `${d.host.hostname}-slurm-${slurm.info.partition}`
    : o.emulate
      ? `${d.host.hostname}-${o.emulate.sku}`
      : d.host.hostname;
  return {
    kind,
    agentId: (o.agentId ?? defaultId).replace(/[^A-Za-z0-9._-]/g, "-"),
    discovery: d,
    gpuCount: slurm ? slurm.gpusPerNode : d.gpus.length,
    vendor,
    emulated: o.emulate !== undefined || kind === "emulated",
    emulatedEngines: kind === "emulated" || (kind === "slurm" && o.emulate !== undefined),
    nodeTelemetry: slurm
      ? (o.slurm?.gpuTelemetry ?? (o.emulate ? "none" : vendor === "amd" ? "amd-smi" : "nvidia-smi"))
      : "none",
  };
}

/**
 * This node's GPU telemetry tool: the option's; the emulated GPU power model where the emulated
 * launcher runs the engines here; none on other emulated nodes, a Slurm login node or a node
 * without a GPU tool; else the vendor's.
 */
export function telemetryTool(
  o: AgentOptions,
  id: NodeIdentity,
  slurm: SlurmPartition | undefined,
  emulatedGpus: boolean,
): GpuTool {
  if (o.gpuTelemetry) return o.gpuTelemetry;
  if (emulatedGpus) return "emulated";
  if (id.emulated || slurm || id.discovery.gpuTool === "none") return "none";
  return id.discovery.vendor === "amd" ? "amd-smi" : "nvidia-smi";
}

/** The agent record of the hello: what the controller registers and schedules by. */
export function agentInfo(o: AgentOptions, id: NodeIdentity, slurm: SlurmPartition | undefined): AgentInfo {
  const d = id.discovery;
  return {
    agentId: id.agentId,
    hostname: d.host.hostname,
    ip: d.host.primaryIp,
    sku: d.sku.sku,
    gpus: d.gpus.map(toGpuInfo),
    gpuCount: id.gpuCount,
    ...(d.driver ? { driver: d.driver } : {}),
    runtimes: d.runtimes,
    rdmaDevices: d.rdmaDevices,
    labels: o.labels ?? [],
    domain: o.domain ?? (slurm ? `slurm:${slurm.info.partition}` : "default"),
    launcher: id.kind,
    ...(slurm ? { slurm: { partition: slurm.info.partition, nodes: slurm.info.nodes.length } } : {}),
    emulated: id.emulated,
    version: AGENT_VERSION,
  };
}
