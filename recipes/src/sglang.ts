/**
 * SGLang (`python3 -m sglang.launch_server`): one server per worker; a worker wider than a node runs
 * the same command on each of its nodes with `--dist-init-addr --nnodes --node-rank`, and only its
 * rank-0 node serves HTTP (reference/engines.md §1.1, §1.2). The flag builders here are shared by
 * sglang-disagg.ts and dynamo.ts (dynamo.sglang takes the same flags).
 *
 * Prefill context parallelism (`pcp-size` P over `tp` T) is SGLang's attention CP inside its TP
 * group: `--tensor-parallel-size T×P --attn-cp-size P --enable-prefill-cp --cp-strategy interleave`,
 * as the reference lab's recipe writes a `tp: 1, pcp-size: 8` prefill pool (InferenceX
 * benchmarks/multi_node/srt-slurm-recipes/sglang/glm5.2/agentic/disagg-h200-2p2d-pcp8-tp8-dp8-mtp.yaml).
 * Decode context parallelism has no SGLang facts in the reference material and is refused.
 */
import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
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
import type { EngineRole, Flags, Layer, LayerPart, Settings } from "./layering.js";
import type { WorkerLayout } from "./placement.js";

/** engines.md §1.1 example: steps 3, topk 1, draft tokens 4 */
export const SGLANG_MTP_STEPS = 3;

/** Engine defaults: random benchmark data never shares prefixes, so the radix cache is off. */
export function sglangDefaults(ctx: RecipeContext): Layer {
  const parts: LayerPart[] = [{ settings: { flags: { "trust-remote-code": true, "disable-radix-cache": true } } }];
  if (ctx.vendor === "amd") parts.push({ settings: { env: { SGLANG_USE_AITER: "1" } } });
  return layer("engine-defaults:sglang", parts);
}

/** The entry's parallelism, MoE, concurrency and spec-decoding flags for each engine role. */
export function sglangEntry(ctx: RecipeContext, kvFallback?: string): Layer {
  const parts: LayerPart[] = [];
  for (const role of ctx.engineRoles()) {
    const p = ctx.par(role)!;
    if (p.dcpSize > 1) {
      throw new RecipeError(
        `${ctx.d.configKey}: SGLang recipe has no decode context parallelism (dcp-size ${p.dcpSize}): not supported`,
      );
    }
    if (p.pcpSize > 1 && p.dpAttn) {
      throw new RecipeError(
        `${ctx.d.configKey}: ${role}: SGLang prefill context parallelism (pcp-size ${p.pcpSize}) with DP attention: not supported`,
      );
    }
    const flags: Flags = {
      "tensor-parallel-size": p.tp * p.pcpSize,
      "data-parallel-size": p.dpAttn ? p.tp : 1,
      "ep-size": p.ep,
    };
    if (p.pcpSize > 1) {
      flags["attn-cp-size"] = p.pcpSize;
      flags["enable-prefill-cp"] = true;
      flags["cp-strategy"] = "interleave";
    }
    if (p.pp > 1) flags["pipeline-parallel-size"] = p.pp;
    if (p.dpAttn) {
      flags["enable-dp-attention"] = true;
      flags["enable-dp-lm-head"] = true;
      if (ctx.vendor === "amd") flags["moe-dense-tp-size"] = 1;
    }
    if (ctx.moe && p.ep > 1 && p.dpAttn) {
      // deepep (and mori) all-to-all needs ep == tp (engines.md §1.1); never the deprecated --enable-ep-moe
      if (p.ep === p.tp) flags["moe-a2a-backend"] = ctx.vendor === "amd" ? "mori" : "deepep";
      else ctx.notes.push(`${role}: ep ${p.ep} != tp ${p.tp}: no --moe-a2a-backend (deepep/mori need ep == tp)`);
    }
    if (role === "worker" || role === "decode" || !ctx.servesDisagg) {
      const n = ctx.concPerWorker(role);
      flags["max-running-requests"] = n;
      flags["cuda-graph-max-bs"] = n;
    }
    const steps = ctx.mtpSteps(role, SGLANG_MTP_STEPS);
    if (steps !== undefined) {
      flags["speculative-algorithm"] = ctx.vendor === "amd" ? "NEXTN" : "EAGLE";
      flags["speculative-num-steps"] = steps;
      flags["speculative-eagle-topk"] = 1;
      flags["speculative-num-draft-tokens"] = steps + 1;
    }
    if (ctx.servesDisagg) flags["disaggregation-transfer-backend"] = sglangKvBackend(ctx, kvFallback);
    const kv = agenticKvSettings(ctx, "sglang", role);
    parts.push({ roles: [role], settings: kv ? { flags: { ...flags, ...kv.flags }, env: kv.env } : { flags } });
  }
  return layer("entry", parts);
}

export function sglangKvBackend(ctx: RecipeContext, fallback?: string): string {
  const kv = ctx.d.kvP2pTransfer ?? fallback;
  if (!kv)
    throw new RecipeError(`${ctx.d.configKey}: disaggregated SGLang needs kv-p2p-transfer (mooncake, nixl or mori)`);
  if (!["mooncake", "nixl", "mori"].includes(kv)) {
    throw new RecipeError(
      `${ctx.d.configKey}: kv-p2p-transfer "${kv}" is not an SGLang transfer backend (mooncake, nixl, mori)`,
    );
  }
  return kv;
}

