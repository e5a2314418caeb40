/** A short fixed-length history of numbers (telemetry sparklines). Pure. */
export class Series {
  private readonly values: number[] = [];
  constructor(readonly capacity = 60) {}
  push(v: number | null | undefined): void {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    this.values.push(v);
    if (this.values.length > this.capacity) this.values.splice(0, this.values.length - this.capacity);
  }
  get data(): readonly number[] {
    return this.values;
  }
  get last(): number | undefined {
    return this.values[this.values.length - 1];
  }
}

export interface TelemetrySample {
  gpus?: Array<{ powerW: number | null; utilPct: number | null; memUsedMiB: number | null }>;
}

/** Sum of power, mean utilisation and sum of memory over a node's GPUs (null when none reported). */
export function summarizeTelemetry(t: TelemetrySample | undefined): {
  powerW: number | null;
  utilPct: number | null;
  memUsedGiB: number | null;
} {
  const gpus = t?.gpus ?? [];
  const vals = (f: (g: (typeof gpus)[number]) => number | null) =>
    gpus.map(f).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const p = vals((g) => g.powerW);
  const u = vals((g) => g.utilPct);
  const m = vals((g) => g.memUsedMiB);
  return {
    powerW: p.length ? p.reduce((a, b) => a + b, 0) : null,
    utilPct: u.length ? u.reduce((a, b) => a + b, 0) / u.length : null,
    memUsedGiB: m.length ? m.reduce((a, b) => a + b, 0) / 1024 : null,
  };
}
