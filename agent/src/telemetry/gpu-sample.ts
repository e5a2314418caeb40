/** One GPU telemetry sample as the samplers produce it. */
export interface GpuSample {
  /** epoch ms */
  t: number;
  index: number;
  powerW: number | null;
  utilPct: number | null;
  memUsedMiB: number | null;
  tempC: number | null;
  smClockMHz: number | null;
}
