/**
 * A node's GPU telemetry reduced to the three figures the fleet view draws: power summed over its
 * GPUs, utilisation averaged, memory summed (GiB). The controller keeps a short history of these
 * per node; the dashboard draws the same figures from live heartbeats.
 */

export interface GpuReadings {
  gpus?: ReadonlyArray<{ powerW: number | null; utilPct: number | null; memUsedMiB: number | null }>;
}

export interface TelemetrySummary {
  powerW: number | null;
  utilPct: number | null;
  memUsedGiB: number | null;
}

/** One summarised sample; `at` in ms since the epoch (the agent's sampling time). */
export interface TelemetryPoint extends TelemetrySummary {
  at: number;
}

/** Sum of power, mean utilisation and sum of memory over a node's GPUs (null when none reported). */
export function summarizeTelemetry(t: GpuReadings | undefined): TelemetrySummary {
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

/** The summarised sample of a heartbeat's telemetry; undefined when its time cannot be read. */
export function telemetryPoint(t: GpuReadings & { at: string }): TelemetryPoint | undefined {
  const at = Date.parse(t.at);
  return Number.isFinite(at) ? { at, ...summarizeTelemetry(t) } : undefined;
}

/**
 * Merges two runs of samples into one, ordered by time, one sample per instant, the newest
 * `capacity` kept. Used by both sides: history fetched from the controller and samples that
 * arrived live meanwhile overlap.
 */
export function mergeTelemetryPoints(
  a: readonly TelemetryPoint[],
  b: readonly TelemetryPoint[],
  capacity: number,
): TelemetryPoint[] {
  const byAt = new Map<number, TelemetryPoint>();
  for (const p of a) byAt.set(p.at, p);
  for (const p of b) byAt.set(p.at, p);
  return [...byAt.values()].sort((x, y) => x.at - y.at).slice(-capacity);
}
