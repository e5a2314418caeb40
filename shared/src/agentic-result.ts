/**
 * The result block of an agentic (trace replay) point: what the replay measured over its fixed
 * duration. Latencies are per turn (each turn is one streamed chat request); throughput is over the
 * measured window; the error ratio is the lab's (failed / (completed + failed)) and the point fails
 * above `failureThreshold`. Cache hit rates live beside it in `PointResult.engineMetrics`.
 */
import { z } from "zod";

const num = z.number();
const count = z.number().int().nonnegative();
/** mean, median, std and percentiles (`p90`, `p99`, …), ms */
const Summary = z.record(z.string(), num);

export const AgenticPointStats = z
  .object({
    trace: z
      .object({
        /** file path or `synthetic(seed=…)` */
        source: z.string(),
        trajectories: count,
        /** turns of the trajectories and of their subagent branches */
        turns: count,
        /** subagents the trace could not anchor to a parent turn, left out as the lab leaves them */
        droppedSubagents: count.optional(),
      })
      .strict(),
    /** trajectories in flight */
    concurrency: z.number().int().positive(),
    /** the measured duration asked for, s */
    durationS: num,
    /** from the first measured send to the last counted completion, s */
    measuredS: num,
    requests: z
      .object({
        completed: count,
        failed: count,
        /** in flight at the end of the measured duration and its grace period: not counted */
        cutAtEnd: count,
      })
      .strict(),
    errorRatio: num,
    failureThreshold: num,
    trajectories: z
      .object({
        /** trajectories a lane worked on during the measured duration */
        started: count,
        /** trajectories whose last turn completed during the measured duration */
        completed: count,
      })
      .strict(),
    throughput: z
      .object({
        requestsPerS: num,
        inputTokensPerS: num,
        outputTokensPerS: num,
        totalTokensPerS: num,
        totalTokensPerGpu: num,
        outputTokensPerGpu: num,
      })
      .strict(),
    ttftMs: Summary,
    itlMs: Summary,
    e2elMs: Summary,
    /** tokens/s per user (1000 / TPOT) */
    interactivity: Summary,
    meanInputTokens: num,
    meanOutputTokens: num,
    gaps: z
      .object({
        /** the per-turn idle cap, ms */
        capMs: num,
        /** gaps the cap shortened */
        capped: count,
        /** idle time the lanes slept on average before a turn, ms */
        meanSleptMs: num,
        /** whole-system idle after which pending gaps advance, ms (0: never) */
        systemIdleCapMs: num.optional(),
        /** how many times they advanced, and by how much in all, ms */
        systemIdleAdvances: count.optional(),
        systemIdleAdvancedMs: num.optional(),
      })
      .strict(),
    warmup: z
      .object({
        requests: count,
        failed: count,
        /** where each lane's first trajectory starts, as a fraction of its turns */
        startRatio: z.tuple([num, num]),
        requestsPerLane: count,
        /** in flight when the warm-up grace ran out: cancelled, neither completed nor failed */
        cancelled: count.optional(),
        /** the longest the warm-up could take to drain, s */
        graceS: num.optional(),
      })
      .strict(),
    /** why the run stopped before its duration (the live error gate), if it did */
    stoppedEarly: z.string().optional(),
  })
  .strict();
export type AgenticPointStats = z.infer<typeof AgenticPointStats>;
