/**
 * KV-offload backends whose store runs as a server of its own beside vLLM, launched as the
 * reference lab's agentic scripts launch them (InferenceX benchmarks/single_node/agentic/):
 *
 * - Mooncake (`mooncake`; minimaxm3_fp8_h100_mtp.sh, minimaxm3_fp8_h200_mtp.sh, dsv4_fp4_b200_vllm_mtp.sh):
 *   one `mooncake_master --port P --eviction_high_watermark_ratio=0.80 --eviction_ratio=0.10` on
 *   the leader (plus `--metrics_port` from the attempt's block, so that two masters on one host do
 *   not meet on its default 9003). Every engine process reads a store config from
 *   `MOONCAKE_CONFIG_PATH`: embedded mode, P2PHANDSHAKE metadata, the master's address,
 *   `global_segment_size` = the process's DRAM budget ÷ its GPUs (each GPU rank contributes one
 *   segment: dsv4_fp4_b200_vllm_mtp.sh's TOTAL_CPU_DRAM_GB / GPU_COUNT), a 4 GB local buffer, RDMA
 *   over the node's RDMA devices (none known: empty, Mooncake picks), no SSD offload. The connector
 *   flag and the MC_* / PYTHONHASHSEED environment come from agentic-kv.ts. What one script does
 *   otherwise (the MiniMax-M3 H100/H200 scripts' page-cache and weight-offload reserve kept back from
 *   each segment, kimik3_fp4_b300_vllm_mtp.sh's eviction at 0.95 and single rail) its script preset's
 *   `mooncake:` block says (mooncake-script.ts); its env and connector flag are the preset's rules.
 * - LMCache (`lmcache`; minimaxm3_fp8_mi300x_mtp.sh, minimaxm3_fp4_mi355x_mtp.sh): one
 *   `lmcache server` per GPU of the engine process (the scripts' one per TP rank), each with
 *   L1 = budget ÷ GPUs, 10 GB initial L1, a 7200 s read TTL, 256-token chunks, 2 workers, LRU,
 *   lmcache-driven transfers; ready when its HTTP `/healthcheck` answers. The engine's
 *   `--kv-transfer-config` is the LMCacheMPConnector with every server's `tcp://` URL and a 6000 s
 *   message-queue timeout. The scripts bind 127.0.0.1 and fixed ports 5555+i / 8080+i; here each
 *   server binds its node's address and takes the ports the attempt's block keeps for the GPU it
 *   serves (ports.ts), on purpose: fixed ports would meet those of another attempt's servers still
 *   on the node (a retry while the last attempt's leftovers are reaped) and of a second agent on
 *   the same host (the emulated fleet runs several, each on its own loopback address, so
 *   127.0.0.1 would be shared by all of them); the node's address is where the agent's health
 *   check and the connector's URLs reach the server. What the engine sees is the same as the
 *   script's: one server per GPU, their URLs in its connector.
 *
 * Every process of an engine worker (a worker spanning nodes runs one per node) gets its own
 * settings: the budget (`agentic.dramOffloadGb`) is already one process's share of its node.
 *
 * Beside disaggregated serving the Mooncake store rides next to the P2P KV transfer in vLLM's
 * MultiConnector, as the lab's MiniMax-M3 GB300 disagg recipes write it
 * (srt-slurm-recipes/vllm/minimax-m3/agentic/gb300-fp4/*.yaml): prefill stores and looks up
 * (`kv_both`, lookups async, a failed load recomputed), decode only loads (`kv_consumer`, no
 * lookup, a failed load fails). LMCache beside disaggregated serving is refused (agentic-kv.ts). Pure.
 */
import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { type PlacedProcess, processName, type RecipeContext, STAGE } from "./context.js";
import type { Flags } from "./layering.js";
import { mooncakeDevices, mooncakeMasterArgs, mooncakeSegment } from "./mooncake-script.js";
import type { WorkerLayout } from "./placement.js";
import { gpuPorts } from "./ports.js";

export const MOONCAKE_LOCAL_BUFFER_GB = 4;
export const LMCACHE_L1_INIT_GB = 10;

/** What one engine process adds to its fixed (placement) settings. */
export interface OffloadProcessSettings {
  flags: Flags;
  env: Record<string, string>;
  files: ProcessSpec["files"];
}

export interface OffloadServers {
  /** the backend's own servers, at the infra stage */
  processes: PlacedProcess[];
  /** the settings of rank i (one process per node) of engine worker w */
  forRank(w: WorkerLayout, i: number): OffloadProcessSettings;
}

const NONE: OffloadServers = { processes: [], forRank: () => ({ flags: {}, env: {}, files: [] }) };

/** The side servers of the deployment's offload backend; none for backends that run inside the engine. */
export function kvOffloadServers(ctx: RecipeContext): OffloadServers {
  const a = ctx.d.agentic;
  if (a?.kvOffloading !== "dram") return NONE;
  const backend = a.kvOffloadBackend?.name;
  if (backend === "mooncake") return mooncake(ctx, a.dramOffloadGb);
  if (backend === "lmcache") return lmcache(ctx, a.dramOffloadGb);
  return NONE;
}

/**
 * The `--kv-transfer-config` of a disaggregated worker: its P2P connector's `p2p`, wrapped with
 * the Mooncake store in vLLM's MultiConnector when the deployment offloads to Mooncake.
 */
