/**
 * The host's CPU in use between two readings of the kernel's per-CPU time counters (`os.cpus()`),
 * read in-process: no child process and nothing that blocks the event loop (a heartbeat carries it).
 */
import { cpus } from "node:os";

/** summed CPU times over all cores, ms */
export interface CpuTimes {
  busy: number;
  idle: number;
}

/** sums the per-core times of `os.cpus()`: idle counts as idle, everything else as busy */
export function totalCpuTimes(
  list: Array<{ times: { user: number; nice: number; sys: number; idle: number; irq: number } }>,
): CpuTimes {
  let busy = 0;
  let idle = 0;
  for (const { times: t } of list) {
    busy += t.user + t.nice + t.sys + t.irq;
    idle += t.idle;
  }
  return { busy, idle };
}

/** percent of CPU time busy between two readings (0–100, one decimal); null when no time passed */
export function busyPercent(prev: CpuTimes, cur: CpuTimes): number | null {
  const busy = cur.busy - prev.busy;
  const total = busy + (cur.idle - prev.idle);
  if (!(total > 0) || busy < 0) return null;
  return Math.round((busy / total) * 1000) / 10;
}

/** The CPU in use since the previous call (the first call: since boot). */
export class HostCpu {
  private prev: CpuTimes = { busy: 0, idle: 0 };

  percent(): number | null {
    const cur = totalCpuTimes(cpus());
    const pct = busyPercent(this.prev, cur);
    this.prev = cur;
    return pct;
  }
}
