/**
 * vLLM (`vllm serve`): -tp / DP with expert parallelism, `--no-enable-prefix-caching` for random
 * data, `--speculative-config` for MTP. PD: every instance gets `--kv-transfer-config` (NixlConnector
 * on NVIDIA, MoRIIOConnector on AMD) and a proxy/router fronts them on the leader (reference/engines.md §4).
 *
 * A worker wider than a node runs one process per node (vllmRankFlags); only its rank 0 serves:
 * - DP (dp-attn): rank 0 `--data-parallel-size-local L --data-parallel-address <rank-0 ip>
 *   --data-parallel-rpc-port P`, the others also `--headless --data-parallel-start-rank i*L`
 *   (engines.md §4, vLLM docs/serving/data_parallel_deployment.md).
 * - TP/PP across nodes (no dp-attn), vLLM's multiprocessing executor without Ray: every rank
 *   `--master-addr <rank-0 ip> --master-port P --nnodes K --node-rank r`, ranks > 0 also `--headless`.
 *   Sources: ai-dynamo/dynamo tests/serve/launch/multi_node_tp_headless.sh (those flags, `--headless`
 *   on rank 1); NVIDIA/srt-slurm src/srtctl/backends/vllm.py (build_worker_command: the same flags
 *   for a multi-node TP/PP endpoint, `--headless` on node rank > 0, `--host/--port` only on node
 *   rank 0, "the leader owns the OpenAI server"); vllm-project/vllm vllm/engine/arg_utils.py and
 *   vllm/config/parallel.py (`--master-port`, default 29501, "distributed master port for
 *   multi-node distributed inference when distributed_executor_backend is mp": passed from the
 *   attempt's port block instead of the default).
 * The rendezvous port (DP RPC or TP master) is the worker's rank-0 slot dist-init port.
 */
