/**
 * srtctl's SGLang router frontend (`frontend.type: sglang`, srt-slurm v1.0.45 frontends/sglang.py,
 * unchanged on main), pure. The workers are `python3 -m sglang.launch_server` (backends/sglang.py:
 * the dynamo.sglang command without `--request-plane`; no dynamo install, installs_dynamo is false);
 * etcd and NATS still start (do_sweep.py skips them only for the vllm and trtllm_serve frontends).
 * On each frontend node of srtctl's frontend topology (the head, or the worker nodes behind nginx):
 *
 *   python -m sglang_router.launch_router --pd-disaggregation --prefill <url> <bootstrap>… --decode <url>…
 *   python -m sglang_router.launch_router --worker-urls <url>…            (aggregated)
 *
 * then `--host 0.0.0.0 --port <port>` and the recipe's `frontend.args` in file order, with
 * `frontend.env` as its only environment. The URLs are the workers' leaders (`grpc://` where the
 * role's config sets `grpc-mode`). Readiness is srtctl's check_sglang_router_health on `/workers`:
 * the prefill workers as `prefill`, decode or aggregated workers as `decode` + `regular`.
 */
import type { ProcessSpec } from "@benchfleet/shared";
import type { RecipeContext } from "../context.js";
import { frontendArgs } from "./render-config.js";
import { type Mode, proc } from "./srt-process.js";
import type { SrtRecipe } from "./srt-recipe.js";

type Path = Array<string | number>;
type SglangRecipe = SrtRecipe & { backend: Extract<SrtRecipe["backend"], { type: "sglang" }> };

/** the router speaks to SGLang workers only */
export function sglangFrontendRefusals(r: SrtRecipe): Array<[Path, string]> {
  if (r.backend.type === "sglang") return [];
  return [
    [
      ["frontend", "type"],
      `the sglang router needs sglang workers (backend.type: sglang), not ${r.backend.type}: srtctl would start dynamo.${r.backend.type} workers the router cannot reach`,
    ],
  ];
}

export interface SglangRouterTargets {
  argv: string[];
  /** srtctl's health expectation: prefill workers, then decode (or aggregated) workers */
  expect: { prefill: number; decode: number };
}

/** The router's worker arguments: the leaders of the gang's workers, as srtctl collects them. */
export function sglangRouterTargets(ctx: RecipeContext, r: SrtRecipe, agg: boolean): SglangRouterTargets {
  const c = r.backend.type === "sglang" ? (r as SglangRecipe).backend.sglang_config : undefined;
  const config = (mode: Mode) => (mode === "agg" ? c?.aggregated : c?.[mode]) ?? {};
  const scheme = (mode: Mode) => (config(mode)["grpc-mode"] ? "grpc://" : "http://");
  const leader = (w: ReturnType<RecipeContext["workers"]>[number]) => {
    const rank = w.ranks[0]!;
    return { ip: ctx.node(rank.nodeRank).ip, slot: ctx.slot(rank) };
  };
  if (agg) {
    const workers = ctx.workers("prefill");
    const urls = workers.map((w) => `${scheme("agg")}${leader(w).ip}:${leader(w).slot.http}`);
    return { argv: ["--worker-urls", ...urls], expect: { prefill: 0, decode: workers.length } };
  }
  const argv = ["--pd-disaggregation"];
  const prefill = ctx.workers("prefill");
  const decode = ctx.workers("decode");
  for (const w of prefill) {
    const { ip, slot } = leader(w);
    argv.push("--prefill", `${scheme("prefill")}${ip}:${slot.http}`, String(slot.bootstrap));
  }
  for (const w of decode) argv.push("--decode", `${scheme("decode")}${leader(w).ip}:${leader(w).slot.http}`);
  return { argv, expect: { prefill: prefill.length, decode: decode.length } };
}

/** One router process listening on `port` of the node at `ip`. */
export function sglangRouter(
  ctx: RecipeContext,
  r: SrtRecipe,
  o: {
    name: string;
    targets: SglangRouterTargets;
    ip: string;
    port: number;
    mounts: ProcessSpec["mounts"];
    stage: number;
    /** the router srtctl's readiness check polls (the one on the public port, or the first) */
    counted: boolean;
  },
): ProcessSpec {
  const argv = ["python", "-m", "sglang_router.launch_router", ...o.targets.argv];
  argv.push("--host", "0.0.0.0", "--port", String(o.port), ...frontendArgs(r.frontend.args));
  const spec = proc(
    o.name,
    "router",
    ctx.d.image,
    argv,
    { ...(r.frontend.env ?? {}) },
    o.mounts,
    [],
    { http: o.port },
    o.stage,
  );
  // the router forks its workers' pool: its own session, as benchfleet's sglang-disagg router
  spec.ownSession = true;
  spec.health = [
    o.counted
      ? ctx.httpHealth(o.ip, o.port, "/workers", { expectRouterWorkers: o.targets.expect })
      : ctx.httpHealth(o.ip, o.port, "/health"),
  ];
  return spec;
}
