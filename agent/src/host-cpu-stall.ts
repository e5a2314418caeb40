/**
 * How long the host's tasks waited for a CPU, from Linux pressure stall information
 * (`/proc/pressure/cpu`, line `some … total=<µs>`: wall time during which at least one runnable task
 * had no CPU). A phase timeout counts only the time the host could run the phase's work; this is
 * the time it could not.
 */
import { readFileSync } from "node:fs";

export const CPU_PRESSURE_FILE = "/proc/pressure/cpu";

/** the `some` stall total in ms from the file's text, or undefined when the text has none */
export function parseCpuStallMs(text: string): number | undefined {
  const m = /^some\b.*\btotal=(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) / 1000 : undefined;
}

/** reads the host's CPU stall total (ms); undefined where the kernel has no pressure information */
export function readCpuStallMs(file = CPU_PRESSURE_FILE): number | undefined {
  try {
    return parseCpuStallMs(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The credit a phase timer gets for host starvation: the CPU stall since the phase started, at most
 * `capMs` (so a host starved for good still times out, after at most twice the phase's timeout).
 */
export function starvationCreditMs(stallAtStartMs: number | undefined, stallNowMs: number | undefined, capMs: number) {
  if (stallAtStartMs === undefined || stallNowMs === undefined) return 0;
  return Math.max(0, Math.min(capMs, stallNowMs - stallAtStartMs));
}
