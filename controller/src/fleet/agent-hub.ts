/**
 * Agent hub: the `/api/v1/agents/ws` endpoint. Authenticates the hello (agent token or enrolment),
 * registers the node, answers with welcome (adopt/abort/none for the attempt the agent reports),
 * validates every frame with the shared protocol schemas and routes it to the registry (heartbeats)
 * or the attempt supervisor. A malformed frame is answered with an `error` message and the
 * connection kept (closed only before a valid hello); nothing an agent sends can crash the controller.
 */

import { AgentMessage, type ControllerMessage, decodeMessage, PROTOCOL_VERSION } from "@benchfleet/shared";
import type { WebSocket } from "ws";
import type { Auth } from "../api/auth.js";
import type { Logger } from "../infra/logger.js";
import type { AgentSender, AttemptSupervisor } from "../scheduling/attempt-supervisor.js";
import type { ControllerConfig } from "../settings.js";
import type { NodeRegistry } from "./node-registry.js";

const HELLO_TIMEOUT_MS = 10_000;

interface Conn {
  ws: WebSocket;
  agentId?: string;
  alive: boolean;
}

export class AgentHub implements AgentSender {
  private readonly byAgent = new Map<string, Conn>();
  private readonly conns = new Set<Conn>();
  private pingTimer: NodeJS.Timeout | undefined;
  private lastPingAt = Date.now();
  /** frames rejected as malformed */
  malformed = 0;
  /** WebSocket frames received from and sent to agents */
  framesIn = 0;
  framesOut = 0;
  /** agent id → messages its spool held unacknowledged at its last heartbeat */
  readonly spoolDepth = new Map<string, number>();

  constructor(
    private readonly cfg: ControllerConfig,
    private readonly auth: Auth,
    private readonly registry: NodeRegistry,
    private readonly supervisor: AttemptSupervisor,
    private readonly log: Logger,
  ) {
    this.pingTimer = setInterval(() => this.ping(), cfg.pingIntervalMs);
    this.pingTimer.unref();
  }

