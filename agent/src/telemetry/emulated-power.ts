/**
 * Emulated GPU power model: what an emulated node's GPUs would read, from how busy the emulated
 * engines that hold them are. Pure.
 *
 *   utilisation = Δbusy ÷ Δwall between two readings of the engine's `/control/state` `gpu` figures
 *                 (busy = wall time spent in prefill/decode steps), clamped to [0, 1]
 *   power       = idle + (TDP − idle) × utilisation,  idle = EMULATED_IDLE_FRACTION × TDP
 *
 * TDP is the SKU catalog's `tdpW` (configs/skus.yaml). A GPU no engine holds (or whose engine does
 * not answer yet, e.g. while it starts) idles. The idle fraction: a real H100 SXM here idled at
 * ≈71 W of its 700 W TDP, i.e. ~10 %. A linear model is the simplest that moves the right way; real
 * GPUs rarely sit at TDP even when fully busy in decode, so emulated energy is an upper-bound shape,
 * not a measurement.
 */
import type { EnergySummary } from "@benchfleet/shared";
import type { GpuSample } from "./gpu-sample.js";

/** idle power as a share of TDP (a real H100 SXM: ≈71 W of 700 W) */
export const EMULATED_IDLE_FRACTION = 0.1;

/** one reading of an engine's cumulative busy time (same clock for both figures) */
export interface BusyReading {
  busyWallMs: number;
  wallMs: number;
}

/** power of one GPU at a utilisation in [0, 1] */
export function emulatedPowerW(tdpW: number, utilisation: number, idleFraction = EMULATED_IDLE_FRACTION): number {
  const u = Math.min(1, Math.max(0, Number.isFinite(utilisation) ? utilisation : 0));
  const idle = tdpW * idleFraction;
  return idle + (tdpW - idle) * u;
}

/**
 * Utilisation between two readings: Δbusy ÷ Δwall. Without an earlier reading (or after the engine
 * restarted: its clock went back), the average since the engine started. Null when no time passed.
 */
export function utilisationBetween(prev: BusyReading | undefined, cur: BusyReading): number | null {
  const base = prev && prev.wallMs <= cur.wallMs && prev.busyWallMs <= cur.busyWallMs ? prev : undefined;
  const dWall = cur.wallMs - (base?.wallMs ?? 0);
  const dBusy = cur.busyWallMs - (base?.busyWallMs ?? 0);
  if (!(dWall > 0)) return null;
  return Math.min(1, Math.max(0, dBusy / dWall));
}

/** what one engine process contributes to its GPUs at one instant */
export interface EngineGpuReading {
  /** the GPU indices on this node that the process holds */
  gpus: number[];
  /** utilisation in [0, 1]; null: unknown (not answering): its GPUs idle */
  utilisation: number | null;
  /** memory in use on each of its GPUs, MiB (null: unknown) */
  memUsedMiB: number | null;
}

export interface NodePowerInput {
  /** epoch ms of the samples */
  t: number;
  /** GPUs of the node (indices 0 … gpuCount − 1) */
  gpuCount: number;
  tdpW: number;
  idleFraction?: number;
  engines: EngineGpuReading[];
}

/** one sample per GPU of the node: engines' GPUs at their utilisation, the rest idle */
export function emulatedGpuSamples(input: NodePowerInput): GpuSample[] {
  const util = new Map<number, number>();
  const mem = new Map<number, number>();
  for (const e of input.engines) {
    for (const g of e.gpus) {
      if (g < 0 || g >= input.gpuCount) continue;
      util.set(g, Math.max(util.get(g) ?? 0, e.utilisation ?? 0));
      if (e.memUsedMiB !== null) mem.set(g, (mem.get(g) ?? 0) + e.memUsedMiB);
    }
  }
  return Array.from({ length: input.gpuCount }, (_, index) => {
    const u = util.get(index) ?? 0;
    return {
      t: input.t,
      index,
      powerW: Math.round(emulatedPowerW(input.tdpW, u, input.idleFraction) * 10) / 10,
      utilPct: Math.round(u * 1000) / 10,
      memUsedMiB: mem.get(index) ?? 0,
      tempC: null,
      smClockMHz: null,
    };
  });
}

/**
 * An energy summary integrated over wall time, put on the emulated clock and labelled emulated.
 * Emulated engines run on a compressed clock (wall = emulated × timeScale) and report throughput in
 * emulated time, so the energy of a window is the wall-time integral ÷ timeScale; average power is
 * the same on either clock. A summary without a figure only gets the label.
 */
export function emulatedEnergy(summary: EnergySummary, timeScale: number): EnergySummary {
  const k = timeScale > 0 && Number.isFinite(timeScale) ? 1 / timeScale : 1;
  const scale = (x: number | null) => (x === null ? null : x * k);
  return {
    ...summary,
    totalEnergyJ: scale(summary.totalEnergyJ),
    joulesPerOutputToken: scale(summary.joulesPerOutputToken),
    joulesPerTotalToken: scale(summary.joulesPerTotalToken),
    emulated: true,
  };
}
