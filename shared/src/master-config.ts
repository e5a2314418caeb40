/**
 * The reference lab's master-config format (InferenceX `configs/*-master.yaml`), read as is:
 * unknown keys are rejected as the reference's pydantic `extra='forbid'` does. benchfleet-only
 * settings live under one optional `benchfleet:` block per entry so files stay compatible.
 */

import { z } from "zod";
import { CustomServer, customServerRule } from "./custom-server.js";
import { SkuName } from "./skus.js";

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
    ctx.addIssue({
      code: "custom",
      message: "give either conc-start/conc-end or conc-list, not both",
      path: ["conc-list"],
    });
  } else if (!hasRange && !hasList) {
    ctx.addIssue({
      code: "custom",
      message: "missing concurrency: expected conc-start and conc-end, or conc-list",
      path: [],
    });
  } else if (hasRange) {
    if (v["conc-start"] === undefined)
      ctx.addIssue({ code: "custom", message: "conc-end given without conc-start", path: ["conc-end"] });
    else if (v["conc-end"] === undefined)
      ctx.addIssue({ code: "custom", message: "conc-start given without conc-end", path: ["conc-start"] });
    else if (v["conc-start"] > v["conc-end"])
      ctx.addIssue({
        code: "custom",
        message: `conc-start (${v["conc-start"]}) is greater than conc-end (${v["conc-end"]})`,
        path: ["conc-start"],
      });
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
    /** agentic-coding: measured seconds of trace replay per point (default 3600, the reference's) */
    "agentic-duration": posInt.optional(),
    /** prompts per point as a multiple of concurrency (default 10, the reference lab's) */
    "prompts-per-conc": posInt.optional(),
    /**
     * prompt construction of the points: "lab" (the lab's random prompts from the model's tokenizer;
     * the default where the agent finds it) or "token-ids" (ids of the drawn length, no tokenizer)
     */
    prompts: z.enum(["lab", "token-ids"]).optional(),
    /** runs of each load point (default 1); results keep the spread over the runs */
    repeats: z.number().int().min(1).max(20).optional(),
    /** framework custom: how to start the server (custom-server.ts) */
    server: CustomServer.optional(),
    /**
     * run the lab's own benchmark script for the row's key instead of benchfleet's recipe (script
     * mode); default: only when no recipe launches the framework; false: never
     */
    script: z.boolean().optional(),
  })
  .strict();
export type BenchfleetBlock = z.infer<typeof BenchfleetBlock>;

/** `{name, version}` of a runtime component (router); version must not be an image reference. */
export const ComponentMetadata = z
  .object({
    name: z.string().min(1),
    version: z
      .string()
      .min(1)
      .refine(
        (v) => !v.startsWith("image:"),
        "component version must be a release, package version or commit, not an image reference",
      ),
  })
  .strict();

const KvOffloadBackend = z.object({ name: z.string().min(1), version: z.string().min(1).optional() }).strict();

/** tp must be divisible by dcp-size (the reference's topology rule) */
function tpContextRule(v: { tp?: number; "dcp-size"?: number }, ctx: z.RefinementCtx) {
  const dcp = v["dcp-size"] ?? 1;
  if (v.tp !== undefined && v.tp % dcp !== 0) {
    ctx.addIssue({
      code: "custom",
      message: `tp (${v.tp}) must be divisible by dcp-size (${dcp})`,
      path: ["dcp-size"],
    });
  }
}

const concFields = {
  "conc-start": posInt.optional(),
  "conc-end": posInt.optional(),
  "conc-list": z.array(posInt).min(1).optional(),
};

export const SingleNodeSearchEntry = z
  .object({
    tp: posInt,
    ep: posInt.optional(),
    pp: posInt.optional(),
    "dp-attn": z.boolean().optional(),
    "dcp-size": posInt.optional(),
    "pcp-size": posInt.optional(),
    "spec-decoding": specDecoding.optional(),
    router: ComponentMetadata.optional(),
    ...concFields,
  })
  .strict()
  .superRefine(concurrencyRule)
  .superRefine(tpContextRule);
export type SingleNodeSearchEntry = z.infer<typeof SingleNodeSearchEntry>;

export const WorkerPool = z
  .object({
    /** 0 is allowed: an aggregated multi-node deployment has no decode pool */
    "num-worker": nonNegInt,
    tp: posInt,
    ep: posInt,
    "dp-attn": z.boolean(),
    pp: posInt.optional(),
    "dcp-size": posInt.optional(),
    "pcp-size": posInt.optional(),
    hardware: z.string().min(1).optional(),
    "additional-settings": z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*=.*$/, "expected KEY=VALUE")).optional(),
  })
  .strict()
  .superRefine(tpContextRule);
export type WorkerPool = z.infer<typeof WorkerPool>;

