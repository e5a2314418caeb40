/**
 * Node discovery (I/O): host facts from systeminformation, GPUs from nvidia-smi or amd-smi /
 * rocm-smi, container runtimes, Slurm, RDMA devices. Parsing and SKU mapping are the pure
 * functions beside this file.
 */
import { readdir } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import type { GpuInfo, SkuName } from "@benchfleet/shared";
import { execa } from "execa";
import si from "systeminformation";
import {
  NVIDIA_QUERY_ARGS,
  type ParsedGpu,
  parseAmdSmiStatic,
  parseNvidiaSmiQuery,
  parseRocmSmiProduct,
  parseRocmSmiVram,
  type Vendor,
} from "./gpu-parsers.js";
import { type SkuMatch, skuOfNode } from "./sku-map.js";

export interface HostFacts {
  hostname: string;
  os: string;
  kernel: string;
  cpu: { model: string; cores: number; physicalCores: number };
  memTotalMiB: number;
  interfaces: Array<{ name: string; ip4: string; ip6: string; mac: string; speedMbps: number | null }>;
  /** the address other agents reach this node at */
  primaryIp: string;
}

export interface Discovery {
  host: HostFacts;
  vendor: Vendor | "none";
  /** the tool GPUs were read with */
  gpuTool: "nvidia-smi" | "amd-smi" | "rocm-smi" | "none";
  gpus: ParsedGpu[];
  sku: SkuMatch;
  driver?: string;
  runtimes: string[];
  slurm: { present: boolean; version?: string };
  rdmaDevices: string[];
  /** problems met while discovering (a tool that failed, output that did not parse) */
  problems: string[];
}

export interface ToolResult {
  ok: boolean;
  stdout: string;
  /** ENOENT: the tool is not installed */
  missing: boolean;
  error?: string;
}

/** Runs a tool with a timeout; never throws. */
export async function runTool(file: string, args: string[], timeoutMs = 15_000): Promise<ToolResult> {
  const r = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: "ignore" });
  const missing = (r as { code?: string }).code === "ENOENT";
  const ok = !r.failed && r.exitCode === 0;
  return {
    ok,
    stdout: typeof r.stdout === "string" ? r.stdout : "",
    missing,
    error: ok
      ? undefined
      : missing
        ? `${file} not found`
        : `${file} ${args.join(" ")}: ${r.shortMessage ?? `exit ${r.exitCode}`}`.slice(0, 500),
  };
}

export async function discoverGpus(): Promise<Pick<Discovery, "vendor" | "gpuTool" | "gpus" | "driver" | "problems">> {
  const problems: string[] = [];
  const nv = await runTool("nvidia-smi", NVIDIA_QUERY_ARGS);
  if (nv.ok) {
    try {
      const gpus = parseNvidiaSmiQuery(nv.stdout);
      return { vendor: "nvidia", gpuTool: "nvidia-smi", gpus, driver: gpus[0]?.driver, problems };
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else if (!nv.missing && nv.error) problems.push(nv.error);
  const amd = await runTool("amd-smi", ["static", "--json"]);
  if (amd.ok) {
    try {
      const gpus = parseAmdSmiStatic(amd.stdout);
      return { vendor: "amd", gpuTool: "amd-smi", gpus, driver: gpus[0]?.driver, problems };
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else if (!amd.missing && amd.error) problems.push(amd.error);
  const rocm = await runTool("rocm-smi", ["--showproductname", "--json"]);
  if (rocm.ok) {
    try {
      const mem = await runTool("rocm-smi", ["--showmeminfo", "vram", "--json"]);
      const gpus = parseRocmSmiProduct(rocm.stdout, mem.ok ? parseRocmSmiVram(mem.stdout) : {});
      return { vendor: "amd", gpuTool: "rocm-smi", gpus, problems };
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else if (!rocm.missing && rocm.error) problems.push(rocm.error);
  return { vendor: "none", gpuTool: "none", gpus: [], problems };
}

export async function discoverRdma(root = "/sys/class/infiniband"): Promise<string[]> {
  try {
    return (await readdir(root)).sort();
  } catch {
    return [];
  }
}

export async function discoverRuntimes(): Promise<string[]> {
  const checks: Array<[string, string[]]> = [
    ["docker", ["--version"]],
    ["podman", ["--version"]],
    ["enroot", ["version"]],
  ];
  const found = await Promise.all(
    checks.map(async ([bin, args]) => ((await runTool(bin, args, 5000)).ok ? bin : undefined)),
  );
  return found.filter((x): x is string => x !== undefined);
}

export async function discoverHost(): Promise<HostFacts> {
  const [cpu, mem, os, ifaces] = await Promise.all([si.cpu(), si.mem(), si.osInfo(), si.networkInterfaces()]);
  const list = (Array.isArray(ifaces) ? ifaces : [ifaces]).map((i) => ({
    name: i.iface,
    ip4: i.ip4,
    ip6: i.ip6,
    mac: i.mac,
    speedMbps: i.speed ?? null,
    internal: i.internal,
  }));
  const primary = list.find((i) => !i.internal && i.ip4) ?? list.find((i) => i.ip4);
  return {
    hostname: os.hostname || osHostname(),
    os: `${os.distro} ${os.release}`.trim(),
    kernel: os.kernel,
    cpu: { model: `${cpu.manufacturer} ${cpu.brand}`.trim(), cores: cpu.cores, physicalCores: cpu.physicalCores },
    memTotalMiB: Math.round(mem.total / 1048576),
    interfaces: list.map(({ internal: _internal, ...rest }) => rest),
    primaryIp: primary?.ip4 ?? "127.0.0.1",
  };
}

export async function discover(): Promise<Discovery> {
  const [host, gpu, runtimes, sinfo, rdmaDevices] = await Promise.all([
    discoverHost(),
    discoverGpus(),
    discoverRuntimes(),
    runTool("sinfo", ["--version"], 5000),
    discoverRdma(),
  ]);
  return {
    host,
    ...gpu,
    sku: skuOfNode(gpu.gpus),
    runtimes,
    slurm: sinfo.ok ? { present: true, version: sinfo.stdout.trim() } : { present: false },
    rdmaDevices,
  };
}

/** The GpuInfo of the protocol (strict: no vendor extras). */
export function toGpuInfo(g: ParsedGpu): GpuInfo {
  const out: GpuInfo = { index: g.index, name: g.name, memoryMiB: g.memoryMiB };
  if (g.uuid) out.uuid = g.uuid;
  if (g.busId) out.busId = g.busId;
  if (g.powerLimitW !== undefined) out.powerLimitW = g.powerLimitW;
  if (g.maxSmClockMHz !== undefined) out.maxSmClockMHz = g.maxSmClockMHz;
  return out;
}

/** What `--emulate-sku b200 --emulate-gpus 8` makes a node look like: GPUs of that SKU, no tool. */
export function emulatedGpus(sku: SkuName, count: number, memoryMiB: number, productName: string): ParsedGpu[] {
  return Array.from({ length: count }, (_, index) => ({
    vendor: sku.startsWith("mi") ? ("amd" as const) : ("nvidia" as const),
    index,
    name: productName,
    memoryMiB,
    uuid: `EMU-${sku}-${index}`,
  }));
}
