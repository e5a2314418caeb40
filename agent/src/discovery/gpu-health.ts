/**
 * Pure parsers of the GPU health facts preflight checks: processes holding GPU memory, ECC /
 * retired-page / row-remapping state, and XID errors in the kernel log.
 */
import { smiNumber } from "./gpu-parsers.js";

export const NVIDIA_APPS_ARGS = [
  "--query-compute-apps=pid,process_name,used_memory,gpu_bus_id",
  "--format=csv,noheader,nounits",
];
export const NVIDIA_HEALTH_ARGS = [
  "--query-gpu=index,ecc.errors.uncorrected.volatile.total,retired_pages.pending,remapped_rows.pending,remapped_rows.failure",
  "--format=csv,noheader,nounits",
];

export interface GpuProcess {
  pid: number;
  name: string;
  usedMiB: number | undefined;
  busId?: string;
}

/** `nvidia-smi --query-compute-apps=pid,process_name,used_memory,gpu_bus_id` → processes (empty output: none). */
export function parseNvidiaComputeApps(text: string): GpuProcess[] {
  const out: GpuProcess[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || /no running/i.test(line)) continue;
    const cols = line.split(",").map((s) => s.trim());
    const pid = Number(cols[0]);
    if (!Number.isInteger(pid)) continue;
    out.push({
      pid,
      name: cols[1] ?? "",
      usedMiB: smiNumber(cols[2] ?? "", "used_memory"),
      busId: cols[3] || undefined,
    });
  }
  return out;
}

export interface GpuErrorState {
  index: number;
  eccUncorrectedVolatile: number | undefined;
  retiredPagesPending: boolean;
  remappedRowsPending: boolean;
  remappedRowsFailure: boolean;
}

const yes = (v: string | undefined) => /^(yes|1|true)$/i.test((v ?? "").trim());

/** `nvidia-smi --query-gpu=index,ecc.errors.uncorrected.volatile.total,retired_pages.pending,remapped_rows.pending,remapped_rows.failure` */
export function parseNvidiaHealth(text: string): GpuErrorState[] {
  const out: GpuErrorState[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const c = line.split(",").map((s) => s.trim());
    const index = Number(c[0]);
    if (!Number.isInteger(index)) continue;
    out.push({
      index,
      eccUncorrectedVolatile: smiNumber(c[1] ?? "", "ecc.errors.uncorrected.volatile.total"),
      retiredPagesPending: yes(c[2]),
      remappedRowsPending: yes(c[3]),
      remappedRowsFailure: yes(c[4]),
    });
  }
  return out;
}

export interface XidEvent {
  busId: string;
  xid: number;
  line: string;
}

/** XIDs that mean the GPU needs attention before more work (uncorrectable memory, fallen off the bus, NVLink, GSP). */
export const CRITICAL_XIDS = new Set([48, 63, 64, 74, 79, 92, 94, 95, 119, 120, 140]);

/** kernel log lines `NVRM: Xid (PCI:0000:18:00): 79, pid=..., GPU has fallen off the bus.` → events */
export function parseXidLines(text: string): XidEvent[] {
  const out: XidEvent[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /NVRM: Xid \(PCI:([0-9a-fA-F:.]+)\): (\d+)/.exec(line);
    if (m) out.push({ busId: m[1], xid: Number(m[2]), line: line.trim() });
  }
  return out;
}