function hardwarePairRule(
  v: { prefill?: { hardware?: string }; decode?: { hardware?: string } },
  ctx: z.RefinementCtx,
) {
  if (v.prefill && v.decode && Boolean(v.prefill.hardware) !== Boolean(v.decode.hardware)) {
    ctx.addIssue({
      code: "custom",
      message: "hardware must be given for both prefill and decode, or neither",
      path: ["prefill", "hardware"],
    });
  }
}

export const MultiNodeSearchEntry = z
  .object({
    "spec-decoding": specDecoding.optional(),
    prefill: WorkerPool,
    decode: WorkerPool,
    router: ComponentMetadata.optional(),
    "kv-p2p-transfer": z.string().min(1).optional(),
    ...concFields,
  })
  .strict()
  .superRefine(concurrencyRule)
  .superRefine(hardwarePairRule)
  .superRefine((v, ctx) => {
    if (v.prefill["num-worker"] === 0)
      ctx.addIssue({ code: "custom", message: "prefill needs at least one worker", path: ["prefill", "num-worker"] });
  });
export type MultiNodeSearchEntry = z.infer<typeof MultiNodeSearchEntry>;

export const AgenticSearchEntry = z
  .object({
    tp: posInt.optional(),
    ep: posInt.optional(),
    pp: posInt.optional(),
    "dp-attn": z.boolean().optional(),
    "dcp-size": posInt.optional(),
    "pcp-size": posInt.optional(),
    "spec-decoding": specDecoding.optional(),
    prefill: WorkerPool.optional(),
    decode: WorkerPool.optional(),
    "kv-offloading": z.enum(["none", "dram"]).optional(),
    "kv-offload-backend": KvOffloadBackend.optional(),
    router: ComponentMetadata.optional(),
    "kv-p2p-transfer": z.string().min(1).optional(),
    ...concFields,
  })
  .strict()
  .superRefine(concurrencyRule)
  .superRefine((v, ctx) => {
    const single = v.tp !== undefined;
    const multi = v.prefill !== undefined || v.decode !== undefined;
    if (single ? multi : !(v.prefill && v.decode)) {
      ctx.addIssue({
        code: "custom",
        message: "agentic search-space entries must give either tp or both prefill and decode",
        path: [],
      });
    }
    if (single && v["kv-offloading"] === undefined) {
      ctx.addIssue({ code: "custom", message: "single-node agentic entries must give kv-offloading", path: [] });
    }
    const backend = v["kv-offload-backend"];
    if (backend && (v["kv-offloading"] ?? "none") === "none") {
      ctx.addIssue({
        code: "custom",
        message: "kv-offload-backend needs kv-offloading other than none",
        path: ["kv-offload-backend"],
      });
    }
    if (!backend && v["kv-offloading"] === "dram") {
      ctx.addIssue({
        code: "custom",
        message: "kv-offload-backend is required when kv-offloading is dram",
        path: ["kv-offloading"],
      });
    }
  });

const FixedSeqLen = <S extends z.ZodType>(entry: S) =>
  z
    .object({
      isl: posInt,
      osl: posInt,
      "search-space": z.array(entry).min(1),
    })
    .strict();

export const AgenticScenario = z
  .object({
    "search-space": z.array(AgenticSearchEntry).min(1),
    "dram-utilization": z.number().gt(0).lte(1).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const row = v["search-space"].findIndex((e) => e["kv-offloading"] === "dram");
    if (row >= 0 && v["dram-utilization"] === undefined)
      ctx.addIssue({
        code: "custom",
        message:
          "kv-offloading: dram needs the scenario's dram-utilization (with the runner's hardware in runners.yaml)",
        path: ["search-space", row, "kv-offloading"],
      });
  });

const entryBase = {
  image: z.string().min(1),
  model: z.string().min(1),
  "model-prefix": z.string().min(1),
  runner: z.string().min(1),
  precision: z.string().min(1),
  framework: z.string().min(1),
  router: ComponentMetadata.optional(),
  benchfleet: BenchfleetBlock.optional(),
};

function scenariosOf<S extends z.ZodType>(entry: S) {
  return z
    .object({
      "fixed-seq-len": z.array(FixedSeqLen(entry)).optional(),
      "agentic-coding": z.array(AgenticScenario).optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (!v["fixed-seq-len"]?.length && !v["agentic-coding"]?.length) {
        ctx.addIssue({
          code: "custom",
          message: "at least one scenario (fixed-seq-len or agentic-coding) is required",
          path: [],
        });
      }
    });
}

export const SingleNodeEntry = z
  .object({
    ...entryBase,
    multinode: z.literal(false),
    disagg: z.literal(false).optional(),
    scenarios: scenariosOf(SingleNodeSearchEntry),
  })
  .strict();

export const MultiNodeEntry = z
  .object({
    ...entryBase,
    multinode: z.literal(true),
    disagg: z.boolean().optional(),
    "kv-p2p-transfer": z.string().min(1).optional(),
    scenarios: scenariosOf(MultiNodeSearchEntry),
  })
  .strict();

