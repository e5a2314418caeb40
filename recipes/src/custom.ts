/**
 * `framework: custom`: any OpenAI-compatible server, started as the entry's `benchfleet.server`
 * block says (command, env, port, health path). Single node, one process over the worker's GPUs;
 * parallelism is the server's own business (the block's command carries its flags), so the entry's
 * tp only sizes the GPU set. The endpoint is that port on the node; a canary request proves it serves.
 */
import { CUSTOM_FRAMEWORK, type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { processName, type RecipeContext, STAGE } from "./context.js";

export function customRecipe(ctx: RecipeContext) {
  const server = ctx.d.customServer;
  if (!server)
    throw new RecipeError(`${ctx.d.configKey}: framework ${CUSTOM_FRAMEWORK} needs benchfleet.server in its entry`);
  if (ctx.isDisagg)
    throw new RecipeError(
      `${ctx.d.configKey}: framework ${CUSTOM_FRAMEWORK} serves aggregated only (no prefill/decode pools)`,
    );
  const w = ctx.workers("worker")[0]!;
  if (w.ranks.length > 1)
    throw new RecipeError(
      `${ctx.d.configKey}: framework ${CUSTOM_FRAMEWORK} is single-node (the worker needs ${w.ranks.length} nodes)`,
    );
  const r = w.ranks[0]!;
  const node = ctx.node(r.nodeRank);
  const spec: ProcessSpec = {
    name: processName(w, 0),
    role: "worker",
    image: ctx.d.image,
    argv: server.command,
    env: { ...server.env, ...ctx.visibleDevices(r.gpus) },
    mounts: [],
    files: [],
    gpus: r.gpus,
    ports: { http: server.port },
    health: [ctx.httpHealth(node.ip, server.port, server.health)],
    stage: STAGE.workers,
    ownSession: true,
  };
  if (server.cwd) spec.cwd = server.cwd;
  return {
    processes: [{ nodeRank: r.nodeRank, spec }],
    endpoint: { ip: node.ip, port: server.port },
    gangHealth: [ctx.canary(node.ip, server.port)],
  };
}