  private ping(now = Date.now()): void {
    // a ping round far behind schedule means this process stalled: the pongs are still unread
    const late = now - this.lastPingAt > 2 * this.cfg.pingIntervalMs;
    this.lastPingAt = now;
    for (const c of this.conns) {
      if (!c.alive && !late) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        /* closed */
      }
    }
  }

  /** Serves one agent WebSocket. Messages of one connection are handled strictly in order. */
  handle(ws: WebSocket): void {
    const conn: Conn = { ws, alive: true };
    this.conns.add(conn);
    let chain: Promise<void> = Promise.resolve();
    const helloTimer = setTimeout(() => {
      if (!conn.agentId) this.closeWith(conn, 4001, "no hello received");
    }, HELLO_TIMEOUT_MS);
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("message", (raw: Buffer, isBinary: boolean) => {
      this.framesIn++;
      // liveness as frames arrive: a heartbeat waiting behind slow work (Redis) still counts now
      if (conn.agentId && this.byAgent.get(conn.agentId) === conn) this.registry.touch(conn.agentId);
      chain = chain
        .then(() => this.onFrame(conn, isBinary ? raw : raw.toString("utf8")))
        .catch((e) => {
          this.log.error(
            { err: (e as Error).stack ?? String(e), agentId: conn.agentId },
            "agent message handling failed",
          );
          this.sendRaw(conn, {
            type: "error",
            code: "internal",
            message: "the controller could not process this message",
          });
        });
    });
    ws.on("error", () => {});
    ws.on("close", () => {
      clearTimeout(helloTimer);
      this.conns.delete(conn);
      chain = chain.then(async () => {
        if (conn.agentId && this.byAgent.get(conn.agentId) === conn) {
          this.byAgent.delete(conn.agentId);
          await this.supervisor
            .onDisconnect(conn.agentId)
            .catch((e) => this.log.error({ err: String(e) }, "disconnect handling failed"));
        }
      });
    });
  }

  private sendRaw(conn: Conn, msg: ControllerMessage): boolean {
    if (conn.ws.readyState !== conn.ws.OPEN) return false;
    try {
      conn.ws.send(JSON.stringify(msg));
      this.framesOut++;
      return true;
    } catch {
      return false;
    }
  }

  private closeWith(conn: Conn, code: number, reason: string): void {
    this.sendRaw(conn, { type: "error", code: String(code), message: reason });
    try {
      conn.ws.close(code, reason.slice(0, 120));
    } catch {
      /* already closed */
    }
  }

  private async onFrame(conn: Conn, raw: string | Buffer): Promise<void> {
    conn.alive = true;
    const dec = decodeMessage(AgentMessage, raw);
    if (!dec.ok) {
      this.malformed++;
      if (!conn.agentId) this.closeWith(conn, 4400, `${dec.error} (expected hello first)`);
      else this.sendRaw(conn, { type: "error", code: "bad-message", message: dec.error });
      return;
    }
    const msg = dec.msg;
    if (msg.type === "hello") {
      if (conn.agentId) {
        this.sendRaw(conn, {
          type: "error",
          code: "bad-message",
          message: "hello already received on this connection",
        });
        return;
      }
      if (msg.protocol !== PROTOCOL_VERSION) {
        this.closeWith(conn, 4002, `protocol ${msg.protocol} not supported (controller speaks ${PROTOCOL_VERSION})`);
        return;
      }
      const id = msg.agent.agentId;
      const verdict = await this.auth.agent(id, msg.token, msg.agent.hostname, msg.credential);
      if (!verdict.ok) {
        this.log.warn({ agentId: id, reason: verdict.reason }, "agent authentication failed");
        this.closeWith(conn, 4003, "authentication failed");
        return;
      }
      const prev = this.byAgent.get(id);
      if (prev && prev !== conn) {
        this.byAgent.delete(id);
        this.closeWith(prev, 4009, "replaced by a new connection of the same agent");
      }
      conn.agentId = id;
      this.byAgent.set(id, conn);
      const node = await this.registry.hello(msg.agent, msg.health, Date.now(), msg.running?.attemptId);
      const running = await this.supervisor.onHello(id, msg.running);
      this.sendRaw(conn, {
        type: "welcome",
        protocol: PROTOCOL_VERSION,
        agentId: id,
        heartbeatIntervalMs: this.cfg.heartbeatIntervalMs,
        serverTime: new Date().toISOString(),
        running,
        ...(verdict.issued ? { credential: verdict.issued } : {}),
      });
      if (node.adminState === "drain") this.sendRaw(conn, { type: "drain", drain: true });
      if (running === "abort" && msg.running)
        this.sendRaw(conn, {
          type: "cancel",
          attemptId: msg.running.attemptId,
          fencingToken: msg.running.fencingToken,
          reason: "attempt superseded or unknown",
        });
      this.log.info({ agentId: id, sku: msg.agent.sku, running }, "agent connected");
      this.supervisor.onCapacityChange();
      return;
    }
    if (!conn.agentId) {
      this.closeWith(conn, 4401, "hello expected first");
      return;
    }
    if (msg.type === "heartbeat") {
      if (msg.spoolDepth !== undefined) this.spoolDepth.set(conn.agentId, msg.spoolDepth);
      await this.registry.heartbeat(conn.agentId, msg.health, msg.telemetry);
      await this.supervisor.onHeartbeat(conn.agentId, msg.running);
      return;
    }
    await this.supervisor.onMessage(conn.agentId, msg);
  }

  send(agentId: string, msg: ControllerMessage): boolean {
    const c = this.byAgent.get(agentId);
    return c ? this.sendRaw(c, msg) : false;
  }

  isConnected(agentId: string): boolean {
    return this.byAgent.has(agentId);
  }

  disconnect(agentId: string, code: number, reason: string): void {
    const c = this.byAgent.get(agentId);
    if (!c) return;
    this.byAgent.delete(agentId);
    this.closeWith(c, code, reason);
    c.ws.terminate();
  }

  async close(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
    this.byAgent.clear();
  }
}
