/**
 * A minimal real WebSocket server that speaks the controller side of the agent protocol, for the
 * agent's tests until (and beside) the real controller: validates every agent message with the
 * shared schemas, answers hello with welcome, acks spooled messages, relays member-ready as
 * gang-ready when the whole gang is ready, and can be killed and restarted on the same port.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AgentMessage,
  type Assignment,
  type ControllerMessage,
  decodeMessage,
  type HelloMsg,
  PROTOCOL_VERSION,
} from "@benchfleet/shared";
import { type WebSocket, WebSocketServer } from "ws";

export interface FakeControllerOptions {
  port?: number;
  token?: string;
  heartbeatIntervalMs?: number;
  /** ack spooled messages (default true) */
  autoAck?: boolean;
  /** answer for a reported running attempt (default adopt) */
  running?: "adopt" | "abort";
}

export class FakeController {
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Map<string, WebSocket>();
  private readonly ready = new Map<string, Map<number, Record<string, string>>>();
  private readonly assignments = new Map<string, Assignment>();
  /** every valid agent message, in arrival order (survives restarts) */
  readonly received: AgentMessage[] = [];
  readonly invalid: string[] = [];
  readonly hellos: HelloMsg[] = [];
  private waiters: Array<() => void> = [];
  port = 0;

  constructor(private readonly o: FakeControllerOptions = {}) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, path: "/api/v1/agents/ws" });
    wss.on("connection", (ws) => this.onConnection(ws));
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(this.port || this.o.port || 0, "127.0.0.1", () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
    this.wss = wss;
  }

  /** drops every connection abruptly and stops listening (a dead controller) */
  async kill(): Promise<void> {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
    this.wss?.close();
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    this.http?.closeAllConnections();
    this.http = undefined;
  }

  private onConnection(ws: WebSocket): void {
    let agentId: string | undefined;
    ws.on("message", (raw: Buffer) => {
      const res = decodeMessage(AgentMessage, raw);
      if (!res.ok) {
        this.invalid.push(res.error);
        return;
      }
      const msg = res.msg;
      this.received.push(msg);
      if (msg.type === "hello") {
        if (this.o.token && msg.token !== this.o.token) {
          this.sendTo(ws, { type: "error", code: "unauthorized", message: "bad agent token" });
          ws.close(4401, "unauthorized");
          return;
        }
        agentId = msg.agent.agentId;
        this.hellos.push(msg);
        this.sockets.set(agentId, ws);
        this.sendTo(ws, {
          type: "welcome",
          protocol: PROTOCOL_VERSION,
          agentId,
          heartbeatIntervalMs: this.o.heartbeatIntervalMs ?? 200,
          serverTime: new Date().toISOString(),
          running: msg.running ? (this.o.running ?? "adopt") : "none",
        });
      } else if (msg.type === "point-result" || msg.type === "eval-result" || msg.type === "attempt-finished") {
        if (this.o.autoAck !== false) this.sendTo(ws, { type: "ack", msgId: msg.msgId, ok: true });
      } else if (msg.type === "member-ready") {
        const a = this.assignments.get(msg.attemptId);
        const sender = a?.gang.find((m) => m.agentId === agentId);
        if (a && sender) {
          const map = this.ready.get(a.attemptId) ?? new Map();
          map.set(sender.rank, msg.endpoints);
          this.ready.set(a.attemptId, map);
          if (map.size === a.gang.length) {
            const leader = a.gang.find((m) => m.rank === 0);
            const ws0 = leader && this.sockets.get(leader.agentId);
            if (ws0) {
              this.sendTo(ws0, {
                type: "gang-ready",
                attemptId: a.attemptId,
                fencingToken: a.fencingToken,
                members: [...map.entries()].map(([rank, endpoints]) => ({ rank, endpoints })),
              });
            }
          }
        }
      }
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
    ws.on("close", () => {
      if (agentId && this.sockets.get(agentId) === ws) this.sockets.delete(agentId);
    });
  }

  private sendTo(ws: WebSocket, msg: ControllerMessage): void {
    ws.send(JSON.stringify(msg));
  }

  /** sends to a connected agent; false when it is not connected */
  send(agentId: string, msg: ControllerMessage): boolean {
    const ws = this.sockets.get(agentId);
    if (!ws) return false;
    if (msg.type === "assign") this.assignments.set(msg.assignment.attemptId, msg.assignment);
    this.sendTo(ws, msg);
    return true;
  }

  connected(agentId: string): boolean {
    return this.sockets.has(agentId);
  }

  /** messages of a type */
  of<T extends AgentMessage["type"]>(type: T): Array<Extract<AgentMessage, { type: T }>> {
    return this.received.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }

  /** waits until the predicate holds (re-checked on every message and every 50 ms) */
  async waitFor<T>(fn: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}
