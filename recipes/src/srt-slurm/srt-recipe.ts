/**
 * srt-slurm's recipe format (NVIDIA/srt-slurm `src/srtctl/core/schema.py` SrtConfig and the
 * backends' protocols in `src/srtctl/backends/`), as far as benchfleet honours it. Every object is
 * strict: a key benchfleet does not know is an error at its file:line:col, never dropped. Fields
 * that are known but cannot be honoured are refused by `refusedFields` (read-srt-recipe.ts).
 */
import { z } from "zod";

/** srtctl's DynamoConfig.version default */
export const DEFAULT_DYNAMO_VERSION = "0.8.0";

const Env = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
/** one role's engine config: flag name → value, rendered by srtctl's `_config_to_cli_args` */
const EngineConfig = z.record(z.string(), z.unknown());
/** YAML reads `0.8` as a number; srtctl's marshmallow field keeps the text */
const VersionText = z.union([z.string(), z.number()]).transform(String);

const PerMode = z
  .object({ prefill: EngineConfig.nullish(), decode: EngineConfig.nullish(), aggregated: EngineConfig.nullish() })
  .strict();

const RoleEnvironments = {
  prefill_environment: Env.default({}),
  decode_environment: Env.default({}),
  aggregated_environment: Env.default({}),
};

const KvEvents = z.union([z.boolean(), z.record(z.string(), z.unknown())]).nullish();

/** backends/vllm.py VLLMMooncakeKVStoreConfig (srt-mooncake-store.ts launches it) */
const MooncakeKvStore = z
  .object({
    container: z.string().nullish(),
    env: Env.default({}),
    master_extra_args: z.array(z.string()).default([]),
    /** vLLM's MooncakeStoreConfig JSON keys, passed through as written */
    store_config: z.record(z.string(), z.unknown()).nullish(),
  })
  .strict();

export const SglangBackend = z
  .object({
    type: z.literal("sglang"),
    gpu_type: z.string().nullish(),
    ...RoleEnvironments,
    sglang_config: PerMode.nullish(),
    kv_events_config: KvEvents,
    mooncake_kv_store: MooncakeKvStore.nullish(),
  })
  .strict();

export const VllmBackend = z
  .object({
    type: z.literal("vllm"),
    ...RoleEnvironments,
    vllm_config: PerMode.nullish(),
    set_cuda_visible_devices: z.boolean().default(false),
    connector: z.string().nullable().default("nixl"),
    mooncake_kv_store: MooncakeKvStore.nullish(),
    kv_events_config: KvEvents,
    allow_prefill_decode_colocation: z.boolean().default(false),
    allow_prefill_decode_colocation_across_nodes: z.boolean().default(false),
    dp_launch_mode: z.enum(["per_gpu", "per_node"]).default("per_node"),
  })
  .strict();

export const TrtllmBackend = z
  .object({
    type: z.literal("trtllm"),
    ...RoleEnvironments,
    trtllm_config: PerMode.nullish(),
    publish_events_and_metrics: z.boolean().default(false),
    sequential_node_start: z.number().int().nonnegative().default(0),
    numa_memory_bind: z.boolean().nullish(),
  })
  .strict();

/** srtctl's BackendConfigField: `type` picks the protocol, SGLang when absent */
export const SrtBackend = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("type" in v) ? { ...v, type: "sglang" } : v),
  z.discriminatedUnion("type", [SglangBackend, VllmBackend, TrtllmBackend]),
);
export type SrtBackend = z.infer<typeof SrtBackend>;

