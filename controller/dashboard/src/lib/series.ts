/**
 * A node's recent GPU telemetry for its sparklines: summarised samples ordered by time, merged
 * from the controller's history (fetched when the fleet view opens) and live heartbeats, so a
 * sample that arrives both ways is drawn once and none that arrived meanwhile is lost.
 */
import {
  type GpuReadings,
  mergeTelemetryPoints,
  type TelemetryPoint,
  type TelemetrySummary,
  telemetryPoint,
} from "@benchfleet/shared/browser";

export type TelemetrySample = GpuReadings & { at: string };
type Figure = keyof TelemetrySummary;

export class TelemetrySeries {
  private points: TelemetryPoint[] = [];
  private cache = new Map<Figure, number[]>();

  constructor(readonly capacity = 60) {}

  /** a live heartbeat's sample */
  add(t: TelemetrySample): void {
    const p = telemetryPoint(t);
    if (p) this.merge([p]);
  }

  /** samples from the controller's history (or any overlapping run of samples) */
  merge(points: readonly TelemetryPoint[]): void {
    this.points = mergeTelemetryPoints(this.points, points, this.capacity);
    this.cache.clear();
  }

  get size(): number {
    return this.points.length;
  }

  /** the figure's values, oldest first, samples without it skipped (same array until the next change) */
  values(f: Figure): readonly number[] {
    let v = this.cache.get(f);
    if (!v) {
      v = this.points.map((p) => p[f]).filter((x): x is number => x !== null && Number.isFinite(x));
      this.cache.set(f, v);
    }
    return v;
  }

  last(f: Figure): number | undefined {
    const v = this.values(f);
    return v[v.length - 1];
  }
}
