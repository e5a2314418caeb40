/**
 * The controller's Prometheus metrics (`GET /metrics`, text exposition): scheduling (queues, jobs,
 * attempts, dispatch rounds), the fleet (agents by state, and each agent's telemetry, spool depth
 * and attempt phase durations as the agents report them to the controller: agents serve no HTTP
 * of their own), results stored, and the two WebSocket hubs. Figures the controller already keeps
 * are read when scraped; `/api/v1/status` reads the same registry (`ControllerMetrics.value`).
 */
import { JOB_STATUSES, PHASES, queueNameForRunner } from "@benchfleet/shared";
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from "prom-client";
import type { ControllerContext } from "../context.js";
import { nodeState } from "../fleet/node-registry.js";
import type { StallGuard } from "../infra/stall-guard.js";

const ATTEMPT_STATES = ["dispatched", "running", "succeeded", "failed", "cancelled"] as const;
const NODE_STATES = ["offline", "quarantined", "drained", "draining", "busy", "reserved", "idle"] as const;
const QUEUE_STATES = ["wait", "prioritized", "delayed", "active"] as const;
const PHASE_BUCKETS_S = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/** a counter whose total is kept elsewhere: set on each scrape */
function counterOf(registry: Registry, name: string, help: string, read: () => number | Promise<number>): void {
  new Counter({
    name,
    help,
    registers: [registry],
    async collect() {
      this.reset();
      this.inc(await read());
    },
  });
}

