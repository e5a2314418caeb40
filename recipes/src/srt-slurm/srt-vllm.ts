/**
 * vLLM workers from an srt-slurm recipe, as srtctl starts them (pure): backends/vllm.py
 * endpoints_to_processes (one process per node; a data-parallel role launched per node, the
 * default `dp_launch_mode`) and build_worker_command for the dynamo frontend:
 * `python3 -m dynamo.vllm --model M --served-model-name N [--disaggregation-mode ROLE]
 * [--kv-transfer-config JSON] [--device-ids G] <topology flags> --request-plane P
 * [--kv-events-config JSON] <config>` (srt-kv-events.ts).
 * The connector (`connector`, per role or the backend's, `nixl` by default, null for none) becomes
 * `--kv-transfer-config` as srtctl's _CONNECTOR_MAP writes it. Topology flags:
 *  - data parallel (`data-parallel-size` in the role's config), replica (TP×PP) within a node:
 *    `--data-parallel-size-local L --data-parallel-start-rank R --data-parallel-address <leader>
 *    --data-parallel-rpc-port P --data-parallel-hybrid-lb` on each node, the recipe's own values
 *    of those flags dropped;
 *  - data parallel with `dp_launch_mode: per_gpu`: one process per GPU with
 *    `--data-parallel-rank R --data-parallel-address <leader> --data-parallel-rpc-port P`, the
 *    recipe's config otherwise unchanged (srt-vllm-per-gpu.ts);
 *  - data parallel, replica wider than a node, or TP/PP across nodes: `--master-addr <leader>
 *    --nnodes K --node-rank r` (plus the DP address and RPC port under DP), `--headless` off the leader.
 * Environment: srtctl's worker stage (as SGLang's) plus the process variables of
 * get_process_environment: DYN_VLLM_KV_EVENT_PORT, VLLM_NIXL_SIDE_CHANNEL_PORT/HOST, and VLLM_PORT
 * for a worker on one node (unset for a worker across nodes, as srtctl does). The frontend waits for
 * the Dynamo instances srtctl's health check counts (vllmInstances).
 *
 * Ports come from the attempt's block (ports.ts): DP RPC the leader's dist-init port, NIXL side
 * channel the leader slot's base (+ DP rank, as vLLM adds), VLLM_PORT the port after dist-init,
 * and `--master-port` the leader's NCCL port (srtctl leaves vLLM's default, which two attempts on
 * one node would share).
 */