import { type HealthCheck, type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { agenticKvSettings } from "./agentic-kv.js";
import {
  envStrings,
  fixedLayer,
  layer,
  type PlacedProcess,
  processName,
  type RecipeContext,
  STAGE,
} from "./context.js";
import { kvOffloadServers, withKvStore } from "./kv-offload-servers.js";
import type { Flags, Layer, LayerPart } from "./layering.js";
import { renderFlags } from "./layering.js";
import type { WorkerLayout } from "./placement.js";

/** engines.md §4 example: num_speculative_tokens 2 */
export const VLLM_MTP_TOKENS = 2;
/** the proxy of vLLM's NIXL docs: a test tool shipped in the vLLM source tree */
export const VLLM_TOY_PROXY = "tests/v1/kv_connector/nixl_integration/toy_proxy_server.py";

export function vllmDefaults(): Layer {
  return layer("engine-defaults:vllm", [{ settings: { flags: { "no-enable-prefix-caching": true } } }]);
}

export function vllmEntry(ctx: RecipeContext): Layer {
  const parts: LayerPart[] = [];
  for (const role of ctx.engineRoles()) {
    const p = ctx.par(role)!;
    if (p.pcpSize > 1)
      throw new RecipeError(
        `${ctx.d.configKey}: vLLM recipe has no prefill context parallelism (pcp-size ${p.pcpSize}): not supported`,
      );
    const flags: Flags = {};
    if (p.dpAttn) {
      flags["tensor-parallel-size"] = 1;
      flags["data-parallel-size"] = p.tp;
    } else flags["tensor-parallel-size"] = p.tp;
    if (p.pp > 1) flags["pipeline-parallel-size"] = p.pp;
    if (p.dcpSize > 1) flags["decode-context-parallel-size"] = p.dcpSize;
    if (p.ep > 1) flags["enable-expert-parallel"] = true;
    // a prefill pool without decode workers serves aggregated (see dynamo.ts): it holds requests to the end
    if (role !== "prefill" || ctx.workers("decode").length === 0) flags["max-num-seqs"] = ctx.concPerWorker(role);
    if (ctx.d.maxModelLen !== undefined) flags["max-model-len"] = ctx.d.maxModelLen;
    const steps = ctx.mtpSteps(role, VLLM_MTP_TOKENS);
    if (steps !== undefined)
      flags["speculative-config"] = JSON.stringify({ method: "mtp", num_speculative_tokens: steps });
    const kv = agenticKvSettings(ctx, "vllm", role);
    parts.push({ roles: [role], settings: kv ? { flags: { ...flags, ...kv.flags }, env: kv.env } : { flags } });
  }
  return layer("entry", parts);
}

/** Whether rank i of a worker runs headless (no API server, no registration): every rank but 0 of a multi-node worker. */
export function vllmHeadless(w: WorkerLayout, i: number): boolean {
  return w.ranks.length > 1 && i > 0;
}

/**
 * Multi-node flags of rank i of a worker wider than a node (see the header): DP head/headless with
 * start ranks under dp-attn, else multi-node TP/PP through `--master-addr/--master-port/--nnodes/--node-rank`.
 */
export function vllmRankFlags(ctx: RecipeContext, w: WorkerLayout, i: number): Flags {
  if (w.ranks.length === 1) return {};
  const p = ctx.par(w.pool)!;
  const head = w.ranks[0]!;
  const headIp = ctx.node(head.nodeRank).ip;
  const port = ctx.slot(head).distInit;
  let flags: Flags;
  if (p.dpAttn) {
    const local = head.gpus.length;
    flags = {
      "data-parallel-size-local": local,
      "data-parallel-address": headIp,
      "data-parallel-rpc-port": port,
    };
    if (i > 0) flags["data-parallel-start-rank"] = i * local;
  } else {
    flags = {
      "master-addr": headIp,
      "master-port": port,
      nnodes: w.ranks.length,
      "node-rank": i,
    };
  }
  if (vllmHeadless(w, i)) flags.headless = true;
  return flags;
}

/** The rendezvous port rank 0 of a multi-node worker listens on (DP RPC or TP master), keyed for ProcessSpec.ports. */
export function vllmRankPorts(ctx: RecipeContext, w: WorkerLayout, i: number): Record<string, number> {
  if (w.ranks.length === 1 || i > 0) return {};
  const port = ctx.slot(w.ranks[0]!).distInit;
  return ctx.par(w.pool)!.dpAttn ? { dpRpc: port } : { master: port };
}

/** kv-transfer-config of a PD instance (per worker: MoRI-IO needs its own HTTP port). */
export function kvTransferConfig(ctx: RecipeContext, w: WorkerLayout, httpPort: number): string {
  const kv = ctx.d.kvP2pTransfer ?? (ctx.vendor === "amd" ? "mori" : "nixl");
  if (kv === "nixl")
    return JSON.stringify({ kv_connector: "NixlConnector", kv_role: "kv_both", kv_load_failure_policy: "fail" });
  if (kv === "mori") {
    if (ctx.vendor !== "amd")
      throw new RecipeError(`${ctx.d.configKey}: kv-p2p-transfer mori is AMD-only (SKU ${ctx.d.sku})`);
    return JSON.stringify({
      kv_connector: "MoRIIOConnector",
      kv_role: w.pool === "prefill" ? "kv_producer" : "kv_consumer",
      kv_connector_extra_config: {
        proxy_ip: ctx.leader.ip,
        proxy_ping_port: ctx.shared.proxyPing,
        http_port: httpPort,
        read_mode: true,
      },
    });
  }
  throw new RecipeError(
    `${ctx.d.configKey}: kv-p2p-transfer "${kv}" has no vLLM connector in this recipe (nixl, mori)`,
  );
}

export function vllmRecipe(ctx: RecipeContext) {
  const defaults = vllmDefaults();
  const entry = vllmEntry(ctx);
  // an offload backend's own servers (Mooncake master, LMCache) start first
  const offload = kvOffloadServers(ctx);
  const processes: PlacedProcess[] = [...offload.processes];
  for (const w of ctx.workers()) {
    w.ranks.forEach((r, i) => {
      const node = ctx.node(r.nodeRank);
      const slot = ctx.slot(r);
      const http = i === 0;
      // srt-slurm (backends/vllm.py): --host/--port only where the API server runs (node rank 0)
      const flags: Flags = {
        "served-model-name": ctx.d.model,
        ...(http ? { host: "0.0.0.0", port: slot.http } : {}),
        ...vllmRankFlags(ctx, w, i),
      };
      const store = offload.forRank(w, i);
      Object.assign(flags, store.flags);
      const env: Record<string, string> = { ...ctx.visibleDevices(r.gpus), ...store.env };
      if (ctx.isDisagg) {
        flags["kv-transfer-config"] = withKvStore(
          ctx,
          w.pool as "prefill" | "decode",
          kvTransferConfig(ctx, w, slot.http),
        );
        if (!ctx.d.kvP2pTransfer || ctx.d.kvP2pTransfer === "nixl") {
          env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
          env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(slot.nixlSideChannel);
          env.UCX_NET_DEVICES = "all";
        }
      }
      const s = ctx.resolve(w.pool, defaults, entry, fixedLayer([{ roles: [w.pool], settings: { flags, env } }]));
      const ports: Record<string, number> = {};
      if (http) ports.http = slot.http;
      Object.assign(ports, vllmRankPorts(ctx, w, i));
      if (env.VLLM_NIXL_SIDE_CHANNEL_PORT) ports.nixlSideChannel = slot.nixlSideChannel;
      const spec: ProcessSpec = {
        name: processName(w, i),
        role: w.pool,
        image: ctx.d.image,
        argv: ["vllm", "serve", ctx.d.model, ...renderFlags(s.flags)],
        env: envStrings(s.env),
        mounts: [],
        files: store.files,
        gpus: r.gpus,
        ports,
        health: http ? [ctx.httpHealth(node.ip, slot.http, "/health")] : [],
        stage: STAGE.workers,
        ownSession: false,
      };
      processes.push({ nodeRank: r.nodeRank, spec });
    });
  }
  if (!ctx.isDisagg) return { processes, ...ctx.aggregatedEndpoint() };
  const leader = ctx.leader;
  const port = ctx.shared.endpoint;
  const heads = (pool: "prefill" | "decode") =>
    ctx.workers(pool).map((w) => ({ ip: ctx.node(w.ranks[0]!.nodeRank).ip, port: ctx.slot(w.ranks[0]!).http }));
  let argv: string[];
  let health: HealthCheck[];
  const ports: Record<string, number> = { http: port };
  const kv = ctx.d.kvP2pTransfer ?? (ctx.vendor === "amd" ? "mori" : "nixl");
  if (kv === "mori") {
    argv = [
      "vllm-router",
      "--vllm-pd-disaggregation",
      "--kv-connector",
      "moriio",
      "--vllm-discovery-address",
      `0.0.0.0:${ctx.shared.proxyPing}`,
      "--host",
      "0.0.0.0",
      "--port",
      String(port),
      "--policy",
      "consistent_hash",
    ];
    ports.discovery = ctx.shared.proxyPing;
    health = [ctx.httpHealth(leader.ip, port, "/health")];
  } else {
    const p = heads("prefill");
    const d = heads("decode");
    argv = [
      "python3",
      VLLM_TOY_PROXY,
      "--host",
      "0.0.0.0",
      "--port",
      String(port),
      "--prefiller-hosts",
      ...p.map((x) => x.ip),
      "--prefiller-ports",
      ...p.map((x) => String(x.port)),
      "--decoder-hosts",
      ...d.map((x) => x.ip),
      "--decoder-ports",
      ...d.map((x) => String(x.port)),
    ];
    health = [{ kind: "tcp", host: leader.ip, port }];
    ctx.notes.push(
      `the NIXL proxy is vLLM's ${VLLM_TOY_PROXY}: the image must hold the vLLM source tree in the working directory`,
    );
  }
  const routerSettings = ctx.resolve("router", layer("engine-defaults:router", []), layer("entry", []), fixedLayer([]));
  const router: ProcessSpec = {
    name: "router",
    role: "router",
    image: ctx.d.image,
    argv: [...argv, ...renderFlags(routerSettings.flags)],
    env: envStrings(routerSettings.env),
    mounts: [],
    files: [],
    gpus: [],
    ports,
    health,
    stage: STAGE.front,
    ownSession: true,
  };
  processes.push({ nodeRank: 0, spec: router });
  return { processes, endpoint: { ip: leader.ip, port }, gangHealth: [ctx.canary(leader.ip, port)] };
}
