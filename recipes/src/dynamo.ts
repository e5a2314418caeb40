/**
 * NVIDIA Dynamo (`dynamo-sglang`, `dynamo-trt`, `dynamo-vllm`): etcd + NATS on the leader, the
 * frontend (`python3 -m dynamo.frontend --http-port`, it holds the router) and one
 * `python3 -m dynamo.{sglang,trtllm,vllm}` worker per prefill/decode instance with
 * `--disaggregation-mode` and NIXL KV transfer. The request plane is always explicit (its default
 * changed across releases). Ready = frontend /health lists the expected `generate` instances of
 * each pool, then a canary. reference/engines.md §2, §6 (srt-slurm setup_head.py, health.py).
 *
 * dynamo-vllm workers wider than a node (GB200/GB300: 4 GPUs a node, so DEP8, TP8, DEP16 span
 * 2-4 nodes) run one `python3 -m dynamo.vllm` per node with the flags of vllmRankFlags (vllm.ts):
 * - TP/PP across nodes: `--tensor-parallel-size N --nnodes K --node-rank r --master-addr <rank-0 ip>`,
 *   `--headless` on ranks > 0 (ai-dynamo/dynamo tests/serve/launch/multi_node_tp_headless.sh; NVIDIA/srt-slurm
 *   src/srtctl/backends/vllm.py build_worker_command, "Standard TP+PP multi-node coordination flags"),
 *   plus `--master-port` from the attempt's port block (vLLM vllm/engine/arg_utils.py).
 * - DP (dp-attn): rank 0 `--data-parallel-size D --data-parallel-size-local L --data-parallel-address
 *   <rank-0 ip> --data-parallel-rpc-port P`, the others `--headless --data-parallel-start-rank i*L`
 *   (reference/engines.md §4, vLLM's data_parallel_deployment.md). dynamo.vllm runs `--headless` as
 *   "vLLM workers only — no engine core, no scheduler, no Dynamo endpoints ... no NATS/etcd", for
 *   multi-node TP/PP and `mp` data parallelism (ai-dynamo/dynamo components/src/dynamo/vllm/headless.py),
 *   so a headless rank gets no DYN_SYSTEM_PORT and no health check, and only rank 0 registers:
 *   the frontend expects one `generate` instance per worker. The rank-0 engine then balances over
 *   all D ranks (vLLM's internal DP load balancing, which dynamo vllm/dp_topology.py accepts).
 *   srt-slurm differs here: its default `dp_launch_mode: per_node` gives every node's process
 *   `--data-parallel-size-local L --data-parallel-start-rank R --data-parallel-address
 *   --data-parallel-rpc-port --data-parallel-hybrid-lb` with no `--headless`, so every node
 *   registers and its health check expects one instance per node process (backends/vllm.py,
 *   cli/mixins/benchmark_stage.py _vllm_health_entries). We keep one registration per worker.
 * - every process: CUDA_VISIBLE_DEVICES of its node's GPUs, and its own NIXL side channel
 *   (VLLM_NIXL_SIDE_CHANNEL_HOST = its node's ip, _PORT = its slot's port; vLLM adds the DP rank):
 *   srt-slurm get_process_environment / core/topology.py endpoints_to_processes give every node
 *   process its own side-channel port and host.
 * - a disagg entry with decode num-worker 0 is aggregated serving written as a prefill pool (the
 *   reference configs' "Aggregate low latency: TP=8", CONFIG_FILE agg-*.yaml, and the agentic
 *   `*-agg` entries): the worker serves whole requests, without `--disaggregation-mode`, KV
 *   transfer (vLLM `--kv-transfer-config`, SGLang `--disaggregation-transfer-backend` and bootstrap
 *   port, TensorRT-LLM `cache_transceiver_config`) or prefill-only settings (srt-slurm
 *   backends/vllm.py mode "agg"; recipes/vllm/deepseek-v4-pro/8k1k/agg-gb200-tep8.yaml
 *   `connector: null`; the lab's srt-slurm-recipes/sglang/deepseek-v4/agentic/agg-gb300-tp4-mtp-kvoffload.yaml
 *   `sglang_config.aggregated`, max-running-requests and cuda-graph-max-bs set) and registers as
 *   `backend` / `tensorrt_llm` (srt-slurm core/health.py).
 */
import { type HealthCheck, type ProcessSpec, RecipeError } from "@benchfleet/shared";
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
import type { Flags } from "./layering.js";
import { renderFlags } from "./layering.js";
import { sglangDefaults, sglangEntry, sglangWorkerProcesses } from "./sglang.js";
import { trtDefaults, trtEntry, trtLaunchPrefix, trtMpi, trtOptionsYaml } from "./trt.js";
import { vllmDefaults, vllmEntry, vllmHeadless, vllmRankFlags, vllmRankPorts } from "./vllm.js";

export const REQUEST_PLANE = "tcp";
/** srtctl counts `generate` instances of these components (src/srtctl/core/health.py) */
export const PREFILL_COMPONENTS = ["prefill"];
export const DECODE_COMPONENTS = ["decode", "tensorrt_llm", "backend"];

