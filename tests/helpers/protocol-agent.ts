/**
 * A scriptable test agent that speaks agent protocol v1 over a real WebSocket: hello, heartbeats
 * (reporting the attempt it runs), and helpers to play an assignment through (phases, member-ready,
 * gang barrier, point results with acks, attempt-finished). Tests drive it step by step or let
 * `runAssignment` do the whole attempt; `kill()` drops the socket like a dead machine.
 */

import {
  type AgentInfo,
  type AgentMessage,
  type Assignment,
  type AssignmentRefusal,
  ControllerMessage,
  decodeMessage,
  type LoadPoint,
  type PointResult,
  PROTOCOL_VERSION,
  type RunningReport,
  type SkuName,
} from "@benchfleet/shared";
import { WebSocket } from "ws";

export interface ProtocolAgentOptions {
  /** controller base URL, http://host:port */
  url: string;
  agentId: string;
  token?: string;
  sku?: SkuName;
  labels?: string[];
  domain?: string;
  gpuCount?: number;
  emulated?: boolean;
  heartbeatMs?: number;
  hostname?: string;
  /** default "emulated"; "slurm" with `slurm` registers a Slurm partition agent */
  launcher?: AgentInfo["launcher"];
  slurm?: AgentInfo["slurm"];
  /** start without the credential an earlier agent of this id enrolled with (an impostor, a lost data dir) */
  fresh?: boolean;
}

/**
 * Credentials issued in this test process, per controller and agent id: a new ProtocolAgent of an
 * id that enrolled before presents it, as a real agent does from its data dir. A retried test thus
 * reconnects its agents instead of being refused as a takeover.
 */
const issued = new Map<string, string>();

let msgCounter = 0;

export function fakePointResult(point: LoadPoint, gpus = 8): PointResult {
  const now = new Date().toISOString();
  return {
    point,
    status: "ok",
    startedAt: now,
    finishedAt: now,
    bench: {
      date: now,
      backend: "openai",
      model_id: "example/model",
      num_prompts: point.concurrency * 10,
      request_rate: "inf",
      burstiness: 1,
      max_concurrency: point.concurrency,
      duration: 10,
      completed: point.concurrency * 10,
      failed: 0,
      total_input_tokens: point.concurrency * 10 * point.isl,
      total_output_tokens: point.concurrency * 10 * point.osl,
      request_throughput: 1,
      output_throughput: 1000 * point.concurrency,
      total_token_throughput: 2000 * point.concurrency,
      median_ttft_ms: 50,
      median_tpot_ms: 10,
    },
    failures: {},
    gpus: { total: gpus, prefill: 0, decode: 0 },
    emulated: true,
  };
}

export class ProtocolAgent {
  ws: WebSocket | undefined;
  readonly received: ControllerMessage[] = [];
  readonly errors: string[] = [];
  running: RunningReport | undefined;
  private waiters: Array<{
    pred: (m: ControllerMessage) => boolean;
    resolve: (m: ControllerMessage) => void;
    from: number;
  }> = [];
  private hbTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  closed: { code: number; reason: string } | undefined;
  /** the credential the controller issued at enrolment; sent in every later hello */
  credential: string | undefined;
  /** on `cancel` of the running attempt: stop reporting it and send attempt-finished(cancelled) */
  autoTeardown = true;

  constructor(readonly opts: ProtocolAgentOptions) {
    this.credential = opts.fresh ? undefined : issued.get(this.identity);
  }

  private get identity(): string {
    return `${this.opts.url}\n${this.opts.agentId}`;
  }

  get id(): string {
    return this.opts.agentId;
  }

  info(): AgentInfo {
    const gpuCount = this.opts.gpuCount ?? 8;
    return {
      agentId: this.opts.agentId,
      hostname: this.opts.hostname ?? `${this.opts.agentId}.test`,
      ip: "127.0.0.1",
      sku: this.opts.sku ?? "h100",
      gpus: Array.from({ length: gpuCount }, (_, i) => ({ index: i, name: "TEST GPU", memoryMiB: 81920 })),
      gpuCount,
      runtimes: ["process"],
      rdmaDevices: [],
      labels: this.opts.labels ?? [],
      domain: this.opts.domain ?? "d1",
      launcher: this.opts.launcher ?? "emulated",
      ...(this.opts.slurm ? { slurm: this.opts.slurm } : {}),
      emulated: this.opts.emulated ?? true,
      version: "test",
    };
  }

