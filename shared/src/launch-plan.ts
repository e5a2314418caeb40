/**
 * A launch plan: what a recipe produces from (deployment, placement, ports) and what launchers
 * execute. Per node: the processes to start, in readiness order, with their health checks.
 */
import { z } from "zod";

export const HealthCheck = z
  .object({
    /** `http`: GET url until `expectStatus`; `canary`: POST a max_tokens:1 completion until 200 */
    kind: z.enum(["http", "canary", "log-line", "tcp"]),
    url: z.string().optional(),
    expectStatus: z.number().int().optional(),
    /** `log-line`: a regex the process prints when ready */
    pattern: z.string().optional(),
    host: z.string().optional(),
    port: z.number().int().optional(),
    /** for `canary`: model name and path */
    model: z.string().optional(),
    path: z.string().optional(),
    /** response must also satisfy: e.g. Dynamo /health counting instances */
    bodyIncludes: z.array(z.string()).optional(),
    /**
     * Dynamo frontend `/health`: the JSON body's `instances` must hold at least `count` entries
     * with `endpoint` equal to the given one and `component` among `components`, per group.
     */
    expectInstances: z
      .array(
        z
          .object({ components: z.array(z.string()).min(1), endpoint: z.string(), count: z.number().int().positive() })
          .strict(),
      )
      .optional(),
    /**
     * SGLang router `/workers` (srtctl's check_sglang_router_health): `stats.prefill_count` at least
     * `prefill`, and `stats.decode_count + stats.regular_count` (aggregated workers) at least `decode`.
     */
    expectRouterWorkers: z
      .object({ prefill: z.number().int().nonnegative(), decode: z.number().int().nonnegative() })
      .strict()
      .optional(),
  })
  .strict();
export type HealthCheck = z.infer<typeof HealthCheck>;

export const ProcessSpec = z
  .object({
    /** unique within the attempt: `infra-etcd`, `prefill-0-rank0`, `decode-0-rank1`, `router` */
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    role: z.enum(["infra", "prefill", "decode", "worker", "router", "frontend"]),
    /** container image (docker/slurm launchers); absent: run bare */
    image: z.string().optional(),
    argv: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()),
    mounts: z.array(z.object({ host: z.string(), container: z.string(), readOnly: z.boolean().optional() }).strict()),
    cwd: z.string().optional(),
    /** files the process needs written before start (e.g. trt extra options YAML) */
    files: z.array(z.object({ path: z.string(), content: z.string() }).strict()),
    /** GPU indices on this node this process owns */
    gpus: z.array(z.number().int().nonnegative()),
    /** ports it listens on (name → port) */
    ports: z.record(z.string(), z.number().int().positive()),
    health: z.array(HealthCheck),
    /** readiness order: lower starts (and must be ready) first */
    stage: z.number().int().nonnegative(),
    /** start in its own session/process group (router forks) */
    ownSession: z.boolean(),
    /**
     * `lab-script`: the lab's benchmark script for one point (script mode): it starts the engine and
     * runs the lab's client itself, then exits; launchers build its command as the lab's runner does.
     */
    kind: z.literal("lab-script").optional(),
    /**
     * This process is node `nodeIndex` of one MPI job (`job`) spanning `nodes` nodes: the launcher
     * starts argv as `tasksPerNode` MPI ranks (Slurm: `srun --mpi=pmix`), e.g. a TensorRT-LLM worker
     * wider than one node. Absent: a plain process.
     */
    mpi: z
      .object({
        job: z.string(),
        nodes: z.number().int().positive(),
        nodeIndex: z.number().int().nonnegative(),
        tasksPerNode: z.number().int().positive(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ProcessSpec = z.infer<typeof ProcessSpec>;

export const NodePlan = z
  .object({
    rank: z.number().int().nonnegative(),
    hostname: z.string(),
    ip: z.string(),
    processes: z.array(ProcessSpec),
  })
  .strict();
export type NodePlan = z.infer<typeof NodePlan>;

export const LaunchPlan = z
  .object({
    framework: z.string(),
    nodes: z.array(NodePlan).min(1),
    /** where the load generator and eval send requests (on the leader) */
    endpoint: z.object({ baseUrl: z.string(), model: z.string(), api: z.enum(["completions", "chat"]) }).strict(),
    /** final readiness check on the leader after all processes are healthy (router readiness + canary) */
    gangHealth: z.array(HealthCheck),
    notes: z.array(z.string()),
    /**
     * script mode: the plan's one process is the lab's script, run once per load point with that
     * point's CONC and RESULT_FILENAME (lab-script.ts); its result JSON is the point
     */
    script: z.object({ path: z.string(), sha256: z.string() }).strict().optional(),
  })
  .strict();
export type LaunchPlan = z.infer<typeof LaunchPlan>;

/** Placement of a gang: ordered nodes with the facts recipes need. */
export const Placement = z
  .object({
    nodes: z.array(
      z
        .object({
          rank: z.number().int().nonnegative(),
          hostname: z.string(),
          ip: z.string(),
          gpuCount: z.number().int().positive(),
          rdmaDevices: z.array(z.string()),
          /** default-route network interface (GLOO/NCCL_SOCKET_IFNAME); absent when unknown */
          netIfname: z.string().optional(),
        })
        .strict(),
    ),
    /** first port of the attempt's deterministic block on every node */
    portBase: z.number().int(),
    vendor: z.enum(["nvidia", "amd"]),
  })
  .strict();
export type Placement = z.infer<typeof Placement>;

/** A recipe that cannot build a plan for a deployment, named and non-retryable. */
export class RecipeError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "RecipeError";
  }
}