export type DynamoBackend = "sglang" | "trtllm" | "vllm";

function infra(ctx: RecipeContext): PlacedProcess[] {
  const ip = ctx.leader.ip;
  const { etcdClient, etcdPeer, nats } = ctx.shared;
  const etcd: ProcessSpec = {
    name: "infra-etcd",
    role: "infra",
    image: ctx.d.image,
    argv: [
      "etcd",
      "--name",
      "benchfleet",
      "--data-dir",
      `/tmp/benchfleet-etcd-${etcdClient}`,
      "--listen-client-urls",
      `http://0.0.0.0:${etcdClient}`,
      "--advertise-client-urls",
      `http://${ip}:${etcdClient}`,
      "--listen-peer-urls",
      `http://0.0.0.0:${etcdPeer}`,
      "--initial-advertise-peer-urls",
      `http://${ip}:${etcdPeer}`,
      "--initial-cluster",
      `benchfleet=http://${ip}:${etcdPeer}`,
    ],
    env: {},
    mounts: [],
    files: [],
    gpus: [],
    ports: { client: etcdClient, peer: etcdPeer },
    health: [ctx.httpHealth(ip, etcdClient, "/health")],
    stage: STAGE.infra,
    ownSession: false,
  };
  const natsServer: ProcessSpec = {
    name: "infra-nats",
    role: "infra",
    image: ctx.d.image,
    argv: ["nats-server", "-js", "-sd", `/tmp/benchfleet-nats-${nats}`, "-a", "0.0.0.0", "-p", String(nats)],
    env: {},
    mounts: [],
    files: [],
    gpus: [],
    ports: { client: nats },
    health: [{ kind: "tcp", host: ip, port: nats }],
    stage: STAGE.infra,
    ownSession: false,
  };
  return [
    { nodeRank: 0, spec: etcd },
    { nodeRank: 0, spec: natsServer },
  ];
}

function dynamoEnv(ctx: RecipeContext): Record<string, string> {
  const ip = ctx.leader.ip;
  return {
    ETCD_ENDPOINTS: `http://${ip}:${ctx.shared.etcdClient}`,
    NATS_SERVER: `nats://${ip}:${ctx.shared.nats}`,
    DYN_REQUEST_PLANE: REQUEST_PLANE,
    HEAD_NODE_IP: ip,
  };
}

/**
 * A disagg entry whose decode pool has no worker is aggregated serving written as a prefill pool
 * (the reference configs' "Aggregate low latency: TP=8" entries, CONFIG_FILE agg-*.yaml).
 */
export function aggregatedInPrefillPool(ctx: RecipeContext): boolean {
  return ctx.isDisagg && ctx.workers("decode").length === 0;
}

function expectedInstances(ctx: RecipeContext): NonNullable<HealthCheck["expectInstances"]> {
  if (!ctx.isDisagg || aggregatedInPrefillPool(ctx)) {
    const pool = ctx.isDisagg ? "prefill" : "worker";
    return [{ components: DECODE_COMPONENTS, endpoint: "generate", count: ctx.workers(pool).length }];
  }
  return [
    { components: PREFILL_COMPONENTS, endpoint: "generate", count: ctx.workers("prefill").length },
    { components: DECODE_COMPONENTS, endpoint: "generate", count: ctx.workers("decode").length },
  ];
}

function kvNixl(ctx: RecipeContext, backend: DynamoBackend): void {
  const kv = ctx.d.kvP2pTransfer;
  if (backend !== "sglang" && kv && kv !== "nixl" && !(backend === "trtllm" && kv === "ucx")) {
    throw new RecipeError(
      `${ctx.d.configKey}: dynamo-${backend === "trtllm" ? "trt" : backend} transfers KV with NIXL; kv-p2p-transfer "${kv}" is not supported`,
    );
  }
}