  /** Opens the socket (no hello). */
  async open(): Promise<void> {
    const ws = new WebSocket(`${this.opts.url.replace(/^http/, "ws")}/api/v1/agents/ws`);
    this.ws = ws;
    this.closed = undefined;
    ws.on("message", (raw: Buffer) => {
      const dec = decodeMessage(ControllerMessage, raw.toString("utf8"));
      if (!dec.ok) {
        this.errors.push(dec.error);
        return;
      }
      const m = dec.msg;
      this.received.push(m);
      if (m.type === "cancel" && this.autoTeardown && this.running?.attemptId === m.attemptId) {
        // tear down like a real agent: stop reporting the attempt and confirm
        this.running = undefined;
        this.send({
          type: "attempt-finished",
          msgId: `c${++msgCounter}`,
          attemptId: m.attemptId,
          fencingToken: m.fencingToken,
          status: "cancelled",
          reason: m.reason,
          phaseDurationsMs: {},
        });
      }
      const idx = this.received.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (idx >= w.from && w.pred(m)) {
          w.resolve(m);
          return false;
        }
        return true;
      });
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.stopHeartbeats();
    });
    ws.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
  }

  /** Connects and says hello; resolves with the welcome (or rejects with the close reason). */
  async connect(extra: { token?: string } = {}): Promise<Extract<ControllerMessage, { type: "welcome" }>> {
    await this.open();
    const from = this.received.length;
    this.send({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      token: extra.token ?? this.opts.token ?? "",
      ...(this.credential ? { credential: this.credential } : {}),
      agent: this.info(),
      health: { ok: true, reasons: [], checkedAt: new Date().toISOString() },
      running: this.running,
    });
    const welcome = await Promise.race([
      this.waitFor((m) => m.type === "welcome", 5000, from),
      new Promise<never>((_, reject) => {
        const t = setInterval(() => {
          if (this.closed) {
            clearInterval(t);
            reject(new Error(`closed ${this.closed.code} ${this.closed.reason}`));
          }
        }, 20);
        setTimeout(() => clearInterval(t), 5100);
      }),
    ]);
    const w = welcome as Extract<ControllerMessage, { type: "welcome" }>;
    if (w.credential) {
      this.credential = w.credential;
      issued.set(this.identity, w.credential);
    }
    if (this.opts.heartbeatMs !== 0) this.startHeartbeats(this.opts.heartbeatMs ?? 100);
    return welcome as Extract<ControllerMessage, { type: "welcome" }>;
  }

  send(msg: AgentMessage): void {
    this.ws?.send(JSON.stringify(msg));
  }

  sendRaw(text: string): void {
    this.ws?.send(text);
  }

  heartbeat(): void {
    this.send({
      type: "heartbeat",
      seq: this.seq++,
      health: { ok: true, reasons: [], checkedAt: new Date().toISOString() },
      running: this.running,
    });
  }

  startHeartbeats(ms: number): void {
    this.stopHeartbeats();
    this.heartbeat();
    this.hbTimer = setInterval(() => this.heartbeat(), ms);
  }

  stopHeartbeats(): void {
    if (this.hbTimer) clearInterval(this.hbTimer);
    this.hbTimer = undefined;
  }

  /** Next message (from index `from`, default: any not yet seen by a previous wait) matching pred. */
  waitFor<T extends ControllerMessage = ControllerMessage>(
    pred: (m: ControllerMessage) => boolean,
    timeoutMs = 5000,
    from = 0,
  ): Promise<T> {
    for (let i = from; i < this.received.length; i++)
      if (pred(this.received[i]!)) return Promise.resolve(this.received[i] as T);
    return new Promise<T>((resolve, reject) => {
      const w = { pred, resolve: resolve as (m: ControllerMessage) => void, from };
      this.waiters.push(w);
      setTimeout(() => {
        if (this.waiters.includes(w)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(
            new Error(`${this.id}: timed out waiting for a message; got ${this.received.map((m) => m.type).join(",")}`),
          );
        }
      }, timeoutMs);
    });
  }

  async nextAssignment(timeoutMs = 5000, from = 0): Promise<Assignment> {
    const m = await this.waitFor<Extract<ControllerMessage, { type: "assign" }>>(
      (x) => x.type === "assign" && (!this.running || x.assignment.attemptId !== this.running.attemptId),
      timeoutMs,
      from,
    );
    return m.assignment;
  }

  /** Starts reporting the attempt as running (heartbeats carry it). */
  accept(a: Assignment): void {
    this.running = { attemptId: a.attemptId, jobId: a.jobId, fencingToken: a.fencingToken, phase: "prepare" };
  }

  phase(
    a: Assignment,
    phase: "prepare" | "launch" | "ready" | "warmup" | "load" | "eval" | "teardown",
    status: "started" | "finished" | "failed" = "finished",
  ): void {
    if (this.running) this.running.phase = phase;
    this.send({
      type: "phase",
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      phase,
      status,
      at: new Date().toISOString(),
      durationMs: 1,
    });
  }

  memberReady(a: Assignment): void {
    this.send({
      type: "member-ready",
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      endpoints: { worker: `http://127.0.0.1:${a.portBase}` },
    });
  }

  /** Sends a message with a msgId and waits for its ack. */
  async sendAcked(
    msg: AgentMessage & { msgId: string },
    timeoutMs = 5000,
  ): Promise<Extract<ControllerMessage, { type: "ack" }>> {
    const from = this.received.length;
    this.send(msg);
    return this.waitFor((m) => m.type === "ack" && m.msgId === msg.msgId, timeoutMs, from);
  }

  pointResult(a: Assignment, point: LoadPoint, msgId = `m${++msgCounter}`) {
    return {
      type: "point-result" as const,
      msgId,
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      result: fakePointResult(point, a.deployment.gpus),
    };
  }

  finished(
    a: Assignment,
    status: "succeeded" | "failed" | "cancelled",
    extra: { reason?: string; retryable?: boolean; refused?: AssignmentRefusal } = {},
    msgId = `f${++msgCounter}`,
  ) {
    return {
      type: "attempt-finished" as const,
      msgId,
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      status,
      phaseDurationsMs: { load: 1 },
      engineVersion: "test-engine 1.0",
      ...extra,
    };
  }

  log(a: Assignment, lines: string[], process = "server"): void {
    this.send({ type: "log", attemptId: a.attemptId, fencingToken: a.fencingToken, process, stream: "stdout", lines });
  }

  /**
   * Plays a whole attempt as its leader (or as a non-leader member: ready, then wait for release).
   * `beforeFinish` runs after the results are sent (e.g. to kill something mid-attempt).
   */
  async runAssignment(a: Assignment, o: { results?: boolean; holdUntil?: Promise<unknown> } = {}): Promise<void> {
    this.accept(a);
    this.phase(a, "prepare");
    this.phase(a, "launch");
    this.log(a, [`starting ${a.deployment.framework} for ${a.jobId}`, "server ready"]);
    this.memberReady(a);
    if (a.rank !== 0) {
      await this.waitFor((m) => (m.type === "release" || m.type === "cancel") && m.attemptId === a.attemptId, 15_000);
      await this.sendAcked(this.finished(a, "succeeded"));
      this.running = undefined;
      return;
    }
    await this.waitFor((m) => m.type === "gang-ready" && m.attemptId === a.attemptId, 15_000);
    this.phase(a, "ready");
    if (o.holdUntil) await o.holdUntil;
    if (o.results !== false) for (const p of a.points) await this.sendAcked(this.pointResult(a, p));
    this.phase(a, "load");
    this.phase(a, "teardown");
    await this.sendAcked(this.finished(a, "succeeded"));
    this.running = undefined;
  }

  /** Drops the connection without a close handshake (a dead machine). */
  kill(): void {
    this.stopHeartbeats();
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws!.once("close", () => resolve());
      this.ws!.close();
      setTimeout(resolve, 500);
    });
  }
}
