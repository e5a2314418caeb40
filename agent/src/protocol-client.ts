/**
 * The agent's side of the agent protocol: an outbound WebSocket to the controller that registers
 * (hello → welcome), heartbeats, reconnects with backoff and jitter, re-reports the running
 * attempt in every hello, and delivers spooled messages until they are acknowledged.
 */
import {
  AGENT_RECONNECT_MAX_MS,
  type AgentMessage,
  ControllerMessage,
  decodeMessage,
  type HeartbeatMsg,
  type HelloMsg,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type WelcomeMsg,
} from "@benchfleet/shared";
import WebSocket from "ws";
import { type ReconnectBackoff, reconnectDelay } from "./reconnect-delay.js";
import type { Spool, SpooledMessage } from "./spool.js";

type Outgoing = AgentMessage;
type Incoming = ControllerMessage;

export interface ProtocolClientOptions {
  /** ws(s)://host:port — the path `/api/v1/agents/ws` is added when the URL has none */
  url: string;
  /** builds the hello for each (re)connect: fresh health and the running attempt */
  hello: () => Promise<Omit<HelloMsg, "type" | "protocol">>;
  /** builds a heartbeat (fresh health, telemetry, running attempt) */
  heartbeat: (seq: number) => Promise<Omit<HeartbeatMsg, "type" | "seq">>;
  spool: Spool;
  /** every controller message except welcome and ack */
  onMessage: (msg: Incoming) => void;
  onWelcome?: (msg: WelcomeMsg) => void;
  onLog?: (line: string) => void;
  backoff?: ReconnectBackoff;
  /** resend unacknowledged spooled messages this often while connected (default 10 s) */
  resendIntervalMs?: number;
  /** give up waiting for welcome after this long and reconnect (default 10 s) */
  welcomeTimeoutMs?: number;
}

export const AGENT_WS_PATH = "/api/v1/agents/ws";

export function agentWsUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "ws:" && u.protocol !== "wss:")
    throw new Error(`controller URL must be ws:// or wss://, got "${url}"`);
  if (u.pathname === "/" || u.pathname === "") u.pathname = AGENT_WS_PATH;
  return u.toString();
}

export class ProtocolClient {
  private ws: WebSocket | undefined;
  private registered = false;
  private stopped = false;
  private failures = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private readonly url: string;
  private readonly ackWaiters = new Map<string, Array<(ok: boolean) => void>>();
  /** connections made (tests read it) */
  connections = 0;
  lastWelcome: WelcomeMsg | undefined;

  constructor(private readonly o: ProtocolClientOptions) {
    this.url = agentWsUrl(o.url);
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** closes the connection and stops reconnecting */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.registered = false;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close(1000, "agent stopping");
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** best effort: sent when registered, dropped otherwise (phases, logs, member-ready) */
  send(msg: Outgoing): boolean {
    if (!this.registered || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Spools the message, sends it when registered and again after every reconnect and every
   * resend interval until the controller acks it. Resolves once it is on disk; `acked(msgId)`
   * waits for the ack.
   */
  sendReliable(msg: SpooledMessage): void {
    this.o.spool.put(msg);
    this.send(msg);
  }

  /** resolves with the ack's ok flag when the controller acknowledges msgId */
  acked(msgId: string): Promise<boolean> {
    if (!this.o.spool.has(msgId)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const list = this.ackWaiters.get(msgId) ?? [];
      list.push(resolve);
      this.ackWaiters.set(msgId, list);
    });
  }

  private log(line: string): void {
    this.o.onLog?.(line);
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.resendTimer) clearInterval(this.resendTimer);
    if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
    this.heartbeatTimer = this.resendTimer = this.welcomeTimer = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    this.connections += 1;
    const ws = new WebSocket(this.url, { maxPayload: MAX_MESSAGE_BYTES, handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on("open", () => {
      this.o
        .hello()
        .then((h) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, ...h }));
          this.welcomeTimer = setTimeout(() => {
            this.log("no welcome from the controller: reconnecting");
            ws.terminate();
          }, this.o.welcomeTimeoutMs ?? 10_000);
        })
        .catch((e) => {
          this.log(`cannot build hello: ${(e as Error).message}`);
          ws.terminate();
        });
    });
    ws.on("message", (raw: Buffer) => this.onFrame(ws, raw));
    ws.on("error", (e) => this.log(`connection error: ${e.message}`));
    ws.on("close", (code, reason) => {
      if (this.ws !== ws) return;
      this.clearTimers();
      const wasRegistered = this.registered;
      this.registered = false;
      this.ws = undefined;
      if (this.stopped) return;
      if (!wasRegistered) this.failures += 1;
      const delay = reconnectDelay(this.failures, this.o.backoff ?? { initialMs: 500, maxMs: AGENT_RECONNECT_MAX_MS });
      this.log(`disconnected (${code}${reason.length ? ` ${reason.toString()}` : ""}); reconnecting in ${delay} ms`);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private onFrame(ws: WebSocket, raw: Buffer): void {
    const res = decodeMessage(ControllerMessage, raw);
    if (!res.ok) {
      this.log(`ignored controller message: ${res.error}`);
      return;
    }
    const msg = res.msg;
    switch (msg.type) {
      case "welcome":
        if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
        this.registered = true;
        this.failures = 0;
        this.lastWelcome = msg;
        this.o.onWelcome?.(msg);
        this.startHeartbeats(ws, msg.heartbeatIntervalMs);
        this.resendSpooled();
        this.resendTimer = setInterval(() => this.resendSpooled(), this.o.resendIntervalMs ?? 10_000);
        return;
      case "ack": {
        // ok:false is a definitive rejection (e.g. a superseded attempt): resending cannot help
        if (!msg.ok) this.log(`controller rejected ${msg.msgId}: ${msg.reason ?? "no reason"}`);
        if (this.o.spool.ack(msg.msgId) && msg.ok) this.log(`delivered ${msg.msgId}`);
        const waiters = this.ackWaiters.get(msg.msgId) ?? [];
        this.ackWaiters.delete(msg.msgId);
        for (const w of waiters) w(msg.ok);
        return;
      }
      case "error":
        this.log(`controller error ${msg.code}: ${msg.message}`);
        this.o.onMessage(msg);
        return;
      default:
        this.o.onMessage(msg);
    }
  }

  private startHeartbeats(ws: WebSocket, intervalMs: number): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const beat = () => {
      const seq = this.seq++;
      this.o
        .heartbeat(seq)
        .then((hb) => {
          if (this.ws === ws && this.registered && ws.readyState === WebSocket.OPEN)
            ws.send(JSON.stringify({ type: "heartbeat", seq, ...hb, spoolDepth: this.o.spool.size }));
        })
        .catch((e) => this.log(`heartbeat failed: ${(e as Error).message}`));
    };
    this.heartbeatTimer = setInterval(beat, intervalMs);
    beat();
  }

  private resendSpooled(): void {
    for (const m of this.o.spool.pending()) this.send(m);
  }
}
