/**
 * Results of one load point and of one accuracy eval, as agents send them and the controller
 * stores them. `bench` carries the `vllm bench serve` result keys (so existing tools read it);
 * our additions live beside it.
 */
import { z } from "zod";
import { AgenticPointStats } from "./agentic-result.js";
import { LoadPoint } from "./deployment.js";
import { EngineMetrics } from "./engine-metrics.js";
import { KvHostTier } from "./kv-host-tier.js";
import { PointRepeats } from "./point-repeats.js";

const num = z.number();
const METRICS = ["ttft", "tpot", "itl", "e2el"] as const;
const STATS = ["mean", "median", "std", "p90", "p95", "p99", "p99.9"] as const;

const metricKeys: Record<string, z.ZodOptional<z.ZodNumber>> = {};
for (const m of METRICS) for (const s of STATS) metricKeys[`${s}_${m}_ms`] = num.optional();

/** The `vllm bench serve` result JSON (run level, without per-request detail unless saved). */
export const VllmBenchResult = z
  .object({
    date: z.string(),
    backend: z.string(),
    endpoint_type: z.string().optional(),
    label: z.string().nullable().optional(),
    model_id: z.string(),
    tokenizer_id: z.string().nullable().optional(),
    num_prompts: z.number().int(),
    request_rate: z.union([z.literal("inf"), num]),
    burstiness: num,
    max_concurrency: z.number().int().nullable(),
    duration: num,
    completed: z.number().int(),
    failed: z.number().int(),
    total_input_tokens: z.number().int(),
    total_output_tokens: z.number().int(),
    request_throughput: num,
    request_goodput: num.nullable().optional(),
    output_throughput: num,
    total_token_throughput: num,
    max_output_tokens_per_s: num.optional(),
    max_concurrent_requests: num.optional(),
    benchmark_start_time_unix: num.optional(),
    benchmark_end_time_unix: num.optional(),
    ...metricKeys,
    input_lens: z.array(num).optional(),
    output_lens: z.array(num).optional(),
    ttfts: z.array(num).optional(),
    itls: z.array(z.array(num)).optional(),
    start_times: z.array(num).optional(),
    generated_texts: z.array(z.string()).optional(),
    errors: z.array(z.string()).optional(),
  })
  .passthrough();
export type VllmBenchResult = z.infer<typeof VllmBenchResult>;

const energyFields = {
  /** power samples covered the whole window for every GPU */
  complete: z.boolean(),
  gpus: z.number().int().nonnegative(),
  avgPowerW: num.nullable(),
  totalEnergyJ: num.nullable(),
  joulesPerOutputToken: num.nullable(),
  joulesPerTotalToken: num.nullable(),
  note: z.string().optional(),
  /** the power figures come from the emulated GPU power model (emulated agents), not from a GPU */
  emulated: z.boolean().optional(),
};

/** the energy of one node's GPUs of a deployment */
export const NodeEnergy = z.object({ node: z.string(), energy: z.object(energyFields).strict() }).strict();
export type NodeEnergy = z.infer<typeof NodeEnergy>;

export const EnergySummary = z
  .object({
    ...energyFields,
    /** a deployment over several nodes: each node's part (the figures above are their sum) */
    nodes: z.array(NodeEnergy).optional(),
  })
  .strict();
export type EnergySummary = z.infer<typeof EnergySummary>;

export const ClientStats = z
  .object({
    sendLagP50Ms: num,
    sendLagP99Ms: num,
    /** p99 send lag without the first wave (the requests due at once at the start of a closed-loop run) */
    sendLagSteadyP99Ms: num.optional(),
    /** start of the run → the last first-wave request sent */
    firstWaveMs: num.optional(),
    eventLoopDelayP99Ms: num,
    cpuUserMs: num,
    cpuSystemMs: num,
    workers: z.number().int().positive(),
    saturated: z.boolean(),
    saturationReason: z.string().optional(),
  })
  .strict();
export type ClientStats = z.infer<typeof ClientStats>;

export const PointResult = z
  .object({
    point: LoadPoint,
    status: z.enum(["ok", "failed"]),
    failureReason: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string(),
    bench: VllmBenchResult,
    /** failure counts by reason */
    failures: z.record(z.string(), z.number().int()).default({}),
    client: ClientStats.optional(),
    energy: EnergySummary.optional(),
    /** the engines' own metrics over the point, per role (absent: not scraped) */
    engineMetrics: EngineMetrics.optional(),
    /** a point run several times: how many, and the spread of its metrics over the runs */
    repeats: PointRepeats.optional(),
    /** agentic points: the trace replay's per-turn metrics */
    agentic: AgenticPointStats.optional(),
    /** agentic points: the host-DRAM KV tier each engine process was launched with (absent: not read) */
    kvHostTiers: z.array(KvHostTier).optional(),
    /** GPUs the throughput is normalised by */
    gpus: z
      .object({
        total: z.number().int().positive(),
        prefill: z.number().int().nonnegative(),
        decode: z.number().int().nonnegative(),
      })
      .strict(),
    emulated: z.boolean(),
    /**
     * who measured the point: `lab-script`, the lab's own benchmark client run by its script (script
     * mode; `bench` is that client's result JSON). Absent: benchfleet's load generator.
     */
    measuredBy: z.literal("lab-script").optional(),
  })
  .strict();
export type PointResult = z.infer<typeof PointResult>;

export const EvalResult = z
  .object({
    task: z.literal("gsm8k"),
    harness: z.enum(["builtin", "lm-eval"]),
    n: z.number().int().nonnegative(),
    strict: z.object({ exactMatch: num, stderr: num }).strict(),
    flexible: z.object({ exactMatch: num, stderr: num }).strict(),
    failedRequests: z.number().int().nonnegative(),
    /** answers that came back empty (counted as wrong) */
    emptyResponses: z.number().int().nonnegative().optional(),
    threshold: num,
    passed: z.boolean(),
    /** parallel requests of the eval client when the plan chose them (eval-selection.ts) */
    concurrency: z.number().int().positive().optional(),
    durationS: num,
    startedAt: z.string(),
    finishedAt: z.string(),
    emulated: z.boolean(),
    /**
     * who evaluated: `lab-script`, the lab's own eval run by its script (script mode, RUN_EVAL=true;
     * the scores are its lm-eval results file's). Absent: benchfleet's eval runner.
     */
    measuredBy: z.literal("lab-script").optional(),
  })
  .strict();
export type EvalResult = z.infer<typeof EvalResult>;