export function dynamoRecipe(ctx: RecipeContext, backend: DynamoBackend) {
  kvNixl(ctx, backend);
  const agg = aggregatedInPrefillPool(ctx);
  const common = dynamoEnv(ctx);
  let workers: PlacedProcess[] = [];
  if (backend === "sglang") {
    workers = sglangWorkerProcesses(ctx, {
      module: "dynamo.sglang",
      http: false,
      defaults: sglangDefaults(ctx),
      entry: sglangEntry(ctx, "nixl"),
      role: agg ? "worker" : undefined,
      fixed: (w, i) => {
        const r = w.ranks[i]!;
        const slot = ctx.slot(r);
        const node = ctx.node(r.nodeRank);
        const flags: Flags = { "request-plane": REQUEST_PLANE, "nccl-port": slot.nccl };
        if (!ctx.servesDisagg) return { flags, env: { ...common, DYN_SYSTEM_PORT: String(slot.system) } };
        flags["disaggregation-mode"] = w.pool;
        if (w.pool === "prefill") flags["disaggregation-bootstrap-port"] = ctx.slot(w.ranks[0]!).bootstrap;
        if ((ctx.d.kvP2pTransfer ?? "nixl") !== "nixl" && node.rdmaDevices.length) {
          flags["disaggregation-ib-device"] = node.rdmaDevices.join(",");
        }
        return { flags, env: { ...common, DYN_SYSTEM_PORT: String(slot.system) } };
      },
    });
  } else {
    const defaults = backend === "trtllm" ? trtDefaults(ctx) : vllmDefaults();
    const entry = backend === "trtllm" ? trtEntry(ctx, true) : vllmEntry(ctx);
    // an offload backend's own servers (Mooncake master, LMCache) start with etcd and NATS
    const offload = backend === "vllm" ? kvOffloadServers(ctx) : undefined;
    if (offload) workers.push(...offload.processes);
    for (const w of ctx.workers()) {
      w.ranks.forEach((r, i) => {
        const slot = ctx.slot(r);
        const node = ctx.node(r.nodeRank);
        const name = processName(w, i);
        // a headless dynamo.vllm rank runs vLLM workers only, no Dynamo runtime (dynamo vllm/headless.py): no system port
        const headless = backend === "vllm" && vllmHeadless(w, i);
        const env: Record<string, string> = {
          ...common,
          ...ctx.visibleDevices(r.gpus),
          ...(headless ? {} : { DYN_SYSTEM_PORT: String(slot.system) }),
        };
        let flags: Flags;
        const files: ProcessSpec["files"] = [];
        let prefix: string[] = [];
        let mpi: ProcessSpec["mpi"];
        if (backend === "trtllm") {
          const file = `trt/${name}.yaml`;
          flags = { "model-path": ctx.d.model, "served-model-name": ctx.d.model, "extra-engine-args": file };
          if (ctx.servesDisagg) flags["disaggregation-mode"] = w.pool;
          ({ prefix } = trtLaunchPrefix(ctx, w));
          mpi = trtMpi(ctx, w, i);
          const s = ctx.resolve(w.pool, defaults, entry, fixedLayer([{ roles: [w.pool], settings: { flags, env } }]));
          files.push({ path: file, content: trtOptionsYaml(w.pool, s.config) });
          flags = s.flags;
          Object.assign(env, envStrings(s.env));
        } else {
          const store = offload!.forRank(w, i);
          flags = { model: ctx.d.model, "served-model-name": ctx.d.model, ...vllmRankFlags(ctx, w, i), ...store.flags };
          Object.assign(env, store.env);
          files.push(...store.files);
          if (ctx.isDisagg && !agg) {
            flags["disaggregation-mode"] = w.pool;
            flags["kv-transfer-config"] = withKvStore(
              ctx,
              w.pool as "prefill" | "decode",
              JSON.stringify({ kv_connector: "NixlConnector", kv_role: "kv_both" }),
            );
            env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
            env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(slot.nixlSideChannel);
          }
          const s = ctx.resolve(w.pool, defaults, entry, fixedLayer([{ roles: [w.pool], settings: { flags, env } }]));
          flags = s.flags;
          Object.assign(env, envStrings(s.env));
        }
        const module = backend === "trtllm" ? "dynamo.trtllm" : "dynamo.vllm";
        const ports: Record<string, number> = headless ? {} : { system: slot.system };
        if (backend === "vllm") Object.assign(ports, vllmRankPorts(ctx, w, i));
        if (env.VLLM_NIXL_SIDE_CHANNEL_PORT) ports.nixlSideChannel = slot.nixlSideChannel;
        workers.push({
          nodeRank: r.nodeRank,
          spec: {
            name,
            role: agg ? "worker" : w.pool,
            image: ctx.d.image,
            argv: [...prefix, "python3", "-m", module, ...renderFlags(flags)],
            env: Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
            mounts: [],
            files,
            gpus: r.gpus,
            ports,
            health: [],
            stage: STAGE.workers,
            ownSession: false,
            ...(mpi ? { mpi } : {}),
          },
        });
      });
    }
  }
  const ip = ctx.leader.ip;
  const port = ctx.shared.endpoint;
  const fe = ctx.resolve(
    "frontend",
    layer("engine-defaults:frontend", []),
    layer("entry", []),
    fixedLayer([
      { roles: ["frontend"], settings: { flags: { "http-port": port, "request-plane": REQUEST_PLANE }, env: common } },
    ]),
  );
  const frontend: ProcessSpec = {
    name: "frontend",
    role: "frontend",
    image: ctx.d.image,
    argv: ["python3", "-m", "dynamo.frontend", ...renderFlags(fe.flags)],
    env: envStrings(fe.env),
    mounts: [],
    files: [],
    gpus: [],
    ports: { http: port },
    health: [ctx.httpHealth(ip, port, "/health", { expectInstances: expectedInstances(ctx) })],
    stage: STAGE.front,
    ownSession: false,
  };
  return {
    processes: [...infra(ctx), ...workers, { nodeRank: 0, spec: frontend }],
    endpoint: { ip, port },
    gangHealth: [ctx.canary(ip, port)],
  };
}
