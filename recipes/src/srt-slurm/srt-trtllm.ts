/**
 * TensorRT-LLM workers from an srt-slurm recipe, as srtctl starts them (pure): backends/trtllm.py
 * build_worker_command and the MPI-style launch of cli/mixins/worker_stage.py
 * start_endpoint_worker. Per worker, the role's `trtllm_config` is written unchanged as a YAML file
 * (PyYAML safe_dump: keys sorted, block style) and passed as `--extra-engine-args`; the command is
 * `[numactl -m 0,1] trtllm-llmapi-launch python3 -m dynamo.trtllm --model-path M
 * --served-model-name N [--disaggregation-mode ROLE] --extra-engine-args FILE --request-plane P
 * [--publish-events-and-metrics]`, numactl on GB200/GB300 unless `numa_memory_bind` says otherwise.
 * The environment is the one srun gives every rank of the worker: dynamo's variables (no
 * DYN_REQUEST_PLANE on this path), the leader's DYN_SYSTEM_PORT, DYN_LOG, the role's environment
 * with its TRTLLM_EPLB_SHM_NAME, the recipe's `environment`, CUDA_VISIBLE_DEVICES for a partial node.
 *
 * A worker spanning nodes is one MPI job (`mpi` on each node's process, one task per GPU, as
 * srtctl's srun --ntasks). A worker on one node is one process without the MPI launcher: the LLM
 * API starts its own ranks there, and benchfleet's single-node launchers run no MPI jobs.
 */
import { createHash } from "node:crypto";
import { type PlacedProcess, STAGE } from "../context.js";
import { pyYamlDump } from "./render-config.js";
import { type Mode, proc, type SrtWorkerContext } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";

export type TrtllmRecipe = SrtRecipe & { backend: Extract<SrtRecipe["backend"], { type: "trtllm" }> };

const DEFAULT_WORKER_DYN_LOG = "info,dynamo_runtime::pipeline::network::ingress::push_handler=warn";

export function trtllmConfig(r: TrtllmRecipe, mode: Mode): Record<string, unknown> {
  const c = r.backend.trtllm_config;
  return { ...((mode === "agg" ? c?.aggregated : c?.[mode]) ?? {}) };
}

function roleEnvironment(r: TrtllmRecipe, mode: Mode): Record<string, string> {
  return mode === "agg" ? r.backend.aggregated_environment : r.backend[`${mode}_environment`];
}

/** srtctl names the EPLB shared memory segment `moe_shared_<uuid4 hex>` per worker; here a digest of the deployment and the worker. */
export function eplbShmName(fingerprint: string, mode: Mode, index: number): string {
  return `moe_shared_${createHash("sha256").update(`${fingerprint}/${mode}/${index}`).digest("hex").slice(0, 32)}`;
}

export function trtllmWorkers(s: SrtWorkerContext, r: TrtllmRecipe): PlacedProcess[] {
  const { ctx } = s;
  const out: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    const mode: Mode = s.agg ? "agg" : (w.pool as "prefill" | "decode");
    const file = `srt/trtllm_config_${mode}.yaml`;
    const numa = r.backend.numa_memory_bind ?? (r.resources.gpu_type === "gb200" || r.resources.gpu_type === "gb300");
    const multi = w.ranks.length > 1;
    const argv = [
      ...(numa && mode !== "agg" ? ["numactl", "-m", "0,1"] : []),
      ...(multi ? ["trtllm-llmapi-launch"] : []),
      "python3",
      "-m",
      "dynamo.trtllm",
      "--model-path",
      ctx.d.model,
      "--served-model-name",
      s.served,
    ];
    if (mode !== "agg") argv.push("--disaggregation-mode", mode);
    argv.push("--extra-engine-args", file, "--request-plane", r.dynamo.request_plane);
    if (r.backend.publish_events_and_metrics) argv.push("--publish-events-and-metrics");
    const leader = ctx.slot(w.ranks[0]!);
    const env: Record<string, string> = {
      HEAD_NODE_IP: s.head,
      ETCD_ENDPOINTS: s.etcd,
      NATS_SERVER: s.nats,
      DYN_SYSTEM_PORT: String(leader.system),
      DYN_SKIP_SGLANG_LOG_FORMATTING: "1",
      ...(r.dynamo.event_plane ? { DYN_EVENT_PLANE: r.dynamo.event_plane } : {}),
      DYN_LOG: DEFAULT_WORKER_DYN_LOG,
      ...roleEnvironment(r, mode),
      TRTLLM_EPLB_SHM_NAME: eplbShmName(ctx.d.fingerprint, mode, w.index),
      ...s.runtimeEnv,
    };
    const content = pyYamlDump(trtllmConfig(r, mode));
    w.ranks.forEach((rank, i) => {
      const rankEnv = { ...env };
      if (rank.gpus.length < ctx.placement.nodes[rank.nodeRank]!.gpuCount)
        Object.assign(rankEnv, ctx.visibleDevices(rank.gpus));
      const spec = proc(
        `${s.agg ? "agg" : w.pool}-${w.index}-rank${i}`,
        s.agg ? "worker" : w.pool,
        ctx.d.image,
        s.wrap(argv),
        rankEnv,
        s.mounts,
        rank.gpus,
        i === 0 ? { system: leader.system } : {},
        STAGE.workers,
      );
      spec.files = [{ path: file, content }];
      if (multi)
        spec.mpi = { job: `${w.pool}-${w.index}`, nodes: w.ranks.length, nodeIndex: i, tasksPerNode: rank.gpus.length };
      out.push({ nodeRank: rank.nodeRank, spec });
    });
  }
  return out;
}