export class ControllerMetrics {
  constructor(
    readonly registry: Registry,
    private readonly ctx: ControllerContext,
    stall: StallGuard,
  ) {
    const { jobs, attempts, registry: nodes, results, hub, events, dispatcher, queues } = ctx;
    collectDefaultMetrics({ register: registry });

    // ---- scheduling
    new Gauge({
      name: "benchfleet_queue_jobs",
      help: "jobs in each BullMQ queue (one per runner label) by queue state",
      labelNames: ["queue", "state"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const name of queues.names()) {
          const counts = await queues.queue(name).getJobCounts(...QUEUE_STATES);
          for (const s of QUEUE_STATES) this.set({ queue: name, state: s }, counts[s] ?? 0);
        }
      },
    });
    new Gauge({
      name: "benchfleet_queue_oldest_age_seconds",
      help: "age of the longest-queued job of each queue (since it was enqueued)",
      labelNames: ["queue"],
      registers: [registry],
      collect() {
        this.reset();
        const oldest = new Map<string, number>();
        for (const j of jobs.all()) {
          if (j.status !== "queued") continue;
          const q = queueNameForRunner(j.runner);
          oldest.set(q, Math.min(oldest.get(q) ?? Number.POSITIVE_INFINITY, j.enqueuedAt));
        }
        const now = Date.now();
        for (const q of queues.names()) this.set({ queue: q }, oldest.has(q) ? (now - oldest.get(q)!) / 1000 : 0);
      },
    });
    new Gauge({
      name: "benchfleet_jobs",
      help: "jobs by status",
      labelNames: ["status"],
      registers: [registry],
      collect() {
        const n = new Map<string, number>(JOB_STATUSES.map((s) => [s, 0]));
        for (const j of jobs.all()) n.set(j.status, (n.get(j.status) ?? 0) + 1);
        for (const [status, v] of n) this.set({ status }, v);
      },
    });
    new Gauge({
      name: "benchfleet_attempts",
      help: "attempts by state",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        const n = new Map<string, number>(ATTEMPT_STATES.map((s) => [s, 0]));
        for (const a of attempts.all()) n.set(a.state, (n.get(a.state) ?? 0) + 1);
        for (const [state, v] of n) this.set({ state }, v);
      },
    });
    counterOf(registry, "benchfleet_dispatch_rounds_total", "dispatch rounds run", () => dispatcher.rounds);
    counterOf(
      registry,
      "benchfleet_stale_messages_rejected_total",
      "agent messages refused for an old fencing token",
      () => attempts.staleCount(),
    );
    counterOf(
      registry,
      "benchfleet_controller_stalls_total",
      "stalls of the controller's loop or Redis",
      () => stall.stalls,
    );

    // ---- fleet
    new Gauge({
      name: "benchfleet_agents",
      help: "registered agents (nodes) by state",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        const n = new Map<string, number>(NODE_STATES.map((s) => [s, 0]));
        for (const r of nodes.list()) n.set(nodeState(r), (n.get(nodeState(r)) ?? 0) + 1);
        for (const [state, v] of n) this.set({ state }, v);
      },
    });
    new Gauge({
      name: "benchfleet_agents_connected",
      help: "agents with an open WebSocket",
      registers: [registry],
      collect() {
        this.set(nodes.list().filter((r) => r.connected).length);
      },
    });
    new Gauge({
      name: "benchfleet_agents_healthy",
      help: "connected agents whose last health check passed",
      registers: [registry],
      collect() {
        this.set(nodes.list().filter((r) => r.connected && r.health.ok).length);
      },
    });
    new Gauge({
      name: "benchfleet_agents_quarantined",
      help: "agents quarantined (by an operator or the quarantine policy)",
      registers: [registry],
      collect() {
        this.set(nodes.list().filter((r) => r.adminState === "quarantine").length);
      },
    });
    const perNode = (
      name: string,
      help: string,
      read: (r: ReturnType<typeof nodes.list>[number]) => number | null | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ["node"],
        registers: [registry],
        collect() {
          this.reset();
          for (const r of nodes.list()) {
            const v = read(r);
            if (v !== null && v !== undefined) this.set({ node: r.id }, v);
          }
        },
      });
    perNode(
      "benchfleet_node_last_seen_age_seconds",
      "seconds since the agent's last frame",
      (r) => (Date.now() - r.lastSeenAt) / 1000,
    );
    perNode("benchfleet_node_spool_depth", "results spooled on the agent, not yet acknowledged (last heartbeat)", (r) =>
      hub.spoolDepth.get(r.id),
    );
    perNode("benchfleet_node_cpu_utilization_ratio", "host CPU in use, 1 = all cores (last heartbeat)", (r) =>
      r.telemetry?.cpuPct == null ? null : r.telemetry.cpuPct / 100,
    );
    perNode("benchfleet_node_memory_used_bytes", "host memory in use (last heartbeat)", (r) =>
      r.telemetry?.memUsedMiB == null ? null : r.telemetry.memUsedMiB * 1048576,
    );
    const perGpu = (
      name: string,
      help: string,
      read: (g: {
        powerW: number | null;
        utilPct: number | null;
        memUsedMiB: number | null;
        tempC: number | null;
      }) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ["node", "gpu", "emulated"],
        registers: [registry],
        collect() {
          this.reset();
          for (const r of nodes.list()) {
            if (!r.connected) continue;
            for (const g of r.telemetry?.gpus ?? []) {
              const v = read(g);
              if (v !== null)
                this.set({ node: r.id, gpu: String(g.index), emulated: String(r.telemetry?.emulated === true) }, v);
            }
          }
        },
      });
    perGpu("benchfleet_node_gpu_power_watts", "GPU board power (last heartbeat)", (g) => g.powerW);
    perGpu("benchfleet_node_gpu_utilization_ratio", "GPU utilisation, 1 = busy (last heartbeat)", (g) =>
      g.utilPct === null ? null : g.utilPct / 100,
    );
    perGpu("benchfleet_node_gpu_memory_used_bytes", "GPU memory in use (last heartbeat)", (g) =>
      g.memUsedMiB === null ? null : g.memUsedMiB * 1048576,
    );
    perGpu("benchfleet_node_gpu_temperature_celsius", "GPU temperature (last heartbeat)", (g) => g.tempC);
    new Histogram({
      name: "benchfleet_attempt_phase_duration_seconds",
      help: "durations of the attempt phases the agents reported (attempts the controller keeps)",
      labelNames: ["phase"],
      buckets: PHASE_BUCKETS_S,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of PHASES) this.zero({ phase: p });
        // keyed `<rank>:<phase>`: every member's phases
        for (const a of attempts.all())
          for (const [key, p] of Object.entries(a.phases))
            if (p.durationMs !== undefined && p.status !== "started")
              this.observe({ phase: key.slice(key.indexOf(":") + 1) }, p.durationMs / 1000);
      },
    });
    counterOf(
      registry,
      "benchfleet_agent_ws_frames_received_total",
      "WebSocket frames received from agents",
      () => hub.framesIn,
    );
    counterOf(
      registry,
      "benchfleet_agent_ws_frames_sent_total",
      "WebSocket frames sent to agents",
      () => hub.framesOut,
    );
    counterOf(
      registry,
      "benchfleet_agent_ws_frames_malformed_total",
      "agent frames refused as malformed",
      () => hub.malformed,
    );

    // ---- results and events
    new Gauge({
      name: "benchfleet_result_points_stored",
      help: "load-point results in the results database (emulated: from emulated engines)",
      labelNames: ["emulated"],
      registers: [registry],
      collect() {
        for (const emulated of [false, true])
          this.set({ emulated: String(emulated) }, results.countPoints({ emulated }));
      },
    });
    new Gauge({
      name: "benchfleet_event_subscribers",
      help: "open event WebSockets (dashboards, CLI watchers)",
      registers: [registry],
      collect() {
        this.set(events.subscriberCount());
      },
    });
    counterOf(
      registry,
      "benchfleet_event_frames_sent_total",
      "event frames fanned out to subscribers",
      () => events.framesSent,
    );
    counterOf(
      registry,
      "benchfleet_event_deltas_dropped_total",
      "event deltas dropped for slow subscribers",
      () => events.droppedTotal,
    );
  }

  /** one series' value as a scrape would read it (labels: a subset to sum over) */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = this.registry.getSingleMetric(name);
    if (!m) throw new Error(`no metric ${name}`);
    const { values } = await m.get();
    return values
      .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
      .reduce((a, v) => a + v.value, 0);
  }
}
