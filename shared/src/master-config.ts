/**
 * The reference lab's master-config format (InferenceX `configs/*-master.yaml`), read as is:
 * unknown keys are rejected as the reference's pydantic `extra='forbid'` does. benchfleet-only
 * settings live under one optional `benchfleet:` block per entry so files stay compatible.
 */
import { z } from "zod";

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const specDecoding = z.enum(["mtp", "draft_model", "none"]);

/** `conc-start/conc-end` (doubling, inclusive) or `conc-list`, never both. */
function concurrencyRule<T extends { "conc-start"?: number; "conc-end"?: number; "conc-list"?: number[] }>(
  v: T,
  ctx: z.RefinementCtx,
) {
  const hasRange = v["conc-start"] !== undefined || v["conc-end"] !== undefined;
  const hasList = v["conc-list"] !== undefined;
  if (hasRange && hasList) {
    ctx.addIssue({ code: "custom", message: "give either conc-start/conc-end or conc-list, not both", path: ["conc-list"] });
  } else if (!hasRange && !hasList) {
    ctx.addIssue({ code: "custom", message: "missing concurrency: expected conc-start and conc-end, or conc-list", path: [] });
  } else if (hasRange) {
    if (v["conc-start"] === undefined) ctx.addIssue({ code: "custom", message: "conc-end given without conc-start", path: ["conc-end"] });
    else if (v["conc-end"] === undefined) ctx.addIssue({ code: "custom", message: "conc-start given without conc-end", path: ["conc-start"] });
    else if (v["conc-start"] > v["conc-end"])
      ctx.addIssue({ code: "custom", message: `conc-start (${v["conc-start"]}) is greater than conc-end (${v["conc-end"]})`, path: ["conc-start"] });
  }
}

export const BenchfleetTimeouts = z
  .object({
    pull: posInt.optional(),
    launch: posInt.optional(),
    ready: posInt.optional(),
    warmup: posInt.optional(),
    load: posInt.optional(),
    eval: posInt.optional(),
    teardown: posInt.optional(),
  })
  .strict()
  .describe("per-phase timeouts in seconds");
export type BenchfleetTimeouts = z.infer<typeof BenchfleetTimeouts>;

export const BenchfleetBlock = z
  .object({
    /** lower runs first (BullMQ convention); default 100 */
    priority: z.number().int().min(1).max(2_000_000).optional(),
    timeouts: BenchfleetTimeouts.optional(),
    /** run the GSM8K gate on this deployment (default true) */
    eval: z.boolean().optional(),
    /** limit GSM8K questions (default: the whole test split) */
    "eval-limit": posInt.optional(),
    /** recipe overrides: engine flag → value (null removes a flag) */
    recipe: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    /** one server launch per load point instead of one per deployment */
    "launch-per-point": z.boolean().optional(),
    /** prompts per point as a multiple of concurrency (default 10, the reference lab's) */
    "prompts-per-conc": posInt.optional(),
  })
  .strict();
export type BenchfleetBlock = z.infer<typeof BenchfleetBlock>;

export const SingleNodeSearchEntry = z
  .object({
    tp: posInt,
    ep: posInt.optional(),
    pp: posInt.optional(),
    "dp-attn": z.boolean().optional(),
    "dcp-size": posInt.optional(),
    "pcp-size": posInt.optional(),
    "spec-decoding": specDecoding.optional(),
    "conc-start": posInt.optional(),
    "conc-end": posInt.optional(),
    "conc-list": z.array(posInt).min(1).optional(),
    "kv-offloading": z.enum(["none", "dram"]).optional(),
    "kv-offload-backend": z.string().optional(),
  })
  .strict()
  .superRefine(concurrencyRule);
export type SingleNodeSearchEntry = z.infer<typeof SingleNodeSearchEntry>;

export const WorkerPool = z
  .object({
    "num-worker": posInt,
    tp: posInt,
    ep: posInt.optional(),
    "dp-attn": z.boolean().optional(),
    pp: posInt.optional(),
    "dcp-size": posInt.optional(),
    "pcp-size": posInt.optional(),
    hardware: z.string().optional(),
    "additional-settings": z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*=.*$/, "expected KEY=VALUE")).optional(),
  })
  .strict();
export type WorkerPool = z.infer<typeof WorkerPool>;

export const MultiNodeSearchEntry = z
  .object({
    "spec-decoding": specDecoding.optional(),
    "conc-list": z.array(posInt).min(1),
    prefill: WorkerPool,
    decode: WorkerPool,
  })
  .strict();
export type MultiNodeSearchEntry = z.infer<typeof MultiNodeSearchEntry>;

const FixedSeqLen = <S extends z.ZodType>(entry: S) =>
  z
    .object({
      isl: posInt,
      osl: posInt,
      "search-space": z.array(entry).min(1),
    })
    .strict();

const AgenticScenario = z
  .object({
    "search-space": z.array(z.record(z.string(), z.unknown())).min(1),
    "dram-utilization": z.number().nonnegative().optional(),
  })
  .strict();

const entryBase = {
  image: z.string().min(1),
  model: z.string().min(1),
  "model-prefix": z.string().min(1),
  runner: z.string().min(1),
  precision: z.string().min(1),
  framework: z.string().min(1),
  disagg: z.boolean().optional(),
  router: z.object({ name: z.string().min(1), version: z.string().optional() }).strict().optional(),
  "kv-p2p-transfer": z.string().min(1).optional(),
  benchfleet: BenchfleetBlock.optional(),
};

export const SingleNodeEntry = z
  .object({
    ...entryBase,
    multinode: z.literal(false),
    scenarios: z
      .object({
        "fixed-seq-len": z.array(FixedSeqLen(SingleNodeSearchEntry)).optional(),
        "agentic-coding": z.union([AgenticScenario, z.array(AgenticScenario)]).optional(),
      })
      .strict(),
  })
  .strict();

export const MultiNodeEntry = z
  .object({
    ...entryBase,
    multinode: z.literal(true),
    scenarios: z
      .object({
        "fixed-seq-len": z.array(FixedSeqLen(MultiNodeSearchEntry)).optional(),
        "agentic-coding": z.union([AgenticScenario, z.array(AgenticScenario)]).optional(),
      })
      .strict(),
  })
  .strict();

export const MasterConfigEntry = z
  .discriminatedUnion("multinode", [SingleNodeEntry, MultiNodeEntry])
  .superRefine((v, ctx) => {
    if (v.disagg && !v["kv-p2p-transfer"]) {
      ctx.addIssue({ code: "custom", message: "kv-p2p-transfer is required when disagg is true", path: ["disagg"] });
    }
  });
export type MasterConfigEntry = z.infer<typeof MasterConfigEntry>;
export type SingleNodeEntry = z.infer<typeof SingleNodeEntry>;
export type MultiNodeEntry = z.infer<typeof MultiNodeEntry>;

export const MasterConfigFile = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "config key may hold letters, digits, . _ -"), MasterConfigEntry);
export type MasterConfigFile = z.infer<typeof MasterConfigFile>;

/** runners.yaml of the reference lab: labels → runner names, plus per-label hardware facts. */
export const RunnersFile = z
  .object({
    labels: z.record(z.string(), z.array(z.string())).optional(),
    hardware: z
      .record(
        z.string(),
        z
          .object({
            "gpus-per-node": posInt.optional(),
            "available-cpu-dram-mib": nonNegInt.optional(),
            sku: z.string().optional(),
          })
          .passthrough(),
      )
      .optional(),
  })
  .strict();
export type RunnersFile = z.infer<typeof RunnersFile>;
