/**
 * A launch plan from an srt-slurm recipe, as srtctl launches it (pure): etcd and NATS on the head
 * node, or on a node of their own (`infra.etcd_nats_dedicated_node`: the gang's last rank, see
 * Deployment.infraNodes), in their own containers (srtctl brings etcd v3.5.21 and NATS v2.10.28 binaries from its
 * Makefile rather than the engine image), one `python3 -m dynamo.sglang` per node of each worker
 * with srtctl's fixed flags then the recipe's engine config rendered by `_config_to_cli_args`
 * (backends/sglang.py build_worker_command), the worker environment of cli/mixins/worker_stage.py
 * (dynamo variables, the role's environment and the recipe's `environment`, `{node}` templating,
 * CUDA_VISIBLE_DEVICES only for a partial node), the dynamo install preamble when `dynamo.install`,
 * and the frontends of cli/mixins/frontend_stage.py (one, on the node `orchestrator_placement`
 * names, the head by default; or nginx on the head and
 * `num_additional_frontends + 1` dynamo frontends on the other nodes). TensorRT-LLM and vLLM
 * workers are built by srt-trtllm.ts and srt-vllm.ts; srtctl's direct vLLM frontend
 * (`frontend.type: vllm`: `vllm serve` on the public port, no etcd/NATS) by srt-frontend-vllm.ts;
 * the SGLang router frontend's routers (`frontend.type: sglang`) by srt-frontend-sglang.ts.
 *
 * Ports are the attempt's block (ports.ts) in srtctl's roles, not srtctl's fixed numbers: several
 * attempts share a node here. Values the recipe sets itself (e.g. a bootstrap port) come after
 * srtctl's in argv and win, as with srtctl.
 */
import { RecipeError, type SrtRecipeRef } from "@benchfleet/shared";
import { type PlacedProcess, type RecipeContext, STAGE } from "../context.js";
import { DECODE_COMPONENTS, PREFILL_COMPONENTS } from "../dynamo.js";
import type { WorkerLayout } from "../placement.js";
import { dynamoInstall } from "./dynamo-install.js";
import type { ReadRecipe } from "./read-srt-recipe.js";
import { configDirectoryMounts, configPaths, isDirectoryPath } from "./recipe-configs.js";
import { configToCliArgs, frontendArgs, shellQuote, templateEnv } from "./render-config.js";
import { orchestratorRank } from "./srt-frontend-placement.js";
import { sglangRouter, sglangRouterTargets } from "./srt-frontend-sglang.js";
import { directVllmWorkers } from "./srt-frontend-vllm.js";
import { kvEventsFor, kvEventsLaunch } from "./srt-kv-events.js";
import { addMooncakeStore } from "./srt-mooncake-store.js";
import { type Mode, modelPathName, proc, recipeMounts, type SrtWorkerContext } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";
import { type TrtllmRecipe, trtllmWorkers } from "./srt-trtllm.js";
import { type VllmRecipe, vllmInstances, vllmServedModelName, vllmWorkers } from "./srt-vllm.js";
import { asCheckoutNginx } from "./srtctl-nginx.js";

export const ETCD_IMAGE = "quay.io/coreos/etcd:v3.5.21";
export const NATS_IMAGE = "nats:2.10.28";
const DEFAULT_WORKER_DYN_LOG = "info,dynamo_runtime::pipeline::network::ingress::push_handler=warn";

type SglangRecipe = SrtRecipe & { backend: Extract<SrtRecipe["backend"], { type: "sglang" }> };

export interface SrtLaunch {
  processes: PlacedProcess[];
  endpoint: { ip: string; port: number };
  gangHealth: ReturnType<RecipeContext["canary"]>[];
  servedModel: string;
}