export function withKvStore(ctx: RecipeContext, pool: "prefill" | "decode", p2p: string): string {
  const a = ctx.d.agentic;
  if (a?.kvOffloading !== "dram" || a.kvOffloadBackend?.name !== "mooncake") return p2p;
  const prefill = pool === "prefill";
  const store = prefill
    ? { kv_connector: "MooncakeStoreConnector", kv_role: "kv_both", kv_connector_extra_config: { lookup_async: true } }
    : {
        kv_connector: "MooncakeStoreConnector",
        kv_role: "kv_consumer",
        kv_connector_extra_config: { enable_lookup: false },
      };
  return JSON.stringify({
    kv_connector: "MultiConnector",
    kv_role: "kv_both",
    kv_load_failure_policy: prefill ? "recompute" : "fail",
    kv_connector_extra_config: { connectors: [JSON.parse(p2p), store] },
  });
}

/** GB one GPU of a process gets; an error naming the row when it rounds to nothing */
function perGpuGb(ctx: RecipeContext, budgetGb: number, gpus: number, what: string): number {
  const gb = Math.floor(budgetGb / Math.max(1, gpus));
  if (gb < 1)
    throw new RecipeError(
      `${ctx.d.configKey}: kv-offloading dram with backend "${what}": ${budgetGb} GB over ${gpus} GPUs is under 1 GB per GPU`,
    );
  return gb;
}

function mooncake(ctx: RecipeContext, budgetGb: number): OffloadServers {
  const leader = ctx.leader;
  const { kvStoreMaster: port, kvStoreMetrics: metrics } = ctx.shared;
  const script = ctx.script?.mooncake;
  const where = `${ctx.d.configKey}: kv-offloading dram with backend "mooncake"${ctx.script ? ` (${ctx.script.script})` : ""}`;
  const master: ProcessSpec = {
    name: "infra-mooncake-master",
    role: "infra",
    image: ctx.d.image,
    argv: ["mooncake_master", "--port", String(port), ...mooncakeMasterArgs(script), `--metrics_port=${metrics}`],
    env: {},
    mounts: [],
    files: [],
    gpus: [],
    ports: { rpc: port, metrics },
    health: [{ kind: "tcp", host: leader.ip, port }],
    stage: STAGE.infra,
    ownSession: false,
  };
  return {
    processes: [{ nodeRank: 0, spec: master }],
    forRank(w, i) {
      const r = w.ranks[i]!;
      const node = ctx.node(r.nodeRank);
      const segment = mooncakeSegment(script, budgetGb, r.gpus.length, where);
      const path = `mooncake/${processName(w, i)}.json`;
      const config = {
        mode: "embedded",
        metadata_server: "P2PHANDSHAKE",
        master_server_address: `${leader.ip}:${port}`,
        global_segment_size: `${segment}GB`,
        local_buffer_size: `${MOONCAKE_LOCAL_BUFFER_GB}GB`,
        protocol: "rdma",
        device_name: mooncakeDevices(script, node.rdmaDevices),
        enable_offload: false,
      };
      return {
        flags: {},
        env: { MOONCAKE_CONFIG_PATH: path },
        files: [{ path, content: `${JSON.stringify(config, null, 2)}\n` }],
      };
    },
  };
}

function lmcache(ctx: RecipeContext, budgetGb: number): OffloadServers {
  const processes: PlacedProcess[] = [];
  const urls = new Map<string, string[]>();
  for (const w of ctx.workers()) {
    w.ranks.forEach((r, i) => {
      const node = ctx.node(r.nodeRank);
      const servers = Math.max(1, r.gpus.length);
      const l1 = perGpuGb(ctx, budgetGb, servers, "lmcache");
      const name = processName(w, i);
      const list: string[] = [];
      for (let s = 0; s < servers; s++) {
        const { offloadRpc: rpc, offloadHttp: http } = gpuPorts(ctx.placement.portBase, r.gpus[s] ?? 0);
        list.push(`tcp://${node.ip}:${rpc}`);
        processes.push({
          nodeRank: r.nodeRank,
          spec: {
            name: `infra-lmcache-${name}-${s}`,
            role: "infra",
            image: ctx.d.image,
            argv: [
              "lmcache",
              "server",
              "--host",
              node.ip,
              "--port",
              String(rpc),
              "--http-host",
              node.ip,
              "--http-port",
              String(http),
              "--l1-size-gb",
              String(l1),
              "--l1-init-size-gb",
              String(Math.min(LMCACHE_L1_INIT_GB, l1)),
              "--l1-read-ttl-seconds",
              "7200",
              "--chunk-size",
              "256",
              "--max-workers",
              "2",
              "--eviction-policy",
              "LRU",
              "--supported-transfer-mode",
              "lmcache_driven",
            ],
            env: {},
            mounts: [],
            files: [],
            gpus: [],
            ports: { rpc, http },
            health: [ctx.httpHealth(node.ip, http, "/healthcheck")],
            stage: STAGE.infra,
            ownSession: false,
          },
        });
      }
      urls.set(name, list);
    });
  }
  return {
    processes,
    forRank(w, i) {
      const list = urls.get(processName(w, i))!;
      return {
        flags: {
          // written out as the scripts write it: the timeout is a float (6000.0) to the connector
          "kv-transfer-config": `{"kv_connector":"LMCacheMPConnector","kv_connector_module_path":"lmcache.integration.vllm.lmcache_mp_connector","kv_role":"kv_both","kv_connector_extra_config":{"lmcache.mp.server_urls":"${list.join(",")}","lmcache.mp.mq_timeout":6000.0}}`,
        },
        env: {},
        files: [],
      };
    },
  };
}
