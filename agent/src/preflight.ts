/**
 * Preflight: run before claiming work (its result rides on hello/heartbeats as `health`) and in
 * every attempt's prepare phase. `evaluatePreflight` is the pure verdict over gathered facts;
 * `gatherPreflightFacts` does the I/O.
 */
import { statfs } from "node:fs/promises";
import { createServer } from "node:net";
import type { Health } from "@benchfleet/shared";
import { AMD_ECC_ARGS, AMD_PROCESS_ARGS, parseAmdEcc, parseAmdProcesses } from "./discovery/amd-health.js";
import { runTool } from "./discovery/discover.js";
import {
  CRITICAL_XIDS,
  type GpuErrorState,
  type GpuProcess,
  NVIDIA_APPS_ARGS,
  NVIDIA_HEALTH_ARGS,
  parseNvidiaComputeApps,
  parseNvidiaHealth,
  parseXidLines,
  type XidEvent,
} from "./discovery/gpu-health.js";

export interface PreflightFacts {
  /** GPUs the tool sees now (undefined: emulated node, not checked) */
  gpuCount: number | undefined;
  gpuProcesses: GpuProcess[];
  gpuErrors: GpuErrorState[];
  xids: XidEvent[];
  /** bytes free on the data dir's filesystem */
  diskFreeBytes: number;
  diskPath: string;
  /** ports asked for that something already listens on */
  portsInUse: number[];
  /** facts that could not be gathered (tool failed): reported, not fatal */
  notChecked: string[];
  /** the checks that ran */
  checked?: string[];
}

export interface PreflightExpect {
  gpuCount: number;
  minDiskFreeBytes: number;
  /** pids this agent started and may hold GPU memory (its own attempt) */
  ownPids?: Set<number>;
}

export function evaluatePreflight(f: PreflightFacts, expect: PreflightExpect, now = new Date()): Health {
  const reasons: string[] = [];
  if (f.gpuCount !== undefined && f.gpuCount !== expect.gpuCount)
    reasons.push(`expected ${expect.gpuCount} GPUs, found ${f.gpuCount}`);
  const foreign = f.gpuProcesses.filter((p) => !expect.ownPids?.has(p.pid));
  if (foreign.length > 0) {
    const list = foreign
      .slice(0, 5)
      .map((p) => `pid ${p.pid} ${p.name}${p.usedMiB !== undefined ? ` (${p.usedMiB} MiB)` : ""}`)
      .join(", ");
    reasons.push(
      `foreign processes hold GPU memory: ${list}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ""}`,
    );
  }
  for (const g of f.gpuErrors) {
    if (g.eccUncorrectedVolatile && g.eccUncorrectedVolatile > 0)
      reasons.push(`GPU ${g.index}: ${g.eccUncorrectedVolatile} uncorrected ECC errors since boot`);
    if (g.retiredPagesPending) reasons.push(`GPU ${g.index}: retired pages pending (reset needed)`);
    if (g.remappedRowsPending) reasons.push(`GPU ${g.index}: remapped rows pending (reset needed)`);
    if (g.remappedRowsFailure) reasons.push(`GPU ${g.index}: row remapping failed`);
  }
  const critical = f.xids.filter((x) => CRITICAL_XIDS.has(x.xid));
  if (critical.length > 0) {
    const uniq = [...new Set(critical.map((x) => `Xid ${x.xid} on ${x.busId}`))];
    reasons.push(`kernel log reports ${uniq.slice(0, 5).join(", ")}`);
  }
  if (f.diskFreeBytes < expect.minDiskFreeBytes) {
    reasons.push(
      `only ${(f.diskFreeBytes / 2 ** 30).toFixed(1)} GiB free on ${f.diskPath}, need ${(expect.minDiskFreeBytes / 2 ** 30).toFixed(1)} GiB`,
    );
  }
  if (f.portsInUse.length > 0) reasons.push(`ports already in use: ${f.portsInUse.join(", ")}`);
  const h: Health = { ok: reasons.length === 0, reasons, checkedAt: now.toISOString() };
  if (f.checked) h.checked = f.checked;
  if (f.notChecked.length > 0) h.notChecked = f.notChecked;
  return h;
}

