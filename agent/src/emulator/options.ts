/** Options of one emulator process (library and CLI), validated at the edge with clear messages. */
import { z } from "zod";
import { FaultSpec } from "./faults.js";
import { EmulatorConfigError } from "./model-spec.js";
import type { PerfConstants } from "./perf-model.js";

export const Role = z.enum(["both", "prefill", "decode", "router"]);
export type Role = z.infer<typeof Role>;

export const EmulatorOptionsSchema = z
  .object({
    host: z.string().default("127.0.0.1"),
    /** 0 = any free port */
    port: z.number().int().min(0).max(65535).default(0),
    role: Role.default("both"),
    sku: z.string().default("h200"),
    model: z.string().default("llama3-8b"),
    precision: z.string().default("bf16"),
    tp: z.number().int().positive().default(1),
    ep: z.number().int().positive().default(1),
    /** pipeline stages: the worker's GPUs are tp × pp */
    pp: z.number().int().positive().default(1),
    /** GPUs of an expert-parallel group spanning other engine processes too (default: this engine's tp) */
    epGroup: z.number().int().positive().optional(),
    dpAttn: z.boolean().default(false),
    spec: z.enum(["mtp", "none"]).default("none"),
    /** name in /v1/models and responses (requests may name any model) */
    servedModelName: z.string().optional(),
    /** wall time = emulated time × timeScale */
    timeScale: z.number().positive().max(1000).default(1),
    maxRunning: z.number().int().positive().optional(),
    maxBatchTokens: z.number().int().positive().optional(),
    seed: z.number().int().default(0),
    /** fixed-delay mode (bypasses the model; wall-clock ms; no batching limit) */
    fixedDelay: z
      .object({
        ttftMs: z.number().nonnegative(),
        itlMs: z.number().nonnegative(),
        tokensPerChunk: z.number().int().positive().default(1),
      })
      .strict()
      .optional(),
    accuracy: z.number().min(0).max(1).default(0.95),
    faults: z.array(FaultSpec).default([]),
    /** router role: worker base URLs */
    prefill: z.array(z.string().url()).default([]),
    decode: z.array(z.string().url()).default([]),
    /** router role in front of aggregated workers (a Dynamo frontend): their base URLs */
    worker: z.array(z.string().url()).default([]),
    healthIntervalMs: z.number().int().positive().default(1000),
    /** prefix caching of prompt blocks (prefix-cache.ts); model mode only */
    prefixCache: z.boolean().default(false),
    /** tokens per prefix-cache block */
    prefixBlockTokens: z.number().int().positive().default(16),
    /** the GPU tier's size in tokens (default: the KV capacity) */
    cacheTokens: z.number().int().positive().optional(),
    /** host-DRAM KV offload tier, GB (0: none) */
    dramOffloadGb: z.number().nonnegative().default(0),
    /** host-DRAM KV offload tier as a multiple of the GPU tier (SGLang's --hicache-ratio; 0: none) */
    dramOffloadRatio: z.number().nonnegative().default(0),
    /**
     * the model's tokenizer directory (tokenizer.json, tokenizer_config.json): text prompts are
     * counted with it and chat prompts through its chat template, as a real engine counts them;
     * absent: one token per word
     */
    tokenizer: z.string().min(1).optional(),
    /** the /metrics names: vLLM's or SGLang's */
    metricNames: z.enum(["vllm", "sglang"]).default("vllm"),
  })
  .strict()
  .superRefine((o, ctx) => {
    const pd = o.prefill.length > 0 || o.decode.length > 0;
    if (o.role === "router" && o.worker.length === 0 && (o.prefill.length === 0 || o.decode.length === 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["prefill"],
        message: "the router role needs at least one --prefill URL and one --decode URL, or --worker URLs",
      });
    }
    if (o.worker.length > 0 && (o.role !== "router" || pd)) {
      ctx.addIssue({
        code: "custom",
        path: ["worker"],
        message: "--worker URLs are for --role router without --prefill/--decode",
      });
    }
    if (o.role !== "router" && pd) {
      ctx.addIssue({
        code: "custom",
        path: ["prefill"],
        message: "--prefill/--decode URLs are for --role router only",
      });
    }
    if (o.dramOffloadGb > 0 && o.dramOffloadRatio > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["dramOffloadRatio"],
        message: "give the host-DRAM tier as --dram-offload-gb or --dram-offload-ratio, not both",
      });
    }
    if (o.fixedDelay && o.role !== "both") {
      ctx.addIssue({
        code: "custom",
        path: ["fixedDelay"],
        message: "fixed-delay mode (--ttft-ms/--itl-ms) runs with --role both only",
      });
    }
  });
export type EmulatorOptionsInput = z.input<typeof EmulatorOptionsSchema>;
export type EmulatorOptions = z.output<typeof EmulatorOptionsSchema>;

/** Options that are code, not data. */
export interface EmulatorHooks {
  /** called on a crash fault instead of closing the server abruptly (the CLI exits the process) */
  onCrash?: () => void;
  /** overrides of the performance model's constants */
  constants?: Partial<PerfConstants>;
  /** a line of log (default: none) */
  log?: (line: string) => void;
}

export function parseEmulatorOptions(input: EmulatorOptionsInput): EmulatorOptions {
  const res = EmulatorOptionsSchema.safeParse(input);
  if (!res.success) {
    const msgs = res.error.issues.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`);
    throw new EmulatorConfigError(`invalid emulator options: ${msgs.join("; ")}`);
  }
  return res.data;
}
