/**
 * TensorRT-LLM (`trtllm-serve`, pytorch backend): an extra-LLM-API-options YAML the recipe writes
 * (attention DP, MoE backend, CUDA graphs, KV cache dtype/fraction, MTP speculative_config). Single
 * node: `mpirun -n 1 ... trtllm-serve` as the reference lab runs it. Disaggregated: ctx (prefill)
 * and gen (decode) servers with `cache_transceiver_config`, then `trtllm-serve disaggregated -c` a
 * config the recipe writes. A worker wider than a node is one MPI job: `trtllm-llmapi-launch` on
 * every node, launched with PMIx (`mpi` on the process), `numactl -m 0,1` on GB200/GB300.
 * reference/engines.md §3 and §2 (srt-slurm backends/trtllm.py).
 */

import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { stringify } from "yaml";
import { agenticTrtKvConfig } from "./agentic-kv.js";
import {
  envStrings,
  fixedLayer,
  layer,
  type PlacedProcess,
  processName,
  type RecipeContext,
  STAGE,
} from "./context.js";
import type { EngineRole, Layer, LayerPart, Settings } from "./layering.js";
import { renderFlags } from "./layering.js";
import type { WorkerLayout } from "./placement.js";

/** max_seq_len of an agentic deployment (no context cap planned): the reference's agentic TRT script's */
export const TRT_AGENTIC_MAX_SEQ_LEN = 1_048_576;
/** max_num_tokens of an agentic prefill/aggregated server (chunked prefill), the reference's value */
export const TRT_AGENTIC_MAX_NUM_TOKENS = 16_384;

function maxSeqLen(ctx: RecipeContext): number {
  return ctx.d.maxModelLen ?? TRT_AGENTIC_MAX_SEQ_LEN;
}

/** MTP layers when neither preset nor pool says (engines.md: 1..3) */
export const TRT_MTP_LAYERS = 3;

export function trtDefaults(ctx: RecipeContext): Layer {
  const parts: LayerPart[] = [
    // agentic trace replay reuses each trajectory's history: block reuse (the prefix cache) stays on
    { settings: { config: { kv_cache_config: { enable_block_reuse: !!ctx.d.agentic }, print_iter_log: false } } },
  ];
  if (ctx.servesDisagg) parts.push({ roles: ["prefill"], settings: { config: { disable_overlap_scheduler: true } } });
  return layer("engine-defaults:trt", parts);
}

/** max_num_tokens: a whole prompt on prefill/aggregated servers; batch × (1 + draft) on decode */
function maxNumTokens(ctx: RecipeContext, role: EngineRole, steps: number | undefined): number {
  if (role === "decode") return Math.max(256, ctx.concPerWorker(role) * (1 + (steps ?? 0)));
  return ctx.d.maxModelLen ?? TRT_AGENTIC_MAX_NUM_TOKENS;
}

/**
 * The entry layer: for `inYaml` (dynamo.trtllm, disagg servers) parallelism and sizes go to the YAML;
 * for single-node trtllm-serve they are CLI flags as in the reference scripts.
 */
export function trtEntry(ctx: RecipeContext, inYaml: boolean): Layer {
  const parts: LayerPart[] = [];
  for (const role of ctx.engineRoles()) {
    const p = ctx.par(role)!;
    if (p.dcpSize > 1 || p.pcpSize > 1) {
      throw new RecipeError(
        `${ctx.d.configKey}: TensorRT-LLM recipe has no context parallelism (dcp-size ${p.dcpSize}, pcp-size ${p.pcpSize}): not supported`,
      );
    }
    const steps = ctx.mtpSteps(role, TRT_MTP_LAYERS);
    const batch = ctx.concPerWorker(role);
    const config: Record<string, unknown> = { enable_attention_dp: p.dpAttn };
    if (role !== "prefill" || !ctx.servesDisagg)
      config.cuda_graph_config = { enable_padding: true, max_batch_size: batch };
    if (steps !== undefined) config.speculative_config = { decoding_type: "MTP", num_nextn_predict_layers: steps };
    Object.assign(config, agenticTrtKvConfig(ctx, role));
    if (ctx.servesDisagg)
      config.cache_transceiver_config = { backend: trtTransceiver(ctx), max_tokens_in_buffer: maxSeqLen(ctx) };
    const sizes = {
      tensor_parallel_size: p.tp,
      moe_expert_parallel_size: p.ep,
      pipeline_parallel_size: p.pp,
      max_batch_size: batch,
      max_num_tokens: maxNumTokens(ctx, role, steps),
      max_seq_len: maxSeqLen(ctx),
    };
    const settings: Partial<Settings> = inYaml
      ? { config: { ...sizes, ...config } }
      : {
          config,
          flags: {
            max_batch_size: sizes.max_batch_size,
            max_seq_len: sizes.max_seq_len,
            max_num_tokens: sizes.max_num_tokens,
            tp_size: p.tp,
            ep_size: p.ep,
            ...(p.pp > 1 ? { pp_size: p.pp } : {}),
          },
        };
    parts.push({ roles: [role], settings });
  }
  return layer("entry", parts);
}

