/** The `agentic` block of a replayed point from the replay's outcome and its metrics. Pure. */
import type { AgenticPointStats } from "@benchfleet/shared";
import type { ReplayOutcome, ReplaySettings } from "./agentic-replay-run.js";
import type { AgenticTrace, Trajectory } from "./agentic-trace.js";
import { mean, type PointMetrics } from "./metrics.js";
import { type GpuCounts, summaryRecord } from "./result.js";

/** a trajectory's turns with those of its subagent branches */
function turnsOf(t: Trajectory): number {
  return t.turns.reduce((a, u) => a + 1 + (u.spawns ?? []).reduce((b, c) => b + turnsOf(c), 0), 0);
}

export function agenticStats(
  trace: AgenticTrace,
  r: ReplaySettings,
  out: ReplayOutcome,
  m: PointMetrics,
  concurrency: number,
  gpus: GpuCounts,
  failureThreshold: number,
): AgenticPointStats {
  const ok = out.records.filter((x) => x.success);
  return {
    trace: {
      source: trace.source,
      trajectories: trace.trajectories.length,
      turns: trace.trajectories.reduce((a, t) => a + turnsOf(t), 0),
      ...(trace.droppedSubagents ? { droppedSubagents: trace.droppedSubagents } : {}),
    },
    concurrency,
    durationS: r.durationMs / 1000,
    measuredS: m.durationS,
    requests: { completed: m.completed, failed: m.failed, cutAtEnd: out.cutAtEnd },
    errorRatio: m.failed / Math.max(1, m.completed + m.failed),
    failureThreshold,
    trajectories: { started: out.trajectoriesStarted, completed: out.trajectoriesCompleted },
    throughput: {
      requestsPerS: m.requestThroughput,
      inputTokensPerS: m.inputThroughput,
      outputTokensPerS: m.outputThroughput,
      totalTokensPerS: m.totalTokenThroughput,
      totalTokensPerGpu: m.totalTokenThroughput / gpus.total,
      outputTokensPerGpu: m.outputThroughput / gpus.total,
    },
    ttftMs: summaryRecord(m.ttftMs),
    itlMs: summaryRecord(m.itlMs),
    e2elMs: summaryRecord(m.e2elMs),
    interactivity: summaryRecord(m.interactivity),
    meanInputTokens: mean(ok.map((x) => x.promptTokens)),
    meanOutputTokens: mean(ok.map((x) => x.outputTokens)),
    gaps: {
      capMs: r.gapCapMs,
      capped: out.gapsCapped,
      meanSleptMs: out.slept.totalMs / Math.max(1, out.slept.gaps),
      systemIdleCapMs: r.systemIdleCapMs,
      systemIdleAdvances: out.systemIdle.advances,
      systemIdleAdvancedMs: out.systemIdle.advancedMs,
    },
    warmup: {
      requests: out.warm.requests,
      failed: out.warm.failed,
      startRatio: r.startRatio,
      requestsPerLane: r.warmupRequestsPerLane,
      cancelled: out.warmCancelled,
      graceS: r.warmupGraceMs / 1000,
    },
    ...(out.stoppedEarly ? { stoppedEarly: out.stoppedEarly } : {}),
  };
}
