/**
 * Engine recipes: pure functions from (deployment, placement of its gang) to a launch plan — per
 * node, the processes to start (image, argv, env, files, GPUs, ports), their health checks and
 * readiness stage (infra → workers → router/frontend), the endpoint the load generator uses, and
 * the gang-level readiness (router readiness, canary). Unknown frameworks fail fast, non-retryable.
 */
import { type Deployment, LaunchPlan, type NodePlan, type Placement, RecipeError } from "@benchfleet/shared";
import { atomRecipe } from "./atom.js";
import { type PlacedProcess, RecipeContext, type RecipeOptions } from "./context.js";
import { customRecipe } from "./custom.js";
import { dynamoRecipe } from "./dynamo.js";
import { labScriptPlan } from "./lab-script-plan.js";
import type { Engine } from "./preset.js";
import { sglangRecipe } from "./sglang.js";
import { sglangDisaggRecipe } from "./sglang-disagg.js";
import { readSrtRecipe } from "./srt-slurm/read-srt-recipe.js";
import { srtLaunch } from "./srt-slurm/srt-launch.js";
import { launchOptions } from "./stored-settings.js";
import { trtRecipe } from "./trt.js";
import { vllmRecipe } from "./vllm.js";

interface RecipeOutput {
  processes: PlacedProcess[];
  endpoint: { ip: string; port: number };
  gangHealth: LaunchPlan["gangHealth"];
}

type Recipe = { engine: Engine; build: (ctx: RecipeContext) => RecipeOutput };

const RECIPES: Record<string, Recipe> = {
  sglang: { engine: "sglang", build: sglangRecipe },
  "sglang-disagg": { engine: "sglang", build: sglangDisaggRecipe },
  vllm: { engine: "vllm", build: vllmRecipe },
  trt: { engine: "trt", build: trtRecipe },
  "dynamo-sglang": { engine: "sglang", build: (c) => dynamoRecipe(c, "sglang") },
  "dynamo-trt": { engine: "trt", build: (c) => dynamoRecipe(c, "trtllm") },
  "dynamo-vllm": { engine: "vllm", build: (c) => dynamoRecipe(c, "vllm") },
  atom: { engine: "atom", build: atomRecipe },
  custom: { engine: "custom", build: customRecipe },
};

/** Frameworks the reference lab names that benchfleet knows but cannot launch yet. */
const NOT_SUPPORTED: Record<string, string> = {
  "atom-disagg": "disaggregated ATOM is not supported yet: the reference material gives no launch facts for it",
};

export const SUPPORTED_FRAMEWORKS = Object.keys(RECIPES);

/** The engine a framework's recipe runs; undefined for a framework without a recipe. */
export function engineOf(framework: string): Engine | undefined {
  return RECIPES[framework]?.engine;
}

/** The launch plan of `deployment` on `placement`, with the presets it carries (else those in `opts`). */
export function buildLaunchPlan(deployment: Deployment, placement: Placement, opts: RecipeOptions = {}): LaunchPlan {
  const fw = deployment.framework;
  // planned with a lab checkout that has no script for the row: the lab's own run would fail
  if (deployment.labScriptMissing !== undefined) throw new RecipeError(deployment.labScriptMissing);
  // script mode: the lab's own benchmark script runs each point (lab-script-plan.ts)
  if (deployment.mode === "script" || deployment.labScript) return labScriptPlan(deployment, placement);
  if (NOT_SUPPORTED[fw]) throw new RecipeError(`framework ${fw}: ${NOT_SUPPORTED[fw]}`);
  const recipe = RECIPES[fw];
  if (!recipe) throw new RecipeError(`no recipe for framework ${fw}`);
  // presets stored with the deployment when it was planned win over those passed in
  const ctx = new RecipeContext(deployment, placement, recipe.engine, launchOptions(deployment, opts));
  // a row that names an srt-slurm recipe launches what the recipe says (srt-slurm/srt-launch.ts)
  let model = deployment.model;
  let out: RecipeOutput;
  if (deployment.srtRecipe) {
    const read = readSrtRecipe(deployment.srtRecipe, deployment);
    const launch = srtLaunch(ctx, read);
    ctx.notes.push(`launched from srt-slurm recipe ${deployment.srtRecipe.configFile} (variant ${read.variant})`);
    const agentic = deployment.agentic;
    if (agentic && agentic.kvOffloading !== "none")
      ctx.notes.push(
        `KV offload as the recipe sets it; the row's DRAM budget (${agentic.dramOffloadGb} GB, ${agentic.kvOffloadBackend?.name ?? "no backend"}) is not applied`,
      );
    model = launch.servedModel;
    out = launch;
  } else out = recipe.build(ctx);
  const nodes: NodePlan[] = placement.nodes.map((n) => ({
    rank: n.rank,
    hostname: n.hostname,
    ip: n.ip,
    processes: [],
  }));
  for (const p of out.processes) nodes[p.nodeRank]!.processes.push(p.spec);
  for (const n of nodes) n.processes.sort((a, b) => a.stage - b.stage);
  const names = new Set<string>();
  for (const p of out.processes) {
    if (names.has(p.spec.name)) throw new RecipeError(`internal: duplicate process name ${p.spec.name}`);
    names.add(p.spec.name);
  }
  return LaunchPlan.parse({
    framework: fw,
    nodes,
    endpoint: {
      baseUrl: `http://${out.endpoint.ip}:${out.endpoint.port}`,
      model,
      api: "completions",
    },
    gangHealth: out.gangHealth,
    notes: ctx.notes,
  });
}