export function trtTransceiver(ctx: RecipeContext): string {
  const kv = (ctx.d.kvP2pTransfer ?? "nixl").toLowerCase();
  const map: Record<string, string> = { nixl: "NIXL", ucx: "UCX", mpi: "MPI", default: "DEFAULT" };
  if (!map[kv])
    throw new RecipeError(
      `${ctx.d.configKey}: kv-p2p-transfer "${kv}" is not a TensorRT-LLM cache transceiver backend (nixl, ucx, mpi, default)`,
    );
  return map[kv]!;
}

/** YAML text of the options file; prefill gets `cuda_graph_config: null` unless something set it. */
export function trtOptionsYaml(role: EngineRole, config: Record<string, unknown>): string {
  const c = { ...config };
  if (role === "prefill" && !("cuda_graph_config" in c)) c.cuda_graph_config = null;
  return stringify(c, { sortMapEntries: false });
}

/** MPI wrapper of a worker rank: trtllm-llmapi-launch when the worker spans nodes. */
export function trtLaunchPrefix(ctx: RecipeContext, w: WorkerLayout): { prefix: string[]; mpi?: ProcessSpec["mpi"] } {
  if (w.ranks.length === 1) return { prefix: [] };
  const numa = ctx.d.sku === "gb200" || ctx.d.sku === "gb300" ? ["numactl", "-m", "0,1"] : [];
  return { prefix: [...numa, "trtllm-llmapi-launch"] };
}

export function trtMpi(ctx: RecipeContext, w: WorkerLayout, i: number): ProcessSpec["mpi"] | undefined {
  if (w.ranks.length === 1) return undefined;
  return { job: `${w.pool}-${w.index}`, nodes: w.ranks.length, nodeIndex: i, tasksPerNode: w.ranks[i]!.gpus.length };
}

export function trtRecipe(ctx: RecipeContext) {
  const defaults = trtDefaults(ctx);
  const entry = trtEntry(ctx, ctx.isDisagg);
  const processes: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    w.ranks.forEach((r, i) => {
      const node = ctx.node(r.nodeRank);
      const slot = ctx.slot(w.ranks[0]!);
      const name = processName(w, i);
      const file = `trt/${name}.yaml`;
      const s = ctx.resolve(
        w.pool,
        defaults,
        entry,
        fixedLayer([
          {
            roles: [w.pool],
            settings: {
              flags: { host: "0.0.0.0", port: slot.http, backend: "pytorch", extra_llm_api_options: file },
              env: ctx.visibleDevices(r.gpus),
            },
          },
        ]),
      );
      const { prefix } = trtLaunchPrefix(ctx, w);
      const mpi = trtMpi(ctx, w, i);
      const serve = [
        "trtllm-serve",
        ctx.d.model,
        ...renderFlags({ ...s.flags, ...(ctx.isDisagg ? {} : { trust_remote_code: true }) }, "equals"),
      ];
      const argv =
        !ctx.isDisagg && !mpi
          ? ["mpirun", "-n", "1", "--oversubscribe", "--allow-run-as-root", ...serve]
          : [...prefix, ...serve];
      const spec: ProcessSpec = {
        name,
        role: w.pool,
        image: ctx.d.image,
        argv,
        env: envStrings(s.env),
        mounts: [],
        files: [{ path: file, content: trtOptionsYaml(w.pool, s.config) }],
        gpus: r.gpus,
        ports: i === 0 ? { http: slot.http } : {},
        health: i === 0 ? [ctx.httpHealth(node.ip, slot.http, "/health")] : [],
        stage: STAGE.workers,
        ownSession: false,
        ...(mpi ? { mpi } : {}),
      };
      processes.push({ nodeRank: r.nodeRank, spec });
    });
  }
  if (!ctx.isDisagg) return { processes, ...ctx.aggregatedEndpoint() };
  const leader = ctx.leader;
  const port = ctx.shared.endpoint;
  const urls = (pool: "prefill" | "decode") =>
    ctx.workers(pool).map((w) => `${ctx.node(w.ranks[0]!.nodeRank).ip}:${ctx.slot(w.ranks[0]!).http}`);
  const disaggConfig = {
    hostname: "0.0.0.0",
    port,
    backend: "pytorch",
    context_servers: { num_instances: ctx.workers("prefill").length, urls: urls("prefill") },
    generation_servers: { num_instances: ctx.workers("decode").length, urls: urls("decode") },
  };
  const routerSettings = ctx.resolve("router", layer("engine-defaults:router", []), layer("entry", []), fixedLayer([]));
  const router: ProcessSpec = {
    name: "router",
    role: "router",
    image: ctx.d.image,
    argv: ["trtllm-serve", "disaggregated", "-c", "trt/disagg.yaml", ...renderFlags(routerSettings.flags)],
    env: envStrings(routerSettings.env),
    mounts: [],
    files: [{ path: "trt/disagg.yaml", content: stringify(disaggConfig) }],
    gpus: [],
    ports: { http: port },
    health: [ctx.httpHealth(leader.ip, port, "/health")],
    stage: STAGE.front,
    ownSession: false,
  };
  processes.push({ nodeRank: 0, spec: router });
  return { processes, endpoint: { ip: leader.ip, port }, gangHealth: [ctx.canary(leader.ip, port)] };
}
