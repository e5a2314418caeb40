/**
 * Deterministic port layout of one attempt on every node of its gang. An attempt owns a block of
 * PORT_BLOCK ports from `portBase`; each node uses the same offsets, so any node can compute the
 * ports of any other (dist-init address, router targets, etcd/NATS on the leader).
 *
 *   base + 0..7         shared: public endpoint (server / router / frontend), etcd client and peer,
 *                       NATS, proxy ping (vLLM MoRI-IO discovery), vLLM DP RPC
 *   base + 64 + 48*s    worker slot s (0..7) on the node: HTTP, prefill bootstrap, Dynamo system port,
 *                       NCCL, KV events, dist-init (+1..+15 are used by SGLang internals after it),
 *                       vLLM NIXL side channel (+dp_rank)
 *   base + 448..463     per GPU g (0..7) of the node: the KV-offload server beside the engine
 *                       process that holds it (LMCache RPC +g, HTTP +8+g)
 *   base + 464..466     Mooncake store master: RPC, metrics, HTTP metadata server
 *
 * Engine defaults are never used: SGLang's bootstrap 8998 collided with Dynamo's infra on the head node
 * (srt-slurm), so a block that would contain a well-known default port is refused.
 */
import { PORT_BLOCK, RESERVED_PORTS, RecipeError } from "@benchfleet/shared";

export { PORT_BASES, PORT_BLOCK, portBaseForAttempt, RESERVED_PORTS } from "@benchfleet/shared";

export const MAX_SLOTS_PER_NODE = 8;
const SLOT_BASE = 64;
const SLOT_STRIDE = 48;
const MAX_GPUS_PER_NODE = 8;
const GPU_BASE = SLOT_BASE + MAX_SLOTS_PER_NODE * SLOT_STRIDE;
const KV_STORE_BASE = GPU_BASE + 2 * MAX_GPUS_PER_NODE;

export interface SharedPorts {
  endpoint: number;
  etcdClient: number;
  etcdPeer: number;
  nats: number;
  proxyPing: number;
  dpRpc: number;
  /** Mooncake store master: RPC, and its metrics HTTP server (else on its default 9003) */
  kvStoreMaster: number;
  kvStoreMetrics: number;
  /** its embedded HTTP metadata server (srt-slurm recipes' `mooncake_kv_store`) */
  kvStoreMetadata: number;
}

/** Ports of the KV-offload server beside GPU g of a node (LMCache: one per GPU). */
export interface GpuPorts {
  offloadRpc: number;
  offloadHttp: number;
}

export interface SlotPorts {
  http: number;
  bootstrap: number;
  system: number;
  nccl: number;
  kvEvents: number;
  distInit: number;
  nixlSideChannel: number;
}

export function sharedPorts(base: number): SharedPorts {
  return {
    endpoint: base,
    etcdClient: base + 1,
    etcdPeer: base + 2,
    nats: base + 3,
    proxyPing: base + 4,
    dpRpc: base + 5,
    kvStoreMaster: base + KV_STORE_BASE,
    kvStoreMetrics: base + KV_STORE_BASE + 1,
    kvStoreMetadata: base + KV_STORE_BASE + 2,
  };
}

export function slotPorts(base: number, slot: number): SlotPorts {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS_PER_NODE) {
    throw new RecipeError(`worker slot ${slot} out of range: at most ${MAX_SLOTS_PER_NODE} workers per node`);
  }
  const b = base + SLOT_BASE + slot * SLOT_STRIDE;
  return {
    http: b,
    bootstrap: b + 1,
    system: b + 2,
    nccl: b + 3,
    kvEvents: b + 4,
    distInit: b + 8,
    nixlSideChannel: b + 24,
  };
}

export function gpuPorts(base: number, gpu: number): GpuPorts {
  if (!Number.isInteger(gpu) || gpu < 0 || gpu >= MAX_GPUS_PER_NODE) {
    throw new RecipeError(`GPU ${gpu} out of range: offload server ports exist for GPUs 0..${MAX_GPUS_PER_NODE - 1}`);
  }
  return { offloadRpc: base + GPU_BASE + gpu, offloadHttp: base + GPU_BASE + MAX_GPUS_PER_NODE + gpu };
}

/** Throws RecipeError when the attempt's block is out of range or holds a reserved default port. */
export function checkPortBase(base: number): void {
  if (!Number.isInteger(base) || base < 1024 || base + PORT_BLOCK - 1 > 65535) {
    throw new RecipeError(
      `placement.portBase ${base} invalid: the block [base, base+${PORT_BLOCK}) must lie in 1024..65535`,
    );
  }
  const hit = RESERVED_PORTS.find((p) => p >= base && p < base + PORT_BLOCK);
  if (hit !== undefined) {
    throw new RecipeError(
      `placement.portBase ${base} invalid: its block [${base}, ${base + PORT_BLOCK}) contains the engine default port ${hit}`,
    );
  }
}