export function srtLaunch(ctx: RecipeContext, read: ReadRecipe): SrtLaunch {
  const recipe = read.recipe;
  const agg = (recipe.resources.agg_workers ?? 0) > 0;
  const fallbackName = modelPathName(ctx.d.model);
  const served =
    recipe.backend.type === "sglang"
      ? servedModelName(recipe as SglangRecipe, fallbackName)
      : recipe.backend.type === "vllm"
        ? vllmServedModelName(recipe as VllmRecipe, fallbackName)
        : fallbackName;
  const head = ctx.leader.ip;
  const infraNodes = ctx.d.infraNodes ?? 0;
  if (infraNodes !== (recipe.infra.etcd_nats_dedicated_node ? 1 : 0))
    throw new RecipeError(
      `${read.file}: infra.etcd_nats_dedicated_node is ${recipe.infra.etcd_nats_dedicated_node} but the deployment has ${infraNodes} infrastructure node(s): plan the row with its recipe (--srt-slurm)`,
    );
  const infraRank = infraNodes ? ctx.placement.nodes.length - 1 : 0;
  const infraIp = ctx.node(infraRank).ip;
  const frontendInternal = ctx.placement.portBase + 6;
  const dyn: Record<string, string> = {
    ETCD_ENDPOINTS: `http://${infraIp}:${ctx.shared.etcdClient}`,
    NATS_SERVER: `nats://${infraIp}:${ctx.shared.nats}`,
    DYN_REQUEST_PLANE: recipe.dynamo.request_plane,
    DYN_SKIP_SGLANG_LOG_FORMATTING: "1",
    ...(recipe.dynamo.event_plane ? { DYN_EVENT_PLANE: recipe.dynamo.event_plane } : {}),
  };
  const install = dynamoInstall(recipe);
  const configFiles = storedConfigs(recipe, ctx.d.srtRecipe, read.file);
  const preambled = (parts: string[]) => (argv: string[]) =>
    parts.length ? ["bash", "-c", `${parts.join(" && ")} && exec ${argv.map(shellQuote).join(" ")}`] : argv;
  const setup = recipe.setup_script ? [setupScriptPreamble(recipe.setup_script)] : [];
  // srtctl's worker preamble: the setup script, then the dynamo install; frontends only install
  const wrap = preambled([...setup, ...(install ? [install.preamble] : [])]);
  const wrapFrontend = preambled(install ? [install.preamble] : []);
  const mounts = [...recipeMounts(recipe), ...(install?.mounts ?? []), ...configDirectoryMounts(recipe, configFiles)];
  const workerNodes = [...new Set(ctx.workers().flatMap((w) => w.ranks.map((x) => x.nodeRank)))].sort((a, b) => a - b);
  const s: SrtWorkerContext = {
    ctx,
    head,
    etcd: dyn.ETCD_ENDPOINTS!,
    nats: dyn.NATS_SERVER!,
    wrap,
    mounts,
    served,
    workerNodes,
    agg,
    runtimeEnv: { ...(install?.env ?? {}), ...recipe.environment },
  };

  // srtctl's direct vLLM frontend starts no etcd/NATS and no frontend: `vllm serve` owns the port
  const direct = recipe.frontend.type === "vllm";
  const processes: PlacedProcess[] = direct ? [] : [...infra(ctx, recipe, infraRank)];
  if (direct) processes.push(...directVllmWorkers(s, recipe as VllmRecipe, dyn));
  else if (recipe.backend.type === "sglang") processes.push(...sglangWorkers(s, recipe as SglangRecipe, dyn));
  else if (recipe.backend.type === "trtllm") processes.push(...trtllmWorkers(s, recipe as TrtllmRecipe));
  else processes.push(...vllmWorkers(s, recipe as VllmRecipe, dyn));
  addMooncakeStore(ctx, recipe, infraRank, mounts, processes);
  for (const { spec } of processes)
    if (spec.role !== "infra")
      spec.files.push(...configFiles.map((f) => ({ path: `/configs/${f.path}`, content: f.text })));

  if (direct) {
    const port = ctx.shared.endpoint;
    const ip = ctx.node(processes.find((p) => p.spec.ports.http === port)!.nodeRank).ip;
    return {
      processes,
      endpoint: { ip, port },
      gangHealth: [{ ...ctx.canary(ip, port), model: served }],
      servedModel: served,
    };
  }

  // frontends (cli/mixins/frontend_stage.py _compute_frontend_topology)
  const fe = recipe.frontend;
  // srtctl's frontends go on the worker nodes, never the infrastructure node
  const nodes = ctx.placement.nodes.length - infraNodes;
  const instances = agg
    ? [{ components: DECODE_COMPONENTS, endpoint: "generate", count: ctx.workers("prefill").length }]
    : (["prefill", "decode"] as const).map((pool) => ({
        components: pool === "prefill" ? PREFILL_COMPONENTS : DECODE_COMPONENTS,
        endpoint: "generate",
        count: recipe.backend.type === "vllm" ? vllmInstances(s, recipe as VllmRecipe, pool) : ctx.workers(pool).length,
      }));
  const feEnv = { ...dyn, ...s.runtimeEnv, ...(fe.env ?? {}) };
  const port = ctx.shared.endpoint;
  const router = fe.type === "sglang" ? sglangRouterTargets(ctx, recipe, agg) : undefined;
  const single = nodes === 1 || !fe.enable_multiple_frontends;
  // the one frontend goes where frontend.orchestrator_placement says; nginx stays on the head
  const feRank = single ? orchestratorRank(ctx, fe.orchestrator_placement) : 0;
  const publicIp = ctx.node(feRank).ip;
  if (router && single) {
    const spec = sglangRouter(ctx, recipe, {
      name: "router",
      targets: router,
      ip: publicIp,
      port,
      mounts,
      stage: STAGE.front,
      counted: true,
    });
    processes.push({ nodeRank: feRank, spec });
  } else if (single) {
    const argv = ["python3", "-m", "dynamo.frontend", `--http-port=${port}`, ...frontendArgs(fe.args)];
    const spec = proc(
      "frontend",
      "frontend",
      ctx.d.image,
      wrapFrontend(argv),
      feEnv,
      mounts,
      [],
      { http: port },
      STAGE.front,
    );
    spec.health = [ctx.httpHealth(publicIp, port, "/health", { expectInstances: instances })];
    processes.push({ nodeRank: feRank, spec });
  } else {
    const feNodes = Array.from({ length: Math.min(fe.num_additional_frontends + 1, nodes - 1) }, (_, i) => i + 1);
    feNodes.forEach((n, idx) => {
      const ip = ctx.node(n).ip;
      if (router) {
        const o = { targets: router, ip, port: frontendInternal, mounts, stage: STAGE.workers, counted: idx === 0 };
        processes.push({ nodeRank: n, spec: sglangRouter(ctx, recipe, { ...o, name: `router-${idx}` }) });
        return;
      }
      const argv = ["python3", "-m", "dynamo.frontend", `--http-port=${frontendInternal}`, ...frontendArgs(fe.args)];
      const spec = proc(
        `frontend-${idx}`,
        "frontend",
        ctx.d.image,
        wrapFrontend(argv),
        feEnv,
        mounts,
        [],
        { http: frontendInternal },
        STAGE.workers,
      );
      spec.health = [ctx.httpHealth(ip, frontendInternal, "/health", idx === 0 ? { expectInstances: instances } : {})];
      processes.push({ nodeRank: n, spec });
    });
    const conf = asCheckoutNginx(
      nginxConf(
        feNodes.map((n) => ctx.node(n).ip),
        frontendInternal,
        port,
        recipe,
      ),
      ctx.d.srtRecipe?.srtctl,
    );
    const nginx = proc(
      "nginx",
      "router",
      fe.nginx_container,
      // frontend_stage.py _start_nginx: the raised file limit also in the shell that starts nginx
      fe.nginx_raise_ulimit
        ? ["bash", "-c", "ulimit -n 1048576 && nginx -c nginx/nginx.conf -g 'daemon off;'"]
        : ["nginx", "-c", "nginx/nginx.conf", "-g", "daemon off;"],
      {},
      [],
      [],
      { http: port },
      STAGE.front,
    );
    nginx.files = [{ path: "nginx/nginx.conf", content: conf }];
    nginx.health = [{ kind: "tcp", host: head, port }];
    processes.push({ nodeRank: 0, spec: nginx });
  }
  return {
    processes,
    endpoint: { ip: publicIp, port },
    gangHealth: [{ ...ctx.canary(publicIp, port), model: served }],
    servedModel: served,
  };
}

