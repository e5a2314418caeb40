/**
 * Live events from `/api/v1/events/ws`: one WebSocket for the page, subscriptions by topic
 * (fleet, a sweep, a job, a job's logs), each answered with a snapshot then deltas. Reconnects
 * with backoff and re-subscribes; the connection state drives the reconnect banner.
 */
import { getToken } from "./api.js";

/** Topics of the event hub: `fleet`, `sweeps`, and per id `sweep`, `job`, `job-logs`. */
export type Topic = { topic: "fleet" | "sweeps" } | { topic: "sweep" | "job" | "job-logs"; id: string };

export interface LiveEvent {
  kind: string;
  nodeId?: string;
  jobId?: string;
  sweepId?: string;
  attemptId?: string;
  process?: string;
  stream?: string;
  lines?: string[];
  /** log lines: the ISO time of each */
  times?: string[];
  data?: unknown;
  /** snapshot of a topic (kind "snapshot"): the topic and its id */
  topic?: string;
  id?: string;
}

export type ConnState = "connecting" | "open" | "reconnecting";

type Listener = (e: LiveEvent) => void;

function topicKey(t: Topic): string {
  return JSON.stringify(t);
}

/** The events a wire message carries: `{type:"event", event}`, `{type:"events", events}`, `{type:"snapshot", ...}` or a bare event. */
export function eventsOf(msg: unknown): LiveEvent[] {
  if (!msg || typeof msg !== "object") return [];
  const m = msg as Record<string, unknown>;
  if (Array.isArray(m.events)) return m.events.flatMap(eventsOf);
  if (m.type === "event" && m.event) return eventsOf(m.event);
  if (m.type === "snapshot")
    return [{ kind: "snapshot", topic: m.topic as string, id: m.id as string | undefined, data: m.data }];
  if (typeof m.kind === "string") return [m as unknown as LiveEvent];
  return [];
}

export class EventClient {
  private ws: WebSocket | undefined;
  private readonly subs = new Map<string, { topic: Topic; refs: number }>();
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(s: ConnState) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private retryMs = 250;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private everOpened = false;
  state: ConnState = "connecting";

  constructor(private readonly url = defaultUrl()) {}

  start(): void {
    if (this.ws) return;
    this.connect();
  }

  private setState(s: ConnState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private connect(): void {
    const token = getToken();
    // a browser cannot set headers on a WebSocket: the token is offered as a subprotocol, never put in the URL
    const ws = new WebSocket(this.url, token ? ["benchfleet.events", `benchfleet.bearer.${base64url(token)}`] : []);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 250;
      this.setState("open");
      for (const { topic } of this.subs.values()) this.sendSub("subscribe", topic);
      if (this.everOpened) for (const l of this.reconnectListeners) l();
      this.everOpened = true;
    };
    ws.onmessage = (m) => {
      let msg: unknown;
      try {
        msg = JSON.parse(typeof m.data === "string" ? m.data : "");
      } catch {
        return;
      }
      for (const e of eventsOf(msg)) for (const l of this.listeners) l(e);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.setState("reconnecting");
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(5000, this.retryMs * 2);
    };
    ws.onerror = () => ws.close();
  }

  /** Reconnect now (after a token change). */
  restart(): void {
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    clearTimeout(this.timer);
    this.connect();
  }

  private sendSub(type: "subscribe" | "unsubscribe", t: Topic): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type, ...t }));
  }

  subscribe(t: Topic): () => void {
    const k = topicKey(t);
    const s = this.subs.get(k);
    if (s) s.refs++;
    else {
      this.subs.set(k, { topic: t, refs: 1 });
      this.sendSub("subscribe", t);
    }
    return () => {
      const cur = this.subs.get(k);
      if (!cur) return;
      if (--cur.refs <= 0) {
        this.subs.delete(k);
        this.sendSub("unsubscribe", t);
      }
    };
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onState(l: (s: ConnState) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }
  /** Called after the connection came back (views refetch what they might have missed). */
  onReconnect(l: () => void): () => void {
    this.reconnectListeners.add(l);
    return () => this.reconnectListeners.delete(l);
  }
}

function defaultUrl(): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/api/v1/events/ws`;
}

export const events = new EventClient();

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
