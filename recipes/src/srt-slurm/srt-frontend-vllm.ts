/**
 * srtctl's direct vLLM frontend (`frontend.type: vllm`, srt-slurm v1.0.53: frontends/vllm.py,
 * backends/vllm.py build_worker_command and core/schema.py _validate_vllm_frontend), pure: there is
 * no frontend process, no dynamo install and no etcd/NATS (do_sweep.py skips them); the one
 * aggregated worker is `vllm serve` itself, one process per node of the worker:
 *
 *   vllm serve <model> [--host 0.0.0.0 --port <public>] [--master-addr <leader> --nnodes K
 *   --node-rank r [--headless]] [--device-ids G] <config>
 *
 * The leader (node rank 0) owns the public OpenAI port; the other ranks are headless engine ranks.
 * srtctl strips the flags it derives from the allocation (`host`, `port`, `master-addr`, `nnodes`,
 * `node-rank`, `headless`) and the `connector` from the recipe's config, adds `served-model-name`
 * where the config has none, and drops `api-server-count` on headless ranks (vLLM refuses it there).
 * The environment is srtctl's worker stage (as for dynamo.vllm workers: the dynamo variables are
 * set whether or not anything reads them) plus get_process_environment's, VLLM_PORT unset on a
 * worker across nodes. Readiness is srtctl's check_vllm_health: `/health` answers 200 and
 * `/v1/models` lists the model.
 *
 * srtctl refuses, and so does the plan: another backend, `enable_multiple_frontends` (the default,
 * true), a disaggregated recipe, or a number of aggregated workers other than one.
 *
 * Ports are the attempt's block: the public port is the deployment's endpoint; `--master-port` is
 * the leader slot's NCCL port where srtctl leaves vLLM's default (as for dynamo.vllm workers here).
 */
import { type PlacedProcess, STAGE } from "../context.js";
import { configToCliArgs, templateEnv } from "./render-config.js";
import { proc, type SrtWorkerContext } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";
import { type VllmRecipe, vllmConfig } from "./srt-vllm.js";

type Path = Array<string | number>;

const DEFAULT_WORKER_DYN_LOG = "info,dynamo_runtime::pipeline::network::ingress::push_handler=warn";
/** flags srtctl derives from the allocation for `vllm serve` (backends/vllm.py _VLLM_ORCHESTRATION_FLAGS) */
const ORCHESTRATION_FLAGS = ["headless", "host", "port", "master-addr", "nnodes", "node-rank"];
/** flags only the API server takes (_VLLM_API_SERVER_ONLY_FLAGS) */
const API_SERVER_FLAGS = ["api-server-count"];

/** srtctl's _validate_vllm_frontend: [path, why] for each rule the recipe breaks */
export function vllmFrontendRefusals(r: SrtRecipe): Array<[Path, string]> {
  const out: Array<[Path, string]> = [];
  const srtctl = "srtctl refuses it too";
  if (r.backend.type !== "vllm")
    out.push([
      ["frontend", "type"],
      `the direct vLLM frontend needs backend.type: vllm, not ${r.backend.type} (${srtctl})`,
    ]);
  if (r.frontend.enable_multiple_frontends)
    out.push([
      ["frontend", "enable_multiple_frontends"],
      `vllm serve binds the public port itself: set enable_multiple_frontends: false (${srtctl})`,
    ]);
  const res = r.resources;
  const disagg = (res.prefill_nodes ?? 0) > 0 || (res.decode_nodes ?? 0) > 0 || (res.prefill_workers ?? 0) > 0;
  if (disagg)
    out.push([
      ["resources"],
      `the direct vLLM frontend serves aggregated jobs only, not disaggregated layouts (${srtctl})`,
    ]);
  else if ((res.agg_workers ?? 0) !== 1)
    out.push([
      ["resources", "agg_workers"],
      `the direct vLLM frontend serves exactly one aggregated worker, not ${res.agg_workers ?? 0}: nothing balances between replicas (${srtctl})`,
    ]);
  return out;
}

const dropFlags = (config: Record<string, unknown>, flags: string[]) => {
  for (const key of Object.keys(config)) if (flags.includes(key.replace(/_/g, "-"))) delete config[key];
};

/** The `vllm serve` processes of the recipe's one aggregated worker, its leader on the public port. */
export function directVllmWorkers(s: SrtWorkerContext, r: VllmRecipe, dyn: Record<string, string>): PlacedProcess[] {
  const { ctx } = s;
  const port = ctx.shared.endpoint;
  const out: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    const base = vllmConfig(r, "agg");
    dropFlags(base, ORCHESTRATION_FLAGS);
    delete base.connector;
    if (!("served-model-name" in base)) base["served-model-name"] = s.served;
    const leaderRank = w.ranks[0]!;
    const leaderIp = ctx.node(leaderRank.nodeRank).ip;
    const leaderSlot = ctx.slot(leaderRank);
    const multi = w.ranks.length > 1;
    w.ranks.forEach((rank, i) => {
      const config = { ...base };
      const slot = ctx.slot(rank);
      const node = ctx.node(rank.nodeRank);
      const argv = ["vllm", "serve", ctx.d.model];
      const ports: Record<string, number> = { system: slot.system, nixlSideChannel: slot.nixlSideChannel };
      if (i === 0) {
        argv.push("--host", "0.0.0.0", "--port", String(port));
        ports.http = port;
      }
      if (multi) {
        argv.push("--master-addr", leaderIp, "--master-port", String(leaderSlot.nccl));
        argv.push("--nnodes", String(w.ranks.length), "--node-rank", String(i));
        if (i === 0) ports.master = leaderSlot.nccl;
        else {
          argv.push("--headless");
          dropFlags(config, API_SERVER_FLAGS);
        }
      }
      if (!r.backend.set_cuda_visible_devices && rank.gpus.length)
        argv.push("--device-ids", [...rank.gpus].sort((a, b) => a - b).join(","));
      argv.push(...configToCliArgs(config));
      const vars = { node: node.hostname, node_id: s.workerNodes.indexOf(rank.nodeRank) };
      const env: Record<string, string> = {
        HEAD_NODE_IP: s.head,
        ...dyn,
        DYN_SYSTEM_PORT: String(slot.system),
        DYN_LOG: DEFAULT_WORKER_DYN_LOG,
        ...templateEnv(r.backend.aggregated_environment, vars),
        ...templateEnv(s.runtimeEnv, vars),
      };
      if (r.backend.set_cuda_visible_devices && rank.gpus.length < ctx.placement.nodes[rank.nodeRank]!.gpuCount)
        Object.assign(env, ctx.visibleDevices(rank.gpus));
      env.DYN_VLLM_KV_EVENT_PORT = String(slot.kvEvents);
      env.VLLM_NIXL_SIDE_CHANNEL_PORT = String(slot.nixlSideChannel);
      env.VLLM_NIXL_SIDE_CHANNEL_HOST = node.ip;
      if (!multi) env.VLLM_PORT = String(slot.distInit + 1);
      const spec = proc(
        `agg-${w.index}-rank${i}`,
        "worker",
        ctx.d.image,
        s.wrap(argv),
        env,
        s.mounts,
        rank.gpus,
        ports,
        STAGE.workers,
      );
      if (i === 0)
        spec.health = [
          ctx.httpHealth(leaderIp, port, "/health"),
          ctx.httpHealth(leaderIp, port, "/v1/models", { bodyIncludes: [JSON.stringify(s.served)] }),
        ];
      out.push({ nodeRank: rank.nodeRank, spec });
    });
  }
  return out;
}