export const SrtRecipe = z
  .object({
    name: z.string(),
    model: z
      .object({ path: z.string(), container: z.string(), precision: z.string(), stage_dir: z.string().nullish() })
      .strict(),
    /** provenance only (model repo/revision, container image, framework versions) */
    identity: z
      .object({
        model: z.record(z.string(), z.unknown()).optional(),
        container: z.record(z.string(), z.unknown()).optional(),
        frameworks: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .optional(),
    resources: z
      .object({
        gpu_type: z.string(),
        gpus_per_node: z.number().int().positive().default(4),
        prefill_nodes: z.number().int().nonnegative().nullish(),
        decode_nodes: z.number().int().nonnegative().nullish(),
        prefill_workers: z.number().int().nonnegative().nullish(),
        decode_workers: z.number().int().nonnegative().nullish(),
        agg_nodes: z.number().int().nonnegative().nullish(),
        agg_workers: z.number().int().nonnegative().nullish(),
        gpus_per_prefill: z.number().int().positive().nullish(),
        gpus_per_decode: z.number().int().positive().nullish(),
        gpus_per_agg: z.number().int().positive().nullish(),
        spread_workers: z.boolean().default(false),
        het_jobs: z.boolean().nullish(),
      })
      .strict(),
    slurm: z
      .object({ account: z.string().nullish(), partition: z.string().nullish(), time_limit: z.string().nullish() })
      .strict()
      .default({}),
    backend: SrtBackend.default({
      type: "sglang",
      prefill_environment: {},
      decode_environment: {},
      aggregated_environment: {},
    }),
    frontend: z
      .object({
        type: z.enum(["dynamo", "sglang", "vllm"]).default("dynamo"),
        enable_multiple_frontends: z.boolean().default(true),
        num_additional_frontends: z.number().int().nonnegative().default(9),
        nginx_container: z.string().default("nginx:1.27.4"),
        nginx_raise_ulimit: z.boolean().default(false),
        nginx_session_affinity: z.boolean().default(false),
        nginx_session_affinity_header: z.string().default("X-Dynamo-Session-ID"),
        nginx_keepalive_timeout: z.string().default("600s"),
        args: z.record(z.string(), z.unknown()).nullish(),
        env: Env.nullish(),
        orchestrator_placement: z.enum(["head", "first_decode", "last_decode"]).default("head"),
        dedicated_node: z.boolean().default(false),
      })
      .strict()
      .default({
        type: "dynamo",
        enable_multiple_frontends: true,
        num_additional_frontends: 9,
        nginx_container: "nginx:1.27.4",
        nginx_raise_ulimit: false,
        nginx_session_affinity: false,
        nginx_session_affinity_header: "X-Dynamo-Session-ID",
        nginx_keepalive_timeout: "600s",
        orchestrator_placement: "head",
        dedicated_node: false,
      }),
    dynamo: z
      .object({
        install: z.boolean().default(true),
        version: VersionText.nullish(),
        hash: z.string().nullish(),
        top_of_tree: z.boolean().default(false),
        wheel: VersionText.nullish(),
        request_plane: z.enum(["tcp", "nats", "http"]).default("tcp"),
        event_plane: z.string().nullish(),
        cargo_patches: z.array(z.string()).nullish(),
      })
      .strict()
      .default({ install: true, top_of_tree: false, request_plane: "tcp" })
      // DynamoConfig: version defaults to 0.8.0 unless another install source is named
      .transform((d) =>
        d.version === undefined && !d.hash && !d.top_of_tree && !d.wheel
          ? { ...d, version: DEFAULT_DYNAMO_VERSION }
          : d,
      ),
    benchmark: z
      .object({
        type: z.string().default("manual"),
        isl: z.number().int().positive().nullish(),
        osl: z.number().int().positive().nullish(),
        /** `list[int] | str` ("4x8x16"); marshmallow's Int takes numeric strings in the list */
        concurrencies: z
          .union([
            z.array(z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)])),
            z.string(),
            z.number(),
          ])
          .nullish(),
        req_rate: z.union([z.string(), z.number()]).default("inf"),
        /** the warm-up's request rate (srt-slurm sa-submission-q2-2026; sa-bench's default 250) */
        warmup_req_rate: z.union([z.string(), z.number()]).nullish(),
        /** sa-bench's shared keep-alive pool (srt-slurm main); false: a new session per request */
        reuse_http_connections: z.boolean().nullish(),
        use_chat_template: z.boolean().default(true),
        custom_tokenizer: z.string().nullish(),
        tokenizer_mode: z.string().nullish(),
        num_prompts_mult: z.number().int().positive().nullish(),
        num_warmup_mult: z.number().int().nonnegative().nullish(),
        random_range_ratio: z.number().nullish(),
        client_placement: z.string().default("head"),
        command: z.string().nullish(),
        env: Env.default({}),
        aiperf_server_metrics: z.unknown().optional(),
      })
      .strict()
      .default({ type: "manual", req_rate: "inf", use_chat_template: true, client_placement: "head", env: {} }),
    profiling: z
      .object({ type: z.string().default("none") })
      .strict()
      .default({ type: "none" }),
    health_check: z
      .object({
        max_attempts: z.number().int().positive().default(180),
        interval_seconds: z.number().int().positive().default(10),
      })
      .strict()
      .default({ max_attempts: 180, interval_seconds: 10 }),
    infra: z
      .object({
        etcd_nats_dedicated_node: z.boolean().default(false),
        nats_max_payload_mb: z.number().int().positive().nullish(),
      })
      .strict()
      .default({ etcd_nats_dedicated_node: false }),
    /** power telemetry: benchfleet samples GPU power itself on every node */
    telemetry: z.record(z.string(), z.unknown()).optional(),
    environment: Env.default({}),
    container_mounts: z.record(z.string(), z.string()).nullish(),
    extra_mount: z.array(z.string()).nullish(),
    /** Slurm submission knobs (memory, CPUs, container root remap): the launcher's business */
    srun_options: Env.default({}),
    sbatch_directives: Env.default({}),
    enable_config_dump: z.boolean().default(true),
    setup_script: z.string().nullish(),
  })
  .strict();
export type SrtRecipe = z.infer<typeof SrtRecipe>;
