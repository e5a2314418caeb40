/**
 * A deployment: one server configuration on a set of nodes, with all the load points it serves.
 * Identity = fingerprint: sha256 of the canonical spec minus load points, config keys and
 * scheduling settings (priority, timeouts), so identical rows from several entries merge.
 */

import { z } from "zod";
import { AgenticClient } from "./agentic-client.js";
import { CustomServer } from "./custom-server.js";
import { SkuName } from "./skus.js";

export const LoadPoint = z
  .object({
    concurrency: z.number().int().positive(),
    /** 0 for an agentic point: the trace sets every request's input and output */
    isl: z.number().int().nonnegative(),
    osl: z.number().int().nonnegative(),
    /** agentic points: the measured duration in seconds (trace replay runs for a fixed time) */
    durationS: z.number().int().positive().optional(),
    /** agentic points: the lab client's settings the script or recipe sets (agentic-client.ts); absent: its defaults */
    agenticClient: AgenticClient.optional(),
    /** requests/s of the measured prompts (Poisson arrivals under the concurrency cap); absent: unlimited */
    requestRate: z.number().positive().optional(),
    /**
     * prompts go through the model's chat template, as the lab's `--use-chat-template`: rendered by
     * the client with lab prompts, else sent to the chat endpoint for the server to apply
     */
    useChatTemplate: z.boolean().optional(),
    /** with useChatTemplate: DeepSeek-V4's encoding instead of the tokenizer's template (the lab's `--dsv4`) */
    chatEncoding: z.literal("dsv4").optional(),
    /**
     * the lab's client backend where it is not its default: `openai-chat` sends each prompt as the
     * user message of /v1/chat/completions and the server applies its chat template
     */
    clientBackend: z.literal("openai-chat").optional(),
    /**
     * prompt construction: "lab", the reference lab's (random ids decoded to text and re-encoded to
     * the exact length with the model's tokenizer); "token-ids", ids of the drawn length without a
     * tokenizer. Absent: lab prompts where the agent finds the model's tokenizer, else token ids.
     */
    prompts: z.enum(["lab", "token-ids"]).optional(),
    /** drawn lengths lie in [ratio × isl, isl] and [ratio × osl, osl]; absent: the load generator's 0.8 */
    rangeRatio: z.number().min(0).max(1).optional(),
    /** warm-up requests per unit of concurrency; absent: the load generator's 2 */
    warmupsPerConc: z.number().int().nonnegative().optional(),
    /** requests/s of the warm-ups (Poisson arrivals under the concurrency cap), as sa-bench's warm-up run; absent: unpaced */
    warmupRequestRate: z.number().positive().optional(),
    /** every request on a new HTTP connection, as sa-bench's per-request session; absent: keep-alive connections per slot */
    freshConnections: z.boolean().optional(),
    /** measured prompts at least (concurrency × promptsPerConc raised to it); absent: no floor */
    minPrompts: z.number().int().positive().optional(),
  })
  .strict();
export type LoadPoint = z.infer<typeof LoadPoint>;

export const PoolSpec = z
  .object({
    /** 0 for the decode pool of an aggregated multi-node deployment */
    numWorker: z.number().int().nonnegative(),
    tp: z.number().int().positive(),
    ep: z.number().int().positive(),
    pp: z.number().int().positive(),
    dpAttn: z.boolean(),
    dcpSize: z.number().int().positive(),
    pcpSize: z.number().int().positive(),
    hardware: z.string().optional(),
    additionalSettings: z.array(z.string()),
    /** GPUs of one worker: tp*pp*pcp */
    gpusPerWorker: z.number().int().positive(),
    /** GPUs of the pool: numWorker*gpusPerWorker */
    gpus: z.number().int().nonnegative(),
    /** nodes of the pool: ceil(gpus / gpusPerNode) */
    nodes: z.number().int().nonnegative(),
  })
  .strict();
export type PoolSpec = z.infer<typeof PoolSpec>;

/**
 * Most GPUs one deployment may use (a whole rack-scale system is a few hundred). Anything larger is
 * a typo (`tp: 100000000`): refused at planning and at the API, before a recipe lays out a stand-in
 * gang of millions of nodes and runs the process out of memory.
 */
