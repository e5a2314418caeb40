/**
 * vLLM workers from an srt-slurm recipe, as srtctl starts them (pure): backends/vllm.py
 * endpoints_to_processes (one process per node; a data-parallel role launched per node, the
 * default `dp_launch_mode`) and build_worker_command for the dynamo frontend:
 * `python3 -m dynamo.vllm --model M --served-model-name N [--disaggregation-mode ROLE]
 * [--kv-transfer-config JSON] [--device-ids G] <topology flags> --request-plane P <config>`.
 * The connector (`connector`, per role or the backend's, `nixl` by default, null for none) becomes
 * `--kv-transfer-config` as srtctl's _CONNECTOR_MAP writes it. Topology flags:
 *  - data parallel (`data-parallel-size` in the role's config), replica (TP×PP) within a node:
 *    `--data-parallel-size-local L --data-parallel-start-rank R --data-parallel-address <leader>
 *    --data-parallel-rpc-port P --data-parallel-hybrid-lb` on each node, the recipe's own values
 *    of those flags dropped;
 *  - data parallel, replica wider than a node, or TP/PP across nodes: `--master-addr <leader>
 *    --nnodes K --node-rank r` (plus the DP address and RPC port under DP), `--headless` off the leader.
 * Environment: srtctl's worker stage (as SGLang's) plus the process variables of
 * get_process_environment: DYN_VLLM_KV_EVENT_PORT, VLLM_NIXL_SIDE_CHANNEL_PORT/HOST, and VLLM_PORT
 * for a worker on one node (unset for a worker across nodes, as srtctl does).
 *
 * Ports come from the attempt's block (ports.ts): DP RPC the leader's dist-init port, NIXL side
 * channel the leader slot's base (+ DP rank, as vLLM adds), VLLM_PORT the port after dist-init,
 * and `--master-port` the leader's NCCL port (srtctl leaves vLLM's default, which two attempts on
 * one node would share).
 */
import { RecipeError } from "@benchfleet/shared";
import { type PlacedProcess, STAGE } from "../context.js";
import { configToCliArgs, templateEnv } from "./render-config.js";
import { type Mode, proc, type SrtWorkerContext } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";

export type VllmRecipe = SrtRecipe & { backend: Extract<SrtRecipe["backend"], { type: "vllm" }> };

const DEFAULT_WORKER_DYN_LOG = "info,dynamo_runtime::pipeline::network::ingress::push_handler=warn";
/** NIXL side-channel ports a worker slot holds (ports.ts: slot base + 24 .. + 47) */
const NIXL_PORTS_PER_SLOT = 24;

const CONNECTORS: Record<string, Record<string, string>> = {
  nixl: { kv_connector: "NixlConnector", kv_role: "kv_both" },
  lmcache: { kv_connector: "LMCacheConnectorV1", kv_role: "kv_both" },
  kvbm: {
    kv_connector: "DynamoConnector",
    kv_connector_module_path: "kvbm.vllm_integration.connector",
    kv_role: "kv_both",
  },
};

/** Python's json.dumps with its default separators (", " and ": "). */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJsonDumps(x)}`)
      .join(", ")}}`;
  return JSON.stringify(v);
}

export function vllmConfig(r: VllmRecipe, mode: Mode): Record<string, unknown> {
  const c = r.backend.vllm_config;
  return { ...((mode === "agg" ? c?.aggregated : c?.[mode]) ?? {}) };
}

const get = (c: Record<string, unknown>, kebab: string): unknown => c[kebab] ?? c[kebab.replace(/-/g, "_")];
const pop = (c: Record<string, unknown>, kebab: string) => {
  delete c[kebab];
  delete c[kebab.replace(/-/g, "_")];
};
const num = (v: unknown, dflt: number) => (typeof v === "number" && v > 0 ? v : dflt);

/** backends/vllm.py get_served_model_name: prefill, aggregated, then decode config */
export function vllmServedModelName(r: VllmRecipe, fallback: string): string {
  const c = r.backend.vllm_config;
  for (const cfg of [c?.prefill, c?.aggregated, c?.decode]) {
    const name = cfg?.["served-model-name"] || cfg?.served_model_name;
    if (typeof name === "string" && name) return name;
  }
  return fallback;
}

