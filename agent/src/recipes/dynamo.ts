/**
 * NVIDIA Dynamo (`dynamo-sglang`, `dynamo-trt`, `dynamo-vllm`): etcd + NATS on the leader, the
 * frontend (`python3 -m dynamo.frontend --http-port`, it holds the router) and one
 * `python3 -m dynamo.{sglang,trtllm,vllm}` worker per prefill/decode instance with
 * `--disaggregation-mode` and NIXL KV transfer. The request plane is always explicit (its default
 * changed across releases). Ready = frontend /health lists the expected `generate` instances of
 * each pool, then a canary. reference/engines.md §2, §6 (srt-slurm setup_head.py, health.py).
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
import type { Flags } from "./layering.js";
import { renderFlags } from "./layering.js";
import { sglangDefaults, sglangEntry, sglangWorkerProcesses } from "./sglang.js";
import { trtDefaults, trtEntry, trtLaunchPrefix, trtMpi, trtOptionsYaml } from "./trt.js";
import { vllmDefaults, vllmEntry, vllmRankFlags } from "./vllm.js";

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

function expectedInstances(ctx: RecipeContext): NonNullable<HealthCheck["expectInstances"]> {
  if (!ctx.isDisagg)
    return [{ components: DECODE_COMPONENTS, endpoint: "generate", count: ctx.workers("worker").length }];
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
  const common = dynamoEnv(ctx);
  let workers: PlacedProcess[] = [];
  if (backend === "sglang") {
    workers = sglangWorkerProcesses(ctx, {
      module: "dynamo.sglang",
      http: false,
      defaults: sglangDefaults(ctx),
      entry: sglangEntry(ctx, "nixl"),
      fixed: (w, i) => {
        const r = w.ranks[i]!;
        const slot = ctx.slot(r);
        const node = ctx.node(r.nodeRank);
        const flags: Flags = { "request-plane": REQUEST_PLANE, "nccl-port": slot.nccl };
        if (ctx.isDisagg) flags["disaggregation-mode"] = w.pool;
        if (w.pool === "prefill") flags["disaggregation-bootstrap-port"] = ctx.slot(w.ranks[0]!).bootstrap;
        if (ctx.isDisagg && (ctx.d.kvP2pTransfer ?? "nixl") !== "nixl" && node.rdmaDevices.length) {
          flags["disaggregation-ib-device"] = node.rdmaDevices.join(",");
        }
        return { flags, env: { ...common, DYN_SYSTEM_PORT: String(slot.system) } };
      },
    });
  } else {
    const defaults = backend === "trtllm" ? trtDefaults(ctx) : vllmDefaults();
    const entry = backend === "trtllm" ? trtEntry(ctx, true) : vllmEntry(ctx);
    for (const w of ctx.workers()) {
      w.ranks.forEach((r, i) => {
        const slot = ctx.slot(r);
        const node = ctx.node(r.nodeRank);
        const name = processName(w, i);
        const env: Record<string, string> = {
          ...common,
          ...ctx.visibleDevices(r.gpus),
          DYN_SYSTEM_PORT: String(slot.system),
        };
        let flags: Flags;
        const files: ProcessSpec["files"] = [];
        let prefix: string[] = [];
        let mpi: ProcessSpec["mpi"];
        if (backend === "trtllm") {
          const file = `trt/${name}.yaml`;
          flags = { "model-path": ctx.d.model, "served-model-name": ctx.d.model, "extra-engine-args": file };
          if (ctx.isDisagg) flags["disaggregation-mode"] = w.pool;
          ({ prefix } = trtLaunchPrefix(ctx, w));
          mpi = trtMpi(ctx, w, i);
          const s = ctx.resolve(w.pool, defaults, entry, fixedLayer([{ roles: [w.pool], settings: { flags, env } }]));
          files.push({ path: file, content: trtOptionsYaml(w.pool, s.config) });
          flags = s.flags;
          Object.assign(env, envStrings(s.env));
        } else {
          if (w.ranks.length > 1) {
            vllmRankFlags(ctx, w, i); // throws for TP across nodes
            throw new RecipeError(
              `${ctx.d.configKey}: dynamo-vllm with a ${w.pool} worker spanning ${w.ranks.length} nodes: not supported yet`,
            );
          }
          flags = { model: ctx.d.model, "served-model-name": ctx.d.model };
          if (ctx.isDisagg) {
            flags["disaggregation-mode"] = w.pool;
            flags["kv-transfer-config"] = JSON.stringify({ kv_connector: "NixlConnector", kv_role: "kv_both" });
            env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
            env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(slot.nixlSideChannel);
          }
          const s = ctx.resolve(w.pool, defaults, entry, fixedLayer([{ roles: [w.pool], settings: { flags, env } }]));
          flags = s.flags;
          Object.assign(env, envStrings(s.env));
        }
        const module = backend === "trtllm" ? "dynamo.trtllm" : "dynamo.vllm";
        const ports: Record<string, number> = { system: slot.system };
        if (env.VLLM_NIXL_SIDE_CHANNEL_PORT) ports.nixlSideChannel = slot.nixlSideChannel;
        workers.push({
          nodeRank: r.nodeRank,
          spec: {
            name,
            role: w.pool,
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
