/**
 * The last few minutes of every node's GPU telemetry, summarised (power, utilisation, memory), in
 * memory only: a dashboard opened now draws each node's recent sparklines at once instead of
 * starting empty and filling from live heartbeats. Bounded: `capacity` samples per node
 * (60 × a 5 s heartbeat = 5 minutes), four numbers each.
 */

import type { Telemetry } from "@benchfleet/shared";
import { type TelemetryPoint, telemetryPoint } from "@benchfleet/shared";

export class TelemetryHistory {
  private readonly byNode = new Map<string, TelemetryPoint[]>();

  constructor(readonly capacity = 60) {}

  /** Adds a heartbeat's sample; an older or same-time sample than the node's last is ignored. */
  add(nodeId: string, t: Telemetry): void {
    const p = telemetryPoint(t);
    if (!p) return;
    let list = this.byNode.get(nodeId);
    if (!list) {
      list = [];
      this.byNode.set(nodeId, list);
    }
    const last = list[list.length - 1];
    if (last && p.at <= last.at) return;
    list.push(p);
    if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
  }

  points(nodeId: string): readonly TelemetryPoint[] {
    return this.byNode.get(nodeId) ?? [];
  }

  nodeIds(): string[] {
    return [...this.byNode.keys()].sort();
  }
}