export const MAX_DEPLOYMENT_GPUS = 16_384;

/** GPUs a deployment's parallelism asks for: tp*pp*pcp, or the sum over its pools of num-worker*tp*pp*pcp. */
export function parallelismGpus(d: {
  tp?: number;
  pp?: number;
  pcpSize?: number;
  prefill?: { numWorker: number; tp: number; pp: number; pcpSize: number };
  decode?: { numWorker: number; tp: number; pp: number; pcpSize: number };
}): number {
  const pools = [d.prefill, d.decode].filter((p) => p !== undefined);
  if (pools.length) return pools.reduce((s, p) => s + p.numWorker * p.tp * p.pp * p.pcpSize, 0);
  return (d.tp ?? 1) * (d.pp ?? 1) * (d.pcpSize ?? 1);
}

/** The agentic-coding part of a deployment: trace replay with optional KV offload to host DRAM. */
export const AgenticSpec = z
  .object({
    /** measured seconds per load point (the reference's default is 3600) */
    durationS: z.number().int().positive(),
    kvOffloading: z.enum(["none", "dram"]),
    kvOffloadBackend: z
      .object({ name: z.string().min(1), version: z.string().min(1).optional() })
      .strict()
      .optional(),
    /** host DRAM for offloaded KV per server process, in GB (10^9 bytes); 0 without offload */
    dramOffloadGb: z.number().int().nonnegative(),
  })
  .strict();
export type AgenticSpec = z.infer<typeof AgenticSpec>;

export const PhaseTimeouts = z
  .object({
    prepare: z.number().positive(),
    launch: z.number().positive(),
    ready: z.number().positive(),
    warmup: z.number().positive(),
    load: z.number().positive(),
    eval: z.number().positive(),
    teardown: z.number().positive(),
  })
  .strict();
export type PhaseTimeouts = z.infer<typeof PhaseTimeouts>;

/**
 * The srt-slurm recipe a multi-node row names (`CONFIG_FILE=` in its additional-settings), stored
 * with the deployment when the plan is made: a retry runs the same recipe. `configFile` and `text`
 * are part of the fingerprint; `path` (where it was found) is not.
 */
