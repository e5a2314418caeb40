/**
 * The controller's internal event bus: every state change (node, job, attempt, sweep), every stored
 * result, telemetry sample and log batch is published here; the event hub fans them out to subscribers.
 */
import { EventEmitter } from "node:events";

export type BusEvent =
  | { kind: "node"; nodeId: string; data: unknown }
  | { kind: "node-removed"; nodeId: string }
  | { kind: "telemetry"; nodeId: string; data: unknown }
  | { kind: "job"; jobId: string; sweepId: string; data: unknown }
  | { kind: "attempt"; jobId: string; sweepId: string; attemptId: string; data: unknown }
  | { kind: "phase"; jobId: string; sweepId: string; attemptId: string; data: unknown }
  | { kind: "progress"; jobId: string; sweepId: string; attemptId: string; data: unknown }
  | { kind: "point"; jobId: string; sweepId: string; attemptId: string; data: unknown }
  | { kind: "eval"; jobId: string; sweepId: string; attemptId: string; data: unknown }
  | { kind: "sweep"; sweepId: string; data: unknown }
  | {
      kind: "log";
      jobId: string;
      attemptId: string;
      /** the log source: process, or `node/process` (shared/log-line.ts) */
      process: string;
      stream: string;
      lines: string[];
      /** ISO time of each line */
      times: string[];
    };

/** Telemetry, progress and log lines may be dropped for slow subscribers; everything else is a state change. */
export function isDroppable(e: BusEvent): boolean {
  return e.kind === "telemetry" || e.kind === "progress" || e.kind === "log";
}

export class Bus {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(0);
  }
  publish(e: BusEvent): void {
    this.ee.emit("event", e);
  }
  subscribe(fn: (e: BusEvent) => void): () => void {
    this.ee.on("event", fn);
    return () => this.ee.off("event", fn);
  }
}