import { RecipeError } from "@benchfleet/shared";
import { type PlacedProcess, STAGE } from "../context.js";
import type { WorkerLayout, WorkerRank } from "../placement.js";
import type { SlotPorts } from "../ports.js";
import { configToCliArgs, pyJsonDumps, templateEnv } from "./render-config.js";
import { kvEventsFor, kvEventsLaunch } from "./srt-kv-events.js";
import { type Mode, proc, type SrtWorkerContext } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";
import { perGpuProcesses } from "./srt-vllm-per-gpu.js";

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
    const mode = workerMode(s, w);
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
    const kvEvents = kvEventsFor(r.backend.kv_events_config, mode, "vllm");
    const modeConnector = config.connector;
    delete config.connector;
    const connector =
      modeConnector !== undefined && modeConnector !== null ? String(modeConnector) : r.backend.connector;
    if (dp) {
      // per GPU, srtctl drops only the RPC port (it allocates its own); per node, every topology flag
      const derived = perGpu(r, mode)
        ? ["data-parallel-rpc-port"]
        : [
            "data-parallel-rpc-port",
            "data-parallel-size-local",
            "data-parallel-start-rank",
            "data-parallel-hybrid-lb",
            "headless",
          ];
      for (const k of derived) pop(config, k);
    }
    const argvHead = (gpus: number[]) => {
      const argv = ["python3", "-m", "dynamo.vllm", "--model", ctx.d.model, "--served-model-name", s.served];
      if (mode !== "agg") argv.push("--disaggregation-mode", mode);
      if (connector && connector !== "null" && connector !== "none") {
        const preset = CONNECTORS[connector.toLowerCase()];
        argv.push("--kv-transfer-config", preset ? pyJsonDumps(preset) : connector);
      }
      if (!r.backend.set_cuda_visible_devices && gpus.length)
        argv.push("--device-ids", [...gpus].sort((a, b) => a - b).join(","));
      return argv;
    };
    const processEnv = (rank: WorkerRank, gpus: number[], slot: SlotPorts, nixl: number) => {
      const node = ctx.node(rank.nodeRank);
      const vars = { node: node.hostname, node_id: s.workerNodes.indexOf(rank.nodeRank) };
      const env: Record<string, string> = {
        HEAD_NODE_IP: s.head,
        ...dyn,
        DYN_SYSTEM_PORT: String(slot.system),
        DYN_LOG: DEFAULT_WORKER_DYN_LOG,
        ...templateEnv(roleEnvironment(r, mode), vars),
        ...templateEnv(s.runtimeEnv, vars),
      };
      if (r.backend.set_cuda_visible_devices && gpus.length < ctx.placement.nodes[rank.nodeRank]!.gpuCount)
        Object.assign(env, ctx.visibleDevices(gpus));
      env.DYN_VLLM_KV_EVENT_PORT = String(slot.kvEvents);
      env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(nixl);
      env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
      if (!multi) env.VLLM_PORT = String(slot.distInit + 1);
      return env;
    };
    const spec = (
      name: string,
      argv: string[],
      env: Record<string, string>,
      gpus: number[],
      ports: Record<string, number>,
    ) => proc(name, s.agg ? "worker" : w.pool, ctx.d.image, s.wrap(argv), env, s.mounts, gpus, ports, STAGE.workers);
    const prefix = `${s.agg ? "agg" : w.pool}-${w.index}`;
    if (dp && perGpu(r, mode)) {
      const size = num(dpSize, w.gpusPerWorker / replica);
      for (const p of perGpuProcesses(ctx, w, size, (x) => perGpu(r, workerMode(s, x)))) {
        const argv = [...argvHead([p.gpu]), "--data-parallel-rank", String(p.dpRank)];
        argv.push("--data-parallel-address", leaderIp, "--data-parallel-rpc-port", String(p.dpRpc));
        const kv = kvEventsLaunch(kvEvents, p.slot.kvEvents);
        argv.push("--request-plane", r.dynamo.request_plane, ...kv.args, ...configToCliArgs(config));
        const env = processEnv(p.rank, [p.gpu], p.slot, p.nixlBase);
        const ports: Record<string, number> = {
          system: p.slot.system,
          nixlSideChannel: p.nixlBase + p.dpRank,
          ...kv.ports,
        };
        if (p.dpRank === 0) ports.dpRpc = p.dpRpc;
        out.push({ nodeRank: p.rank.nodeRank, spec: spec(`${prefix}-rank${p.dpRank}`, argv, env, [p.gpu], ports) });
      }
      continue;
    }
    w.ranks.forEach((rank, i) => {
      const slot = ctx.slot(rank);
      const argv = argvHead(rank.gpus);
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
      // a process launched per node for a DP role publishes once per GPU of the node (srtctl's block)
      const kv = kvEventsLaunch(kvEvents, slot.kvEvents, dp ? rank.gpus.length : 1, `${where} with kv_events_config`);
      Object.assign(ports, kv.ports);
      argv.push("--request-plane", r.dynamo.request_plane, ...kv.args, ...configToCliArgs(config));
      // a DP role shares one NIXL base across its nodes: vLLM adds the DP rank
      const env = processEnv(rank, rank.gpus, slot, dp ? leaderSlot.nixlSideChannel : slot.nixlSideChannel);
      out.push({ nodeRank: rank.nodeRank, spec: spec(`${prefix}-rank${i}`, argv, env, rank.gpus, ports) });
    });
  }
  return out;
}

/**
 * Dynamo generate instances a pool's vLLM workers register (srtctl's benchmark_stage.py
 * _vllm_health_entries): one per DP rank launched per GPU, one per node of a DP worker launched per
 * node (hybrid LB), else one per worker (the headless nodes of a wide replica register nothing).
 */
export function vllmInstances(s: SrtWorkerContext, r: VllmRecipe, pool: "prefill" | "decode"): number {
  let n = 0;
  for (const w of s.ctx.workers(pool)) {
    const config = vllmConfig(r, workerMode(s, w));
    const dpSize = get(config, "data-parallel-size");
    const replica = num(get(config, "tensor-parallel-size"), 1) * num(get(config, "pipeline-parallel-size"), 1);
    if (dpSize === undefined || dpSize === null) n += 1;
    else if (perGpu(r, workerMode(s, w))) n += w.gpusPerWorker;
    else n += replica > w.ranks[0]!.gpus.length ? 1 : w.ranks.length;
  }
  return n;
}

/** the role launches one process per GPU: `dp_launch_mode: per_gpu` and a data-parallel config */
function perGpu(r: VllmRecipe, mode: Mode): boolean {
  const c = vllmConfig(r, mode);
  const size = get(c, "data-parallel-size");
  return r.backend.dp_launch_mode === "per_gpu" && size !== undefined && size !== null;
}

const workerMode = (s: SrtWorkerContext, w: WorkerLayout): Mode => (s.agg ? "agg" : (w.pool as "prefill" | "decode"));

function roleEnvironment(r: VllmRecipe, mode: Mode): Record<string, string> {
  return mode === "agg" ? r.backend.aggregated_environment : r.backend[`${mode}_environment`];
}