export const SrtRecipeRef = z
  .object({
    /** as the row names it, with srtctl's variant selector if any: `recipes/x.yaml:override_y` */
    configFile: z.string(),
    /** where the file was found among the --srt-slurm directories */
    path: z.string(),
    text: z.string(),
    /**
     * files of srt-slurm's `configs/` directory (srtctl mounts it at /configs) the recipe uses:
     * its `setup_script` and the `/configs/...` paths of its engine configs; `path` is relative to
     * configs/. Stored like the recipe's text.
     */
    configs: z.array(z.object({ path: z.string(), text: z.string() }).strict()).optional(),
    /**
     * the setup script the lab's runner passes to `srtctl apply --setup-script`, which replaces the
     * recipe's `setup_script` (lab-runner-srtctl.ts)
     */
    setupScript: z.string().optional(),
    /**
     * srtctl's defaults that differ between its versions, as the srt-slurm checkout the recipe was
     * planned with has them (the recipe's own values win); absent: the reader's (srt-slurm main's)
     */
    srtctl: z
      .object({
        dpLaunchMode: z.enum(["per_gpu", "per_node"]).optional(),
        /** dynamo's request plane where the recipe leaves `dynamo.request_plane` out */
        requestPlane: z.enum(["tcp", "nats", "http"]).optional(),
        /** vLLM workers get CUDA_VISIBLE_DEVICES, not `--device-ids`, where the recipe says nothing */
        vllmCudaVisibleDevices: z.boolean().optional(),
        /** false: the checkout's nginx.conf has no keepalive (client timeout, upstream pool) */
        nginxKeepalive: z.boolean().optional(),
        /** false: the checkout's nginx.conf sets no client_max_body_size */
        nginxMaxBody: z.boolean().optional(),
        /**
         * false: the checkout's srtctl passes SGLang workers no `--nccl-port` (before srt-slurm #318):
         * SGLang picks its own, and a recipe's `nccl-port` is passed as written
         */
        sglangNcclPort: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /**
     * the recipe file was not found (`text` is empty): the plan error, at the row's CONFIG_FILE
     * (file:line:col) with the paths searched. The deployment is planned but cannot be launched.
     * Not part of the fingerprint (it names this machine's paths).
     */
    notFound: z.string().optional(),
  })
  .strict();
export type SrtRecipeRef = z.infer<typeof SrtRecipeRef>;

/**
 * The lab's own benchmark script a script-mode deployment runs (`mode: "script"`), as found in a lab
 * checkout when the plan was made: its path inside the checkout and the sha256 of its text, both part
 * of the fingerprint. An agent runs it from its own checkout only when the text hashes the same.
 */
export const LabScriptRef = z
  .object({
    /** relative to the checkout's root: `benchmarks/single_node/fixed_seq_len/<key>.sh` */
    path: z.string().regex(/^benchmarks\/[A-Za-z0-9._/-]+\.sh$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type LabScriptRef = z.infer<typeof LabScriptRef>;

/**
 * The recipe presets a deployment launches with, as read from `configs/recipes/` when the plan was
 * made (parsed by the recipes package) and stored with it, so every attempt — a retry days later
 * included — launches the same server command (recipe-settings.ts).
 */
export const RecipeSettings = z
  .object({
    /** the model-family preset (`configs/recipes/<model-prefix>.yaml`) */
    family: z.record(z.string(), z.unknown()).optional(),
    /** the lab-script preset (`configs/recipes/scripts/<script>.yaml`); it replaces the family preset */
    script: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type RecipeSettings = z.infer<typeof RecipeSettings>;

export const Deployment = z
  .object({
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    /** first config key this deployment came from */
    configKey: z.string(),
    /** all config keys that planned this identical deployment */
    configKeys: z.array(z.string()).min(1),
    sourceFiles: z.array(z.string()),
    runner: z.string(),
    sku: SkuName,
    gpusPerNode: z.number().int().positive(),
    image: z.string(),
    model: z.string(),
    modelPrefix: z.string(),
    precision: z.string(),
    framework: z.string(),
    router: z.object({ name: z.string(), version: z.string().optional() }).optional(),
    kvP2pTransfer: z.string().optional(),
    /** 0 for agentic deployments (the trace sets lengths) */
    isl: z.number().int().nonnegative(),
    osl: z.number().int().nonnegative(),
    specDecoding: z.enum(["mtp", "draft_model", "none"]),
    multinode: z.boolean(),
    disagg: z.boolean(),
    scenario: z.enum(["fixed-seq-len", "agentic-coding"]),
    /** single node parallelism */
    tp: z.number().int().positive().optional(),
    ep: z.number().int().positive().optional(),
    pp: z.number().int().positive().optional(),
    dpAttn: z.boolean().optional(),
    dcpSize: z.number().int().positive().optional(),
    pcpSize: z.number().int().positive().optional(),
    kvOffloading: z.string().optional(),
    /** agentic-coding deployments only */
    agentic: AgenticSpec.optional(),
    /** multi-node pools */
    prefill: PoolSpec.optional(),
    decode: PoolSpec.optional(),
    nodes: z.number().int().positive(),
    /**
     * nodes of `nodes` that hold infrastructure only, the gang's last ranks: etcd and NATS on a node
     * of their own (an srt-slurm recipe's `infra.etcd_nats_dedicated_node`). Absent: none.
     */
    infraNodes: z.number().int().positive().optional(),
    gpus: z.number().int().positive(),
    points: z.array(LoadPoint),
    eval: z.boolean(),
    evalLimit: z.number().int().positive().optional(),
    /** the concurrency the eval runs at, in this launch (eval-selection.ts); absent: the eval client's default */
    evalConc: z.number().int().positive().optional(),
    /**
     * every concurrency the eval runs at in this launch, ascending (the lab evaluates the highest
     * and the median of a group, both in one launch when it holds both); `evalConc` is then the
     * highest of them. Absent: `evalConc` alone (eval-selection.ts evalConcurrencies).
     */
    evalConcs: z.array(z.number().int().positive()).min(1).optional(),
    evalsOnly: z.boolean(),
    launchPerPoint: z.boolean(),
    promptsPerConc: z.number().int().positive(),
    /** runs of each load point (absent: one); the point's result keeps the spread over them */
    repeats: z.number().int().min(1).max(20).optional(),
    /** absent for agentic deployments: the server keeps the model's native context limit */
    maxModelLen: z.number().int().positive().optional(),
    recipeOverrides: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    srtRecipe: SrtRecipeRef.optional(),
    /**
     * the GPUs per-GPU results divide by, where the lab's result files count other than `gpus`: a
     * row launched with its srt-slurm recipe's topology, not the row's (the lab counts the row's
     * num-worker × tp × pp × pcp). Absent: `gpus` (or the pools' GPUs).
     */
    resultGpus: z.number().int().positive().optional(),
    /** the presets this deployment launches with (absent: none applied, engine defaults) */
    recipeSettings: RecipeSettings.optional(),
    /**
     * one launch of a server configuration whose points need different server settings (launch-groups.ts):
     * `of` is the fingerprint of the whole configuration, `part` of `parts` this launch
     */
    launchPart: z
      .object({ of: z.string(), part: z.number().int().positive(), parts: z.number().int().positive() })
      .strict()
      .optional(),
    /**
     * `script`: each point runs the lab's benchmark script for the row's key (`labScript`) with the
     * lab's env contract, and its result JSON is the point (lab-script.ts). Absent: benchfleet's recipe.
     */
    mode: z.enum(["recipe", "script"]).optional(),
    labScript: LabScriptRef.optional(),
    /**
     * planned with a lab checkout that has no benchmark script for this single-node agentic row (the
     * lab's own run of it would fail): the plan error, at the row (file:line:col) with the scripts
     * searched. The deployment is planned but cannot be launched. Not part of the fingerprint.
     */
    labScriptMissing: z.string().optional(),
    /** framework custom: the server to start (custom-server.ts) */
    customServer: CustomServer.optional(),
    priority: z.number().int(),
    timeouts: PhaseTimeouts,
    estimate: z
      .object({
        launchSeconds: z.number().nonnegative(),
        loadSeconds: z.number().nonnegative(),
        evalSeconds: z.number().nonnegative(),
        wallSeconds: z.number().nonnegative(),
        gpuHours: z.number().nonnegative(),
      })
      .strict(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const gpus = Math.max(d.gpus, d.nodes, parallelismGpus(d));
    if (gpus > MAX_DEPLOYMENT_GPUS)
      ctx.addIssue({
        code: "custom",
        path: ["gpus"],
        message: `the deployment needs ${gpus} GPUs; at most ${MAX_DEPLOYMENT_GPUS} are allowed`,
      });
  });
export type Deployment = z.infer<typeof Deployment>;

export const PlanTotals = z
  .object({
    /** server configurations (the launches of one configuration count once) */
    deployments: z.number().int().nonnegative(),
    /** server launches: one per deployment, or per group of points that need their own settings */
    launches: z.number().int().nonnegative().optional(),
    singleNodeDeployments: z.number().int().nonnegative(),
    multiNodeDeployments: z.number().int().nonnegative(),
    points: z.number().int().nonnegative(),
    evals: z.number().int().nonnegative(),
    gpuHours: z.number().nonnegative(),
    wallSeconds: z.number().nonnegative(),
  })
  .strict();
export type PlanTotals = z.infer<typeof PlanTotals>;

export const Plan = z
  .object({
    deployments: z.array(Deployment),
    totals: PlanTotals,
    bySku: z.record(z.string(), PlanTotals),
    /** one line each: inputs accepted the way the reference generator accepts them */
    warnings: z.array(z.string()).optional(),
    /** totals per scenario type (fixed-seq-len, agentic-coding) */
    byScenario: z.record(z.string(), PlanTotals).optional(),
  })
  .strict();
export type Plan = z.infer<typeof Plan>;

/** BullMQ queue name for a runner label: `deploy-<label>`, sanitised (no `:`). */
export function queueNameForRunner(runner: string): string {
  return `deploy-${runner.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}`;
}

/** BullMQ job id of a deployment in a sweep (no `:` allowed). */
export function jobIdFor(sweepId: string, fingerprint: string): string {
  return `${sweepId}.${fingerprint.slice(0, 16)}`;
}
