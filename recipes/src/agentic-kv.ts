/**
 * Agentic deployments' KV-cache settings, as the reference lab's agentic scripts set them
 * (benchmarks/single_node/agentic/): the engine's prefix cache stays on (trace replay reuses each
 * trajectory's history), and with `kv-offloading: dram` the offload backend gets the deployment's
 * host-DRAM budget (`agentic.dramOffloadGb`, already this server's share of its node's DRAM):
 *
 * - SGLang `hicache`: HiCache over RadixAttention, page size 64, `--hicache-size` = budget ÷ TP ÷ 2
 *   host pools (GB per rank and pool), kernel I/O, page-first layout, write_through_selective.
 * - vLLM `vllm-native` (`native` in master configs): `--kv_offloading_backend native --kv_offloading_size <budget GB>`.
 * - vLLM `vllm-simple`: the SimpleCPUOffloadConnector with the budget split over the worker's GPUs,
 *   and PYTHONHASHSEED=42 so that identical prefixes hash alike on every rank.
 * - vLLM `mooncake`: the MooncakeStoreConnector with async loads, PYTHONHASHSEED=0 and the
 *   transfer engine's MC_* settings of the lab's Mooncake scripts; `lmcache`: nothing here.
 *   Their servers, store config and (LMCache) connector with the server URLs are placed per
 *   process by kv-offload-servers.ts. Beside disaggregated serving Mooncake joins the P2P
 *   connector in vLLM's MultiConnector (kv-offload-servers.ts withKvStore); LMCache is refused.
 * Pure.
 */
import { RecipeError } from "@benchfleet/shared";
import type { RecipeContext } from "./context.js";
import type { EngineRole, Settings } from "./layering.js";

/** the Mooncake transfer engine's settings and a fixed hash seed (identical prefixes, identical keys) */
const MOONCAKE_ENV = {
  PYTHONHASHSEED: "0",
  MC_SLICE_SIZE: "1048576",
  MC_WORKERS_PER_CTX: "4",
  MC_ENABLE_DEST_DEVICE_AFFINITY: "1",
};

/** host pools SGLang's HiCache allocates per rank (one KV and one state pool for hybrid models) */
const HICACHE_HOST_POOLS = 2;

export function agenticKvSettings(
  ctx: RecipeContext,
  engine: "vllm" | "sglang",
  role: EngineRole,
): Pick<Settings, "flags" | "env"> | undefined {
  const a = ctx.d.agentic;
  if (!a) return undefined;
  const flags: Settings["flags"] =
    engine === "sglang" ? { "disable-radix-cache": null } : { "no-enable-prefix-caching": null };
  const env: Settings["env"] = {};
  if (a.kvOffloading !== "dram") return { flags, env };
  const backend = a.kvOffloadBackend?.name;
  const where = `${ctx.d.configKey}: kv-offloading dram with backend "${backend ?? "(none)"}"`;
  const p = ctx.par(role)!;
  if (engine === "sglang") {
    if (backend !== "hicache") throw new RecipeError(`${where}: SGLang offloads KV to DRAM with hicache only`);
    const perPool = Math.floor(a.dramOffloadGb / p.tp / HICACHE_HOST_POOLS);
    if (perPool < 1)
      throw new RecipeError(
        `${where}: ${a.dramOffloadGb} GB over TP ${p.tp} × ${HICACHE_HOST_POOLS} host pools is under 1 GB per pool`,
      );
    Object.assign(flags, {
      "page-size": 64,
      "enable-hierarchical-cache": true,
      "hicache-size": perPool,
      "hicache-io-backend": "kernel",
      "hicache-mem-layout": "page_first",
      "hicache-write-policy": "write_through_selective",
    });
    return { flags, env };
  }
  switch (backend) {
    // master configs name it `native`; the lab's scripts `vllm-native`
    case "native":
    case "vllm-native":
      Object.assign(flags, { kv_offloading_backend: "native", kv_offloading_size: a.dramOffloadGb });
      return { flags, env };
    case "vllm-simple":
      flags["kv-transfer-config"] = JSON.stringify({
        kv_connector: "SimpleCPUOffloadConnector",
        kv_role: "kv_both",
        kv_connector_extra_config: {
          cpu_bytes_to_use_per_rank: Math.floor((a.dramOffloadGb * 1e9) / p.tp),
          enable_cross_layers_blocks: "true",
          lazy_offload: false,
        },
      });
      env.PYTHONHASHSEED = "42";
      return { flags, env };
    case "mooncake":
    case "lmcache":
      if (ctx.servesDisagg && backend === "lmcache")
        throw new RecipeError(
          `${where}: beside disaggregated serving the store needs vLLM's MultiConnector (NIXL + lmcache), which this recipe does not write`,
        );
      if (backend === "lmcache") return { flags, env };
      Object.assign(env, MOONCAKE_ENV);
      // disaggregated workers take the store inside their MultiConnector (kv-offload-servers.ts withKvStore)
      if (ctx.servesDisagg) return { flags, env };
      flags["kv-transfer-config"] = JSON.stringify({
        kv_connector: "MooncakeStoreConnector",
        kv_role: "kv_both",
        kv_connector_extra_config: { load_async: true },
      });
      return { flags, env };
    default:
      throw new RecipeError(
        `${where}: not a vLLM offload backend (native/vllm-native, vllm-simple, mooncake, lmcache)`,
      );
  }
}