function sglangWorkers(s: SrtWorkerContext, r: SglangRecipe, dyn: Record<string, string>): PlacedProcess[] {
  const { ctx, agg, served, head, wrap, mounts, workerNodes } = s;
  const processes: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    const mode: Mode = agg ? "agg" : (w.pool as "prefill" | "decode");
    const config = { ...(engineConfig(r, mode) ?? {}) };
    // srtctl before #318 passes no --nccl-port and leaves a recipe's own in the config
    const ncclPort = ctx.d.srtRecipe?.srtctl?.sglangNcclPort !== false;
    for (const k of ["model-path", "model_path", "served-model-name", "served_model_name"]) delete config[k];
    if (ncclPort) for (const k of ["nccl-port", "nccl_port"]) delete config[k];
    const endpointNodes = w.ranks.map((x) => x.nodeRank);
    const leaderIp = ctx.node(endpointNodes[0]!).ip;
    w.ranks.forEach((rank, i) => {
      const slot = ctx.slot(rank);
      const node = ctx.node(rank.nodeRank);
      // the sglang router frontend talks to plain SGLang servers (srt-frontend-sglang.ts)
      const module = r.frontend.type === "sglang" ? "sglang.launch_server" : "dynamo.sglang";
      const argv = ["python3", "-m", module, "--model-path", ctx.d.model, "--served-model-name", served];
      argv.push("--host", "0.0.0.0", "--port", String(slot.http));
      if (ncclPort) argv.push("--nccl-port", String(slot.nccl));
      if (mode !== "agg") {
        argv.push("--disaggregation-mode", mode);
        if (mode === "prefill") argv.push("--disaggregation-bootstrap-port", String(ctx.slot(w.ranks[0]!).bootstrap));
      }
      if (w.ranks.length > 1) {
        argv.push("--dist-init-addr", `${leaderIp}:${ctx.slot(w.ranks[0]!).distInit}`);
        argv.push("--nnodes", String(w.ranks.length), "--node-rank", String(i));
      }
      const kv = kvEventsLaunch(kvEventsFor(r.backend.kv_events_config, mode, "sglang"), slot.kvEvents);
      argv.push(...kv.args);
      if (r.frontend.type !== "sglang") argv.push("--request-plane", r.dynamo.request_plane);
      argv.push(...configToCliArgs(config));
      const vars = { node: node.hostname, node_id: workerNodes.indexOf(rank.nodeRank) };
      const env: Record<string, string> = {
        HEAD_NODE_IP: head,
        ...dyn,
        DYN_SYSTEM_PORT: String(slot.system),
        DYN_LOG: DEFAULT_WORKER_DYN_LOG,
        ...templateEnv(roleEnvironment(r, mode), vars),
        ...templateEnv(s.runtimeEnv, vars),
      };
      if (rank.gpus.length < ctx.placement.nodes[rank.nodeRank]!.gpuCount)
        Object.assign(env, ctx.visibleDevices(rank.gpus));
      const ports: Record<string, number> = { http: slot.http, system: slot.system, nccl: slot.nccl, ...kv.ports };
      if (mode === "prefill" && i === 0) ports.bootstrap = slot.bootstrap;
      if (w.ranks.length > 1 && i === 0) ports.distInit = slot.distInit;
      processes.push({
        nodeRank: rank.nodeRank,
        spec: proc(
          workerName(w, i, agg),
          agg ? "worker" : w.pool,
          ctx.d.image,
          wrap(argv),
          env,
          mounts,
          rank.gpus,
          ports,
          STAGE.workers,
        ),
      });
    });
  }

  return processes;
}