type AnyEntry = z.infer<typeof SingleNodeEntry> | z.infer<typeof MultiNodeEntry>;

/**
 * router / kv-p2p-transfer at the top level or in search-space entries, never both (the reference's
 * rule); a disaggregated entry names its transfer unless `transferRequired` is off (files that
 * predate the field).
 */
const componentScopeRule = (transferRequired: boolean) => (v: AnyEntry, ctx: z.RefinementCtx) => {
  const entries: Array<{ path: (string | number)[]; e: Record<string, unknown> }> = [];
  (v.scenarios["fixed-seq-len"] ?? []).forEach((sc, i) =>
    sc["search-space"].forEach((e, j) =>
      entries.push({ path: ["scenarios", "fixed-seq-len", i, "search-space", j], e: e as Record<string, unknown> }),
    ),
  );
  (v.scenarios["agentic-coding"] ?? []).forEach((sc, i) =>
    sc["search-space"].forEach((e, j) =>
      entries.push({ path: ["scenarios", "agentic-coding", i, "search-space", j], e: e as Record<string, unknown> }),
    ),
  );
  const top = v as Record<string, unknown>;
  for (const field of ["router", "kv-p2p-transfer"]) {
    const inner = entries.find(({ e }) => e[field] !== undefined);
    if (top[field] !== undefined && inner) {
      ctx.addIssue({
        code: "custom",
        message: `${field} must be declared either at the top level or in search-space entries, not both`,
        path: [...inner.path, field],
      });
    }
  }
  if (!v.multinode) {
    const inner = entries.find(({ e }) => e["kv-p2p-transfer"] !== undefined);
    if (inner)
      ctx.addIssue({
        code: "custom",
        message: "kv-p2p-transfer is only valid when multinode is true",
        path: [...inner.path, "kv-p2p-transfer"],
      });
  }
  if (transferRequired && v.disagg && top["kv-p2p-transfer"] === undefined) {
    const missing = entries.find(({ e }) => e["kv-p2p-transfer"] === undefined);
    if (!entries.length || missing) {
      ctx.addIssue({
        code: "custom",
        message: "disagg: true requires kv-p2p-transfer at the top level or in every search-space entry",
        path: ["disagg"],
      });
    }
  }
  if (v.scenarios["agentic-coding"]?.length && !v.runner.startsWith("cluster:")) {
    ctx.addIssue({
      code: "custom",
      message: "agentic configs must use a 'cluster:<name>' runner label",
      path: ["runner"],
    });
  }
};

const masterConfigEntry = (transferRequired: boolean) =>
  z
    .discriminatedUnion("multinode", [SingleNodeEntry, MultiNodeEntry], {
      error: (iss) => (iss.code === "invalid_union" ? "multinode is required: true or false" : undefined),
    })
    .superRefine(componentScopeRule(transferRequired))
    .superRefine(customServerRule);

export const MasterConfigEntry = masterConfigEntry(true);
export type MasterConfigEntry = z.infer<typeof MasterConfigEntry>;
/**
 * An entry of master configs that predate `kv-p2p-transfer` (no entry of theirs names it; the
 * reference added the field and backfilled every disaggregated entry at once, PR 2096): a
 * disaggregated entry without it launches with its recipe's default transfer.
 */
export const PreTransferMasterConfigEntry = masterConfigEntry(false);
export type SingleNodeEntry = z.infer<typeof SingleNodeEntry>;
export type MultiNodeEntry = z.infer<typeof MultiNodeEntry>;

/** runners.yaml of the reference lab: labels → runner names, plus per-label hardware facts. */
const RunnersFileNow = z
  .object({
    labels: z.record(z.string(), z.array(z.string()).min(1, "a runner label needs at least one runner")),
    hardware: z
      .record(
        z.string(),
        z
          .object({
            "gpus-per-node": posInt,
            /** the reference writes YAML-1.1 digit groups (`2_063_837`), a string under YAML 1.2 */
            "available-cpu-dram-mib": z.union([
              posInt,
              z
                .string()
                .regex(/^[0-9][0-9_]*$/, "expected a number")
                .transform((v) => Number(v.replaceAll("_", ""))),
            ]),
            /** benchfleet addition: the SKU of this label when its name does not say */
            sku: SkuName.optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
/**
 * Older lab commits write runners.yaml flat (label → runner names, no `labels:`/`hardware:`); that
 * form is read as `labels`.
 */
export const RunnersFile = z.preprocess(
  (v) =>
    v && typeof v === "object" && !Array.isArray(v) && !("labels" in v) && !("hardware" in v) ? { labels: v } : v,
  RunnersFileNow,
);
export type RunnersFile = z.infer<typeof RunnersFile>;
