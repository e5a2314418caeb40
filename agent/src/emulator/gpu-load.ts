/**
 * How hard the emulated engine works its GPUs, as `/control/state` (`gpu`) and `/metrics` report it:
 * cumulative busy wall ms (time spent in prefill/decode steps) against wall ms since start, so an
 * observer's utilisation over an interval is Δbusy ÷ Δwall of two readings; and per-GPU memory in
 * use (weights + activation workspace + the KV cache's used share). The emulated agent turns these
 * into emulated GPU telemetry and power (agent/src/telemetry/emulated-power.ts). Pure.
 */
import type { PerfModel } from "./perf-model.js";

export interface EngineGpuLoad {
  /** GPUs of this worker (tp × pp) */
  gpus: number;
  /** wall ms the engine spent in steps since it started */
  busyWallMs: number;
  /** wall ms since the engine started (same clock) */
  wallMs: number;
  /** memory in use on each of its GPUs, MiB (null: fixed-delay mode has no memory model) */
  memUsedMiB: number | null;
  /** HBM of each GPU, MiB (null in fixed-delay mode) */
  memTotalMiB: number | null;
  /** wall seconds per emulated second: divide wall-clock energy by it to get emulated energy */
  timeScale: number;
}

const MIB = 1024 * 1024;

/**
 * Memory in use on each GPU of the worker: weights, the activation workspace, and the share of the
 * KV pool (what is left of `memFraction` of HBM) that running requests hold. Real engines reserve the
 * whole pool at start; showing only the used share makes the emulated fleet's memory follow load.
 */
export function gpuMemoryUsedMiB(perf: PerfModel, kvUsedTokens: number): number {
  const c = perf.c;
  const pool = perf.sku.hbmGB * 1e9 * c.memFraction - c.activationGB * 1e9 - perf.weightBytesPerGpu;
  const used = perf.kvCapacityTokens > 0 ? Math.min(1, Math.max(0, kvUsedTokens / perf.kvCapacityTokens)) : 0;
  return Math.round((perf.weightBytesPerGpu + c.activationGB * 1e9 + used * pool) / MIB);
}

/**
 * Busy time of an engine without a step model (fixed-delay mode): busy while at least one request is
 * in flight.
 */
export class InFlightBusyClock {
  private inFlight = 0;
  private busySince: number | undefined;
  private busyMs = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  change(delta: number): void {
    const t = this.now();
    const before = this.inFlight;
    this.inFlight = Math.max(0, this.inFlight + delta);
    if (before === 0 && this.inFlight > 0) this.busySince = t;
    if (before > 0 && this.inFlight === 0 && this.busySince !== undefined) {
      this.busyMs += t - this.busySince;
      this.busySince = undefined;
    }
  }

  busyWallMs(): number {
    return this.busyMs + (this.busySince !== undefined ? this.now() - this.busySince : 0);
  }
}