/** true when nothing listens on the port (we can bind it) */
export async function portFree(port: number, host = "0.0.0.0"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export interface GatherOptions {
  vendor: "nvidia" | "amd" | "none";
  /** emulated node: GPU facts are not read from tools */
  emulated: boolean;
  dataDir: string;
  ports: number[];
  /** address the ports are checked on (default: all interfaces) */
  portHost?: string;
}

export async function gatherPreflightFacts(o: GatherOptions): Promise<PreflightFacts> {
  const notChecked: string[] = [];
  const checked: string[] = [];
  let gpuCount: number | undefined;
  let gpuProcesses: GpuProcess[] = [];
  let gpuErrors: GpuErrorState[] = [];
  let xids: XidEvent[] = [];
  if (!o.emulated && o.vendor === "nvidia") {
    const [list, apps, health, dmesg] = await Promise.all([
      runTool("nvidia-smi", ["--query-gpu=index", "--format=csv,noheader,nounits"]),
      runTool("nvidia-smi", NVIDIA_APPS_ARGS),
      runTool("nvidia-smi", NVIDIA_HEALTH_ARGS),
      runTool("dmesg", ["--level=err,crit,alert,emerg,warn"], 5000),
    ]);
    if (list.ok) {
      gpuCount = list.stdout.split("\n").filter((l) => l.trim()).length;
      checked.push("GPU count");
    } else notChecked.push(`GPU count (${list.error})`);
    if (apps.ok) {
      gpuProcesses = parseNvidiaComputeApps(apps.stdout);
      checked.push("GPU processes");
    } else notChecked.push(`GPU processes (${apps.error})`);
    if (health.ok) {
      gpuErrors = parseNvidiaHealth(health.stdout);
      checked.push("ECC / retired pages / row remapping");
    } else notChecked.push(`ECC state (${health.error})`);
    if (dmesg.ok) {
      xids = parseXidLines(dmesg.stdout);
      checked.push("XID errors in the kernel log");
    } else notChecked.push("XID errors (kernel log not readable)");
  } else if (!o.emulated && o.vendor === "amd") {
    const [list, procs, ecc] = await Promise.all([
      runTool("amd-smi", ["list", "--json"]),
      runTool("amd-smi", AMD_PROCESS_ARGS),
      runTool("amd-smi", AMD_ECC_ARGS),
    ]);
    /** parses one amd-smi JSON output; what cannot be read is reported as not checked */
    const read = <T>(r: typeof list, what: string, parse: (doc: unknown) => T): T | undefined => {
      if (!r.ok) {
        notChecked.push(`${what} (${r.error})`);
        return undefined;
      }
      try {
        return parse(JSON.parse(r.stdout) as unknown);
      } catch (e) {
        notChecked.push(`${what} (amd-smi output did not parse: ${(e as Error).message.slice(0, 120)})`);
        return undefined;
      }
    };
    gpuCount = read(list, "GPU count", (doc) => {
      if (!Array.isArray(doc)) throw new Error("expected a list");
      return doc.length;
    });
    gpuProcesses = read(procs, "GPU processes", parseAmdProcesses) ?? [];
    gpuErrors = read(ecc, "ECC / RAS state", parseAmdEcc) ?? [];
  } else if (!o.emulated) {
    gpuCount = 0;
  }
  let diskFreeBytes = 0;
  try {
    const s = await statfs(o.dataDir);
    diskFreeBytes = s.bavail * s.bsize;
    checked.push("disk space");
  } catch (e) {
    notChecked.push(`disk space of ${o.dataDir} (${(e as Error).message})`);
    diskFreeBytes = Number.POSITIVE_INFINITY;
  }
  const portsInUse: number[] = [];
  for (const p of o.ports) if (!(await portFree(p, o.portHost))) portsInUse.push(p);
  if (o.ports.length > 0) checked.push("ports free");
  return {
    gpuCount,
    gpuProcesses,
    gpuErrors,
    xids,
    diskFreeBytes,
    diskPath: o.dataDir,
    portsInUse,
    notChecked,
    checked,
  };
}