/** Spec flags must be all-or-none (engines.md §1.1); an override can break that. */
export function checkSpecFlags(ctx: RecipeContext, role: EngineRole, s: Settings): void {
  const keys = ["speculative-num-steps", "speculative-eagle-topk", "speculative-num-draft-tokens"];
  const set = keys.filter((k) => s.flags[k] !== undefined && s.flags[k] !== false);
  if (set.length && set.length !== keys.length) {
    throw new RecipeError(
      `${ctx.d.configKey}: ${role}: set all of --${keys.join(", --")} or none (got ${set.map((k) => `--${k}`).join(", ")})`,
    );
  }
}

/** Placement flags of one node of a worker: model, host/port, multi-node rank. */
export function sglangRankFlags(
  ctx: RecipeContext,
  w: WorkerLayout,
  rankIndex: number,
  opts: { http: boolean },
): Flags {
  const r = w.ranks[rankIndex]!;
  const leader = w.ranks[0]!;
  const flags: Flags = { "model-path": ctx.d.model, "served-model-name": ctx.d.model, host: "0.0.0.0" };
  if (opts.http) flags.port = ctx.slot(r).http;
  if (w.ranks.length > 1) {
    flags["dist-init-addr"] = `${ctx.node(leader.nodeRank).ip}:${ctx.slot(leader).distInit}`;
    flags.nnodes = w.ranks.length;
    flags["node-rank"] = rankIndex;
  }
  return flags;
}

export interface SglangWorkerOptions {
  module: string;
  http: boolean;
  defaults: Layer;
  entry: Layer;
  /** the processes' role when it is not their pool's (aggregated serving written as a prefill pool) */
  role?: ProcessSpec["role"];
  /** extra fixed flags / env for this rank (disagg mode, bootstrap port, devices) */
  fixed?: (w: WorkerLayout, rankIndex: number) => { flags?: Flags; env?: Record<string, string> };
}

/** One process per node of each worker. */
export function sglangWorkerProcesses(ctx: RecipeContext, opts: SglangWorkerOptions): PlacedProcess[] {
  const out: PlacedProcess[] = [];
  for (const w of ctx.workers()) {
    w.ranks.forEach((r, i) => {
      const extra = opts.fixed?.(w, i) ?? {};
      const fixed = fixedLayer([
        {
          roles: [w.pool],
          settings: {
            flags: { ...sglangRankFlags(ctx, w, i, { http: opts.http }), ...(extra.flags ?? {}) },
            env: { ...ctx.visibleDevices(r.gpus), ...(extra.env ?? {}) },
          },
        },
      ]);
      const s = ctx.resolve(w.pool, opts.defaults, opts.entry, fixed);
      checkSpecFlags(ctx, w.pool, s);
      const slot = ctx.slot(r);
      const ports: Record<string, number> = {};
      if (opts.http) ports.http = slot.http;
      if (w.ranks.length > 1 && i === 0) ports.distInit = slot.distInit;
      if (typeof s.flags["disaggregation-bootstrap-port"] === "number")
        ports.bootstrap = s.flags["disaggregation-bootstrap-port"] as number;
      if (typeof s.flags["nccl-port"] === "number") ports.nccl = s.flags["nccl-port"] as number;
      if (s.env.DYN_SYSTEM_PORT) ports.system = Number(s.env.DYN_SYSTEM_PORT);
      const node = ctx.node(r.nodeRank);
      const spec: ProcessSpec = {
        name: processName(w, i),
        role: opts.role ?? w.pool,
        image: ctx.d.image,
        argv: ["python3", "-m", opts.module, ...renderSglang(s.flags)],
        env: envStrings(s.env),
        mounts: [],
        files: [],
        gpus: r.gpus,
        ports,
        health: opts.http && i === 0 ? [ctx.httpHealth(node.ip, slot.http, "/health")] : [],
        stage: STAGE.workers,
        ownSession: false,
      };
      out.push({ nodeRank: r.nodeRank, spec });
    });
  }
  return out;
}

function renderSglang(flags: Flags): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(flags)) {
    if (v === null || v === false) continue;
    const name = k.startsWith("-") ? k : `--${k}`;
    if (v === true) out.push(name);
    else out.push(name, String(v));
  }
  return out;
}

/** framework `sglang`: aggregated server(s); the leader's rank 0 is the endpoint. */
export function sglangRecipe(ctx: RecipeContext) {
  if (ctx.isDisagg) {
    throw new RecipeError(
      `${ctx.d.configKey}: framework sglang with prefill/decode pools: use framework sglang-disagg or dynamo-sglang`,
    );
  }
  const processes = sglangWorkerProcesses(ctx, {
    module: "sglang.launch_server",
    http: true,
    defaults: sglangDefaults(ctx),
    entry: sglangEntry(ctx),
  });
  const w = ctx.workers("worker")[0]!;
  const port = ctx.slot(w.ranks[0]!).http;
  const ip = ctx.node(w.ranks[0]!.nodeRank).ip;
  return { processes, endpoint: { ip, port }, gangHealth: [ctx.canary(ip, port)] };
}