export function vllmWorkers(s: SrtWorkerContext, r: VllmRecipe, dyn: Record<string, string>): PlacedProcess[] {
  const { ctx } = s;
  const out: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    const mode: Mode = s.agg ? "agg" : (w.pool as "prefill" | "decode");
    const config = vllmConfig(r, mode);
    const dpSize = get(config, "data-parallel-size");
    const dp = dpSize !== undefined && dpSize !== null;
    const tp = num(get(config, "tensor-parallel-size"), 1);
    const pp = num(get(config, "pipeline-parallel-size"), 1);
    const replica = tp * pp;
    const leaderRank = w.ranks[0]!;
    const leaderIp = ctx.node(leaderRank.nodeRank).ip;
    const leaderSlot = ctx.slot(leaderRank);
    const multi = w.ranks.length > 1;
    const local = leaderRank.gpus.length;
    const where = `backend.vllm_config.${mode === "agg" ? "aggregated" : mode}`;
    if (dp) {
      const size = num(dpSize, w.gpusPerWorker / replica);
      if (size * replica !== w.gpusPerWorker)
        throw new RecipeError(
          `${where}: data-parallel-size ${size} × tensor-parallel-size ${tp} × pipeline-parallel-size ${pp} needs ${size * replica} GPUs but the worker has ${w.gpusPerWorker}`,
        );
      if (size > NIXL_PORTS_PER_SLOT)
        throw new RecipeError(
          `${where}: data-parallel-size ${size}: more NIXL side-channel ports than a worker slot holds`,
        );
      if (replica <= local && local % replica !== 0)
        throw new RecipeError(`${where}: TP×PP ${replica} does not divide the node's ${local} GPUs`);
      if (replica > local && replica % local !== 0)
        throw new RecipeError(`${where}: TP×PP ${replica} does not span whole nodes of ${local} GPUs`);
    }
    const modeConnector = config.connector;
    delete config.connector;
    const connector =
      modeConnector !== undefined && modeConnector !== null ? String(modeConnector) : r.backend.connector;
    if (dp) {
      for (const k of [
        "data-parallel-rpc-port",
        "data-parallel-size-local",
        "data-parallel-start-rank",
        "data-parallel-hybrid-lb",
        "headless",
      ])
        pop(config, k);
    }
    w.ranks.forEach((rank, i) => {
      const node = ctx.node(rank.nodeRank);
      const slot = ctx.slot(rank);
      const argv = ["python3", "-m", "dynamo.vllm", "--model", ctx.d.model, "--served-model-name", s.served];
      if (mode !== "agg") argv.push("--disaggregation-mode", mode);
      if (connector && connector !== "null" && connector !== "none") {
        const preset = CONNECTORS[connector.toLowerCase()];
        argv.push("--kv-transfer-config", preset ? pyJsonDumps(preset) : connector);
      }
      if (!r.backend.set_cuda_visible_devices && rank.gpus.length)
        argv.push("--device-ids", [...rank.gpus].sort((a, b) => a - b).join(","));
      const across = ["--master-addr", leaderIp, "--master-port", String(leaderSlot.nccl)];
      across.push("--nnodes", String(w.ranks.length), "--node-rank", String(i));
      const ports: Record<string, number> = { system: slot.system, nixlSideChannel: slot.nixlSideChannel };
      if (dp) {
        const dpFlags = ["--data-parallel-address", leaderIp, "--data-parallel-rpc-port", String(leaderSlot.distInit)];
        if (replica > local) {
          argv.push(...across, ...dpFlags);
          if (i === 0) ports.master = leaderSlot.nccl;
          if (i > 0) argv.push("--headless");
        } else {
          const localDp = local / replica;
          argv.push("--data-parallel-size-local", String(localDp), "--data-parallel-start-rank", String(i * localDp));
          argv.push(...dpFlags, "--data-parallel-hybrid-lb");
        }
        if (i === 0) ports.dpRpc = leaderSlot.distInit;
        if (replica <= local) ports.nixlSideChannel = leaderSlot.nixlSideChannel + (i * local) / replica;
      } else if (multi) {
        argv.push(...across);
        if (i > 0) argv.push("--headless");
        else ports.master = leaderSlot.nccl;
      }
      argv.push("--request-plane", r.dynamo.request_plane, ...configToCliArgs(config));
      const vars = { node: node.hostname, node_id: s.workerNodes.indexOf(rank.nodeRank) };
      const env: Record<string, string> = {
        HEAD_NODE_IP: s.head,
        ...dyn,
        DYN_SYSTEM_PORT: String(slot.system),
        DYN_LOG: DEFAULT_WORKER_DYN_LOG,
        ...templateEnv(roleEnvironment(r, mode), vars),
        ...templateEnv(s.runtimeEnv, vars),
      };
      if (r.backend.set_cuda_visible_devices && rank.gpus.length < ctx.placement.nodes[rank.nodeRank]!.gpuCount)
        Object.assign(env, ctx.visibleDevices(rank.gpus));
      env.DYN_VLLM_KV_EVENT_PORT = String(slot.kvEvents);
      // a DP role shares one NIXL base across its nodes: vLLM adds the DP rank
      const nixl = dp ? leaderSlot.nixlSideChannel : slot.nixlSideChannel;
      env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(nixl);
      env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
      if (!multi) env.VLLM_PORT = String(slot.distInit + 1);
      out.push({
        nodeRank: rank.nodeRank,
        spec: proc(
          `${s.agg ? "agg" : w.pool}-${w.index}-rank${i}`,
          s.agg ? "worker" : w.pool,
          ctx.d.image,
          s.wrap(argv),
          env,
          s.mounts,
          rank.gpus,
          ports,
          STAGE.workers,
        ),
      });
    });
  }
  return out;
}

function roleEnvironment(r: VllmRecipe, mode: Mode): Record<string, string> {
  return mode === "agg" ? r.backend.aggregated_environment : r.backend[`${mode}_environment`];
}