function workerName(w: WorkerLayout, i: number, agg: boolean): string {
  return `${agg ? "agg" : w.pool}-${w.index}-rank${i}`;
}

function engineConfig(r: SglangRecipe, mode: Mode): Record<string, unknown> | null | undefined {
  const c = r.backend.sglang_config;
  return mode === "agg" ? c?.aggregated : c?.[mode];
}

function roleEnvironment(r: SglangRecipe, mode: Mode): Record<string, string> {
  return mode === "agg" ? r.backend.aggregated_environment : r.backend[`${mode}_environment`];
}

/** backends/sglang.py get_served_model_name: prefill, aggregated, then decode config */
export function servedModelName(r: SglangRecipe, fallback: string): string {
  const c = r.backend.sglang_config;
  for (const cfg of [c?.prefill, c?.aggregated, c?.decode]) {
    const name = cfg?.["served-model-name"] ?? cfg?.served_model_name;
    if (typeof name === "string" && name) return name;
  }
  return fallback;
}

function infra(ctx: RecipeContext, r: SrtRecipe, rank: number): PlacedProcess[] {
  const ip = ctx.node(rank).ip;
  const { etcdClient, etcdPeer, nats } = ctx.shared;
  const etcd = proc(
    "infra-etcd",
    "infra",
    ETCD_IMAGE,
    [
      "etcd",
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
      `default=http://${ip}:${etcdPeer}`,
    ],
    {},
    [],
    [],
    { client: etcdClient, peer: etcdPeer },
    STAGE.infra,
  );
  etcd.health = [ctx.httpHealth(ip, etcdClient, "/health")];
  const store = `/tmp/benchfleet-nats-${nats}`;
  const mb = r.infra.nats_max_payload_mb;
  const natsServer = proc(
    "infra-nats",
    "infra",
    NATS_IMAGE,
    mb
      ? ["nats-server", "-c", "nats/nats.conf", "-p", String(nats)]
      : ["nats-server", "-js", "-sd", store, "-p", String(nats)],
    {},
    [],
    [],
    { client: nats },
    STAGE.infra,
  );
  if (mb)
    natsServer.files = [
      { path: "nats/nats.conf", content: `max_payload: ${mb * 1024 * 1024}\njetstream { store_dir: "${store}" }\n` },
    ];
  natsServer.health = [{ kind: "tcp", host: ip, port: nats }];
  return [
    { nodeRank: rank, spec: etcd },
    { nodeRank: rank, spec: natsServer },
  ];
}