/**
 * TensorRT-LLM's DRAM offload (`native`): its host (secondary) KV pool, `kv_cache_config.host_cache_size`
 * in bytes per rank = the server's budget ÷ its ranks on the node. A script that pins it per topology
 * instead (the lab's MiniMax-M3 TRT scripts) says so in its script preset, whose options win over
 * these. Beside disaggregated serving decode keeps none
 * (`host_cache_size: 0`), as the lab's TRT disagg recipes (srt-slurm-recipes/trtllm/deepseek-v4/).
 */
export function agenticTrtKvConfig(ctx: RecipeContext, role: EngineRole): Record<string, unknown> {
  const a = ctx.d.agentic;
  if (a?.kvOffloading !== "dram") return {};
  const backend = a.kvOffloadBackend?.name;
  if (backend !== "native")
    throw new RecipeError(
      `${ctx.d.configKey}: kv-offloading dram with backend "${backend ?? "(none)"}": TensorRT-LLM offloads KV to DRAM with its native host cache only`,
    );
  if (role === "decode" && ctx.servesDisagg) return { kv_cache_config: { host_cache_size: 0 } };
  const p = ctx.par(role)!;
  const ranks = Math.min(p.tp * p.pp, ctx.d.gpusPerNode);
  return { kv_cache_config: { host_cache_size: Math.floor((a.dramOffloadGb * 1e9) / ranks) } };
}

/**
 * ATOM's DRAM offload (`lmcache`): LMCache inside the engine, as the lab's ATOM agentic script
 * (glm5.2_fp4_mi355x_atom_mtp.sh): `--kv-transfer-config {"kv_connector":"lmcache_offload","kv_role":"offload"}`,
 * a local CPU tier of the server's whole budget, 256-token chunks, loads from 8192 tokens on.
 */
export function agenticAtomKvSettings(ctx: RecipeContext): Pick<Settings, "flags" | "env"> {
  const a = ctx.d.agentic;
  if (a?.kvOffloading !== "dram") return { flags: {}, env: {} };
  const backend = a.kvOffloadBackend?.name;
  if (backend !== "lmcache")
    throw new RecipeError(
      `${ctx.d.configKey}: kv-offloading dram with backend "${backend ?? "(none)"}": ATOM offloads KV to DRAM with lmcache only`,
    );
  return {
    flags: { "kv-transfer-config": JSON.stringify({ kv_connector: "lmcache_offload", kv_role: "offload" }) },
    env: {
      PYTHONHASHSEED: "0",
      LMCACHE_LOCAL_CPU: "True",
      LMCACHE_MAX_LOCAL_CPU_SIZE: String(a.dramOffloadGb),
      LMCACHE_CHUNK_SIZE: "256",
      OFFLOAD_MIN_LOAD_TOKENS: "8192",
    },
  };
}
