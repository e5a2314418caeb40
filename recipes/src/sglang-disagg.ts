/**
 * SGLang PD disaggregation (framework `sglang-disagg`, also the MI355X MoRI path of the reference
 * lab): prefill and decode servers with `--disaggregation-mode`, the transfer backend from
 * kv-p2p-transfer, RDMA devices of each node, an explicit bootstrap port (never 8998), spec flags on
 * both pools; then `sglang_router.launch_router --pd-disaggregation` on the leader, in its own
 * process group (it forks a Rust worker and exits). Ready = router /readiness AND a canary request
 * (the router passes readiness while answering 503). reference/engines.md §1.3, §1.4.
 */
import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { envStrings, fixedLayer, layer, type RecipeContext, STAGE } from "./context.js";
import type { Flags, LayerPart } from "./layering.js";
import { renderFlags } from "./layering.js";
import { sglangDefaults, sglangEntry, sglangKvBackend, sglangWorkerProcesses } from "./sglang.js";

/** MORI-IO queue tuning of the reference lab (engines.md §1.4) */
export const MORI_IO_ENV: Record<string, string> = {
  MORI_IO_SQ_BACKOFF_TIMEOUT_US: "50000",
  MORI_IO_QP_MAX_SEND_WR: "16384",
  MORI_IO_QP_MAX_CQE: "32768",
  MORI_IO_QP_MAX_SGE: "2",
};

export function sglangDisaggRecipe(ctx: RecipeContext) {
  if (!ctx.isDisagg)
    throw new RecipeError(`${ctx.d.configKey}: framework sglang-disagg needs prefill and decode pools`);
  const kv = sglangKvBackend(ctx);
  if (kv === "mori" && ctx.vendor !== "amd")
    throw new RecipeError(`${ctx.d.configKey}: kv-p2p-transfer mori is AMD-only (SKU ${ctx.d.sku})`);

  const base = sglangDefaults(ctx);
  const extraDefaults: LayerPart[] = [];
  if (kv === "mori") {
    extraDefaults.push({
      settings: { env: { ...MORI_IO_ENV, MORI_ENABLE_SDMA: "true", SGLANG_MORI_DISPATCH_DTYPE: "auto" } },
    });
  }
  if (kv === "mooncake" && (ctx.d.sku === "gb200" || ctx.d.sku === "gb300")) {
    // NVL72 with mooncake (engines.md §1.3)
    extraDefaults.push({ settings: { env: { SGLANG_MOONCAKE_CUSTOM_MEM_POOL: "True", MC_FORCE_MNNVL: "True" } } });
  }
  const defaults = layer(base.name, [...base.parts, ...extraDefaults]);

  const processes = sglangWorkerProcesses(ctx, {
    module: "sglang.launch_server",
    http: true,
    defaults,
    entry: sglangEntry(ctx),
    fixed: (w, i) => {
      const r = w.ranks[i]!;
      const node = ctx.node(r.nodeRank);
      const flags: Flags = { "disaggregation-mode": w.pool };
      if (w.pool === "prefill") flags["disaggregation-bootstrap-port"] = ctx.slot(w.ranks[0]!).bootstrap;
      const env: Record<string, string> = {};
      if (node.rdmaDevices.length) {
        flags["disaggregation-ib-device"] = node.rdmaDevices.join(",");
        if (kv === "mori") env.NCCL_IB_HCA = node.rdmaDevices.join(",");
      }
      if (node.netIfname && kv === "mori") {
        env.GLOO_SOCKET_IFNAME = node.netIfname;
        env.NCCL_SOCKET_IFNAME = node.netIfname;
      }
      return { flags, env };
    },
  });
  if (ctx.placement.nodes.some((n) => !n.rdmaDevices.length)) {
    ctx.notes.push("a node reported no RDMA device: --disaggregation-ib-device left to SGLang's auto-detection there");
  }
  if (kv === "mori" && ctx.placement.nodes.some((n) => !n.netIfname)) {
    ctx.notes.push("a node reported no default-route interface: GLOO/NCCL_SOCKET_IFNAME not set there");
  }

  const leader = ctx.leader;
  const port = ctx.shared.endpoint;
  const targets: string[] = [];
  for (const w of ctx.workers("prefill")) {
    const r0 = w.ranks[0]!;
    targets.push(
      "--prefill",
      `http://${ctx.node(r0.nodeRank).ip}:${ctx.slot(r0).http}`,
      String(ctx.slot(r0).bootstrap),
    );
  }
  for (const w of ctx.workers("decode")) {
    const r0 = w.ranks[0]!;
    targets.push("--decode", `http://${ctx.node(r0.nodeRank).ip}:${ctx.slot(r0).http}`);
  }
  const routerSettings = ctx.resolve(
    "router",
    layer("engine-defaults:router", []),
    layer("entry", []),
    fixedLayer([{ roles: ["router"], settings: { flags: { host: "0.0.0.0", port } } }]),
  );
  const router: ProcessSpec = {
    name: "router",
    role: "router",
    image: ctx.d.image,
    argv: [
      "python3",
      "-m",
      "sglang_router.launch_router",
      "--pd-disaggregation",
      ...targets,
      ...renderFlags(routerSettings.flags),
    ],
    env: envStrings(routerSettings.env),
    mounts: [],
    files: [],
    gpus: [],
    ports: { http: port },
    health: [ctx.httpHealth(leader.ip, port, "/health")],
    stage: STAGE.front,
    ownSession: true,
  };
  return {
    processes: [...processes, { nodeRank: 0, spec: router }],
    endpoint: { ip: leader.ip, port },
    gangHealth: [ctx.httpHealth(leader.ip, port, "/readiness"), ctx.canary(leader.ip, port)],
  };
}