/** srt-slurm templates/nginx.conf.j2 */
function nginxConf(hosts: string[], backendPort: number, listenPort: number, r: SrtRecipe): string {
  const fe = r.frontend;
  const key = `$http_${fe.nginx_session_affinity_header.toLowerCase().replace(/-/g, "_")}`;
  const lines = ["worker_processes auto;"];
  if (fe.nginx_raise_ulimit) lines.push("worker_rlimit_nofile 1048576;");
  lines.push("http {", "    client_max_body_size 45m;", "    access_log off;");
  if (fe.nginx_session_affinity)
    lines.push(`    map ${key} $frontend_hash_key {`, `        default ${key};`, '        "" $request_id;', "    }");
  lines.push(`    keepalive_timeout ${fe.nginx_keepalive_timeout};`, "    upstream backend_servers {");
  if (fe.nginx_session_affinity) lines.push("        hash $frontend_hash_key consistent;");
  for (const h of hosts) lines.push(`        server ${h}:${backendPort};`);
  lines.push("        keepalive 512;", `        keepalive_timeout ${fe.nginx_keepalive_timeout};`, "    }");
  lines.push(
    "    server {",
    `        listen ${listenPort};`,
    "        location / {",
    "            proxy_pass http://backend_servers;",
  );
  lines.push(
    "            proxy_buffering off;",
    "            proxy_read_timeout 24h;",
    "            proxy_send_timeout 24h;",
  );
  lines.push(
    "            proxy_http_version 1.1;",
    '            proxy_set_header Connection "";',
    "        }",
    "    }",
    "}",
    "events {",
    "    worker_connections 65535;",
    "}",
  );
  return `${lines.join("\n")}\n`;
}

/** srtctl's setup-script preamble (worker_stage.py): /configs/<script>, else /configs/patches/<script> */
export function setupScriptPreamble(name: string): string {
  return (
    `setup_script=${shellQuote(name)} && ` +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansions, not templates
    'script_path="/configs/${setup_script}" && patch_script_path="/configs/patches/${setup_script}" && ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansions, not templates
    'echo "Running setup script: ${script_path} (fallback ${patch_script_path})" && ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansions, not templates
    'if [ -f "${script_path}" ]; then bash "${script_path}"; ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansions, not templates
    'elif [ -f "${patch_script_path}" ]; then bash "${patch_script_path}"; ' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell expansions, not templates
    'else echo "WARNING: ${script_path} or ${patch_script_path} not found"; fi'
  );
}

/** The configs/ files the recipe uses, as stored with the deployment; one missing is an error. */
function storedConfigs(
  r: SrtRecipe,
  ref: SrtRecipeRef | undefined,
  file: string,
): NonNullable<SrtRecipeRef["configs"]> {
  const stored = ref?.configs ?? [];
  const missing: string[] = [];
  if (r.setup_script && !stored.some((f) => f.path === r.setup_script || f.path === `patches/${r.setup_script}`))
    missing.push(`setup_script ${r.setup_script}`);
  for (const rel of configPaths(r))
    if (!stored.some((f) => f.path === rel) && !isDirectoryPath(rel)) missing.push(`/configs/${rel}`);
  if (missing.length)
    throw new RecipeError(
      `${file}: ${missing.join(", ")} (srt-slurm configs/) not stored with the deployment: plan the row with --srt-slurm`,
    );
  return stored;
}
