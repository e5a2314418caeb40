/**
 * The Mooncake store of a vLLM recipe's `backend.mooncake_kv_store`, as srtctl launches it (pure;
 * the same at the refs the lab's runners pin, v1.0.36 to v1.0.53, and at main):
 *
 * - `mooncake_master` on the infra node, where etcd and NATS run (cli/do_sweep.py
 *   start_mooncake_master), in `mooncake_kv_store.container` or else the job's container, with no
 *   environment: srtctl's fixed flags (HTTP metadata server on, eviction high watermark 0.9, KV
 *   lease TTL 10000 ms, 16 RPC threads, metric reporting on) then the recipe's `master_extra_args`
 *   unchanged, so a flag the recipe repeats wins (gflags keeps the last). The job waits for its RPC,
 *   HTTP metadata and metrics ports before any worker starts.
 * - The store config (backends/vllm.py build_mooncake_store_config): the recipe's `store_config` as
 *   written, `master_server_address` forced to the master's address, written as Python's
 *   `json.dumps(indent=2)` writes it to /logs/mooncake_store_config.json, which every worker reads.
 * - Every worker process's environment, set after all its other variables (get_mooncake_worker_env
 *   in cli/mixins/worker_stage.py): MOONCAKE_LOCAL_HOSTNAME = the worker's node address unless the
 *   recipe's `env` names it, the recipe's `env` (not templated), then MOONCAKE_MASTER,
 *   MOONCAKE_TE_META_DATA_SERVER (the master's HTTP metadata server) and MOONCAKE_CONFIG_PATH.
 *
 * The connector itself is the recipe's `kv-transfer-config` (vLLM's MooncakeStoreConnector, alone
 * or in a MultiConnector beside NIXL), rendered unchanged with the rest of the role's config;
 * srtctl refuses a disaggregated recipe whose prefill and decode configs both leave Mooncake out
 * (schema.py _validate_mooncake_kv_store), and so does {@link mooncakeStoreUnused}.
 *
 * Ports are the attempt's block (ports.ts kvStoreMaster/kvStoreMetadata/kvStoreMetrics), not
 * srtctl's fixed 8700-8702: several attempts share a node here.
 */
import type { ProcessSpec } from "@benchfleet/shared";
import { type PlacedProcess, type RecipeContext, STAGE } from "../context.js";
import { proc } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";

export const MOONCAKE_STORE_CONFIG_PATH = "/logs/mooncake_store_config.json";

type VllmBackend = Extract<SrtRecipe["backend"], { type: "vllm" }>;

/**
 * Adds the recipe's Mooncake store to a launch: the master on node `infraRank`, and to every
 * worker process in `processes` the store config file and srtctl's variables. Nothing when the
 * recipe has no `backend.mooncake_kv_store`.
 */
export function addMooncakeStore(
  ctx: RecipeContext,
  recipe: SrtRecipe,
  infraRank: number,
  mounts: ProcessSpec["mounts"],
  processes: PlacedProcess[],
): void {
  const b = recipe.backend;
  if (b.type !== "vllm" || !b.mooncake_kv_store) return;
  const store = b.mooncake_kv_store;
  const infraIp = ctx.node(infraRank).ip;
  const { kvStoreMaster: rpc, kvStoreMetadata: metadata, kvStoreMetrics: metrics } = ctx.shared;
  const masterAddress = `${infraIp}:${rpc}`;
  const config = { path: MOONCAKE_STORE_CONFIG_PATH, content: storeConfigJson(b, masterAddress) };
  for (const p of processes) {
    if (!["prefill", "decode", "worker"].includes(p.spec.role)) continue;
    const env = {
      ...p.spec.env,
      MOONCAKE_LOCAL_HOSTNAME: ctx.node(p.nodeRank).ip,
      ...store.env,
      MOONCAKE_MASTER: masterAddress,
      MOONCAKE_TE_META_DATA_SERVER: `http://${infraIp}:${metadata}/metadata`,
      MOONCAKE_CONFIG_PATH: MOONCAKE_STORE_CONFIG_PATH,
    };
    p.spec.env = Object.fromEntries(Object.entries(env).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    p.spec.files.push({ ...config });
  }
  const master = proc(
    "infra-mooncake-master",
    "infra",
    store.container ?? ctx.d.image,
    [
      "mooncake_master",
      `--port=${rpc}`,
      "--enable_http_metadata_server=true",
      `--http_metadata_server_port=${metadata}`,
      "--eviction_high_watermark_ratio=0.9",
      "--default_kv_lease_ttl=10000",
      "--rpc_thread_num=16",
      "--enable_metric_reporting=true",
      `--metrics_port=${metrics}`,
      ...store.master_extra_args,
    ],
    {},
    mounts,
    [],
    { rpc, metadata, metrics },
    STAGE.infra,
  );
  master.health = [rpc, metadata, metrics].map((port) => ({ kind: "tcp" as const, host: infraIp, port }));
  processes.push({ nodeRank: infraRank, spec: master });
}

/** backends/vllm.py build_mooncake_store_config, serialized by do_sweep.py */
function storeConfigJson(b: VllmBackend, masterAddress: string): string {
  return pyJsonIndent2({ ...(b.mooncake_kv_store?.store_config ?? {}), master_server_address: masterAddress });
}

/** Python's `json.dumps(v, indent=2)`: what JSON.stringify writes, with non-ASCII escaped (ensure_ascii) */
function pyJsonIndent2(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * srtctl's check (schema.py _validate_mooncake_kv_store): a disaggregated recipe with a Mooncake
 * store must name Mooncake in the prefill or decode `kv-transfer-config`, else the master would go
 * unused. The message, or undefined when the recipe passes.
 */
export function mooncakeStoreUnused(r: SrtRecipe): string | undefined {
  const b = r.backend;
  if (b.type !== "vllm" || !b.mooncake_kv_store) return undefined;
  if (r.resources.prefill_nodes == null && r.resources.decode_nodes == null) return undefined;
  const names = (c: Record<string, unknown> | null | undefined) =>
    ["kv-transfer-config", "kv_transfer_config"].some((k) => {
      const v = c?.[k];
      return typeof v === "string" && v.toLowerCase().includes("mooncake");
    });
  if (names(b.vllm_config?.prefill) || names(b.vllm_config?.decode)) return undefined;
  return "srtctl refuses a Mooncake store no worker uses: neither backend.vllm_config.prefill nor decode has a kv-transfer-config naming a Mooncake connector (MooncakeStoreConnector, alone or in a MultiConnector)";
}
