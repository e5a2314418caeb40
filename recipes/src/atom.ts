/**
 * ATOM (AMD): `python3 -m atom.entrypoints.openai_server --model M --server-port P -tp N`, single node
 * only (reference/engines.md; the other flags as in InferenceX benchmarks/single_node/fixed_seq_len/
 * dsr1_fp8_mi355x_atom[_mtp].sh: `--kv_cache_dtype fp8`, `--enable-expert-parallel` when ep > 1,
 * `--max-model-len`, MTP as `--method mtp --num-speculative-tokens N`). `atom-disagg` has no documented
 * launch facts: it fails at plan time with "not supported yet".
 */
import { type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { agenticAtomKvSettings } from "./agentic-kv.js";
import { envStrings, fixedLayer, layer, processName, type RecipeContext, STAGE } from "./context.js";
import type { Flags } from "./layering.js";
import { renderFlags } from "./layering.js";

export const ATOM_MTP_TOKENS = 3;

export function atomRecipe(ctx: RecipeContext) {
  if (ctx.vendor !== "amd") throw new RecipeError(`${ctx.d.configKey}: ATOM runs on AMD GPUs only (SKU ${ctx.d.sku})`);
  if (ctx.isDisagg)
    throw new RecipeError(
      `${ctx.d.configKey}: framework atom with prefill/decode pools: disaggregated ATOM is not supported yet`,
    );
  const w = ctx.workers("worker")[0]!;
  if (w.ranks.length > 1)
    throw new RecipeError(`${ctx.d.configKey}: ATOM is single-node only (the worker needs ${w.ranks.length} nodes)`);
  const p = ctx.par("worker")!;
  if (p.pp > 1 || p.dcpSize > 1 || p.pcpSize > 1)
    throw new RecipeError(
      `${ctx.d.configKey}: ATOM recipe supports tensor/expert parallelism only (pp ${p.pp}, dcp ${p.dcpSize}, pcp ${p.pcpSize})`,
    );
  const entry: Flags = { "-tp": p.tp };
  // agentic deployments keep the model's native context (no cap planned)
  if (ctx.d.maxModelLen !== undefined) entry["max-model-len"] = ctx.d.maxModelLen;
  if (p.ep > 1) entry["enable-expert-parallel"] = true;
  if (p.dpAttn) entry["enable-dp-attention"] = true;
  const steps = ctx.mtpSteps("worker", ATOM_MTP_TOKENS);
  if (steps !== undefined) {
    entry.method = "mtp";
    entry["num-speculative-tokens"] = steps;
  }
  const kv = agenticAtomKvSettings(ctx);
  Object.assign(entry, kv.flags);
  const r = w.ranks[0]!;
  const node = ctx.node(r.nodeRank);
  const port = ctx.slot(r).http;
  const s = ctx.resolve(
    "worker",
    layer("engine-defaults:atom", []),
    layer("entry", [{ roles: ["worker"], settings: { flags: entry, env: kv.env } }]),
    fixedLayer([
      {
        roles: ["worker"],
        settings: {
          flags: { model: ctx.d.model, host: "0.0.0.0", "server-port": port },
          env: ctx.visibleDevices(r.gpus),
        },
      },
    ]),
  );
  const spec: ProcessSpec = {
    name: processName(w, 0),
    role: "worker",
    image: ctx.d.image,
    argv: ["python3", "-m", "atom.entrypoints.openai_server", ...renderFlags(s.flags)],
    env: envStrings(s.env),
    mounts: [],
    files: [],
    gpus: r.gpus,
    ports: { http: port },
    health: [ctx.httpHealth(node.ip, port, "/health")],
    stage: STAGE.workers,
    ownSession: false,
  };
  return {
    processes: [{ nodeRank: r.nodeRank, spec }],
    endpoint: { ip: node.ip, port },
    gangHealth: [ctx.canary(node.ip, port)],
  };
}
