/**
 * Event hub: `/api/v1/events/ws` for the dashboard and `benchfleet events`. A client subscribes to
 * topics — `fleet`, `sweeps`, `sweep` (id), `job` (id), `job-logs` (id) — gets a snapshot, then deltas.
 * Slow subscribers (send buffer above the soft limit) lose telemetry and log deltas (with a
 * `dropped` notice), never state changes; above the hard limit the connection is closed. Client
 * frames are size-limited and validated; the server pings and drops dead connections.
 */
import type { WebSocket } from "ws";
import { z } from "zod";
import { type Bus, type BusEvent, isDroppable } from "../infra/bus.js";
import type { Logger } from "../infra/logger.js";

export const TOPICS = ["fleet", "sweeps", "sweep", "job", "job-logs"] as const;
export type Topic = (typeof TOPICS)[number];

export const MAX_CLIENT_FRAME_BYTES = 16 * 1024;

export const ClientFrame = z.discriminatedUnion("type", [
  z.object({ type: z.literal("subscribe"), topic: z.enum(TOPICS), id: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal("unsubscribe"), topic: z.enum(TOPICS), id: z.string().max(200).optional() }).strict(),
  z.object({ type: z.literal("ping") }).strict(),
]);

/** Topic keys an event belongs to (pure). */
export function topicsOf(e: BusEvent): string[] {
  switch (e.kind) {
    case "node":
    case "node-removed":
    case "telemetry":
      return ["fleet"];
    case "sweep":
      return ["sweeps", `sweep:${e.sweepId}`];
    case "job":
    case "attempt":
    case "phase":
    case "progress":
    case "point":
    case "eval":
      return [`sweep:${e.sweepId}`, `job:${e.jobId}`];
    case "log":
      return [`job-logs:${e.jobId}`];
  }
}

export function topicKey(topic: Topic, id?: string): string {
  return topic === "fleet" || topic === "sweeps" ? topic : `${topic}:${id}`;
}

export type SnapshotFn = (topic: Topic, id: string | undefined) => Promise<unknown | undefined>;

interface Sub {
  ws: WebSocket;
  topics: Set<string>;
  alive: boolean;
  dropped: number;
}

export class EventHub {
  private readonly subs = new Set<Sub>();
  private readonly unsubscribeBus: () => void;
  private readonly pingTimer: NodeJS.Timeout;
  /** deltas dropped for slow subscribers */
  droppedTotal = 0;
  /** frames written to subscribers (snapshots, deltas, answers) */
  framesSent = 0;

  constructor(
    bus: Bus,
    private readonly snapshot: SnapshotFn,
    private readonly limits: { softBytes: number; hardBytes: number; pingIntervalMs: number },
    private readonly log: Logger,
  ) {
    this.unsubscribeBus = bus.subscribe((e) => this.fanOut(e));
    this.pingTimer = setInterval(() => {
      for (const s of this.subs) {
        if (!s.alive) {
          s.ws.terminate();
          continue;
        }
        s.alive = false;
        try {
          s.ws.ping();
        } catch {
          /* closed */
        }
      }
    }, limits.pingIntervalMs);
    this.pingTimer.unref();
  }

  subscriberCount(): number {
    return this.subs.size;
  }

  handle(ws: WebSocket): void {
    const sub: Sub = { ws, topics: new Set(), alive: true, dropped: 0 };
    this.subs.add(sub);
    ws.on("pong", () => {
      sub.alive = true;
    });
    ws.on("error", () => {});
    ws.on("close", () => this.subs.delete(sub));
    ws.on("message", (raw: Buffer) => {
      sub.alive = true;
      void this.onFrame(sub, raw).catch((e) => this.log.error({ err: String(e) }, "event subscriber frame failed"));
    });
  }

  private write(sub: Sub, obj: unknown): void {
    this.send(sub, JSON.stringify(obj));
  }

  /** Sends one text frame (a Buffer lets a frame serialised once go to many subscribers). */
  private send(sub: Sub, frame: string | Buffer): void {
    if (sub.ws.readyState !== sub.ws.OPEN) return;
    try {
      sub.ws.send(frame, { binary: false });
      this.framesSent++;
    } catch {
      /* closed */
    }
  }

  private async onFrame(sub: Sub, raw: Buffer): Promise<void> {
    if (raw.length > MAX_CLIENT_FRAME_BYTES) {
      this.write(sub, { type: "error", message: `frame of ${raw.length} bytes exceeds ${MAX_CLIENT_FRAME_BYTES}` });
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(raw.toString("utf8"));
    } catch {
      this.write(sub, { type: "error", message: "frame is not valid JSON" });
      return;
    }
    const res = ClientFrame.safeParse(data);
    if (!res.success) {
      const i = res.error.issues[0];
      this.write(sub, { type: "error", message: `invalid frame: ${i?.path.join(".") || "(root)"}: ${i?.message}` });
      return;
    }
    const f = res.data;
    if (f.type === "ping") {
      this.write(sub, { type: "pong", at: new Date().toISOString() });
      return;
    }
    if ((f.topic === "sweep" || f.topic === "job" || f.topic === "job-logs") && !f.id) {
      this.write(sub, { type: "error", message: `topic ${f.topic} needs an id` });
      return;
    }
    const key = topicKey(f.topic, f.id);
    if (f.type === "unsubscribe") {
      sub.topics.delete(key);
      this.write(sub, { type: "unsubscribed", topic: f.topic, id: f.id });
      return;
    }
    const snap = await this.snapshot(f.topic, f.id);
    if (snap === undefined) {
      this.write(sub, { type: "error", message: `${f.topic} ${f.id ?? ""} not found`.trim() });
      return;
    }
    // subscribe before sending the snapshot so no delta between the two is lost (a delta may repeat it)
    sub.topics.add(key);
    this.write(sub, { type: "snapshot", topic: f.topic, id: f.id, data: snap });
  }

  private fanOut(e: BusEvent): void {
    if (this.subs.size === 0) return;
    const keys = topicsOf(e);
    // the frame of one topic key is the same for every subscriber: serialise it once
    const frames = new Map<string, Buffer>();
    for (const sub of this.subs) {
      const key = keys.find((k) => sub.topics.has(k));
      if (!key) continue;
      const buffered = sub.ws.bufferedAmount;
      if (buffered > this.limits.hardBytes) {
        this.log.warn({ buffered }, "event subscriber too slow: closing");
        sub.ws.close(1013, "subscriber too slow");
        sub.ws.terminate();
        this.subs.delete(sub);
        continue;
      }
      if (isDroppable(e) && buffered > this.limits.softBytes) {
        sub.dropped++;
        this.droppedTotal++;
        continue;
      }
      if (sub.dropped > 0) {
        this.write(sub, {
          type: "dropped",
          count: sub.dropped,
          note: "telemetry/log deltas dropped while this subscriber was slow",
        });
        sub.dropped = 0;
      }
      let frame = frames.get(key);
      if (!frame) {
        const [topic, ...rest] = key.split(":");
        frame = Buffer.from(
          JSON.stringify({ type: "event", topic, id: rest.length ? rest.join(":") : undefined, event: e }),
        );
        frames.set(key, frame);
      }
      this.send(sub, frame);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    this.unsubscribeBus();
    for (const s of this.subs) s.ws.terminate();
    this.subs.clear();
  }
}
