/**
 * `benchfleet plan`: dry-run a sweep — deployments with their launches, nodes, points, estimated
 * GPU-hours and wall-clock time (each deployment's, and the sweep's on the runners file's nodes;
 * with `--history`, from the controller's finished jobs and fleet where it has them).
 */

import { readFileSync } from "node:fs";
import { checkRecipes, formatScriptMode, planFromFiles, scriptPresetsOf } from "@benchfleet/controller";
import { formatUnlaunchable } from "@benchfleet/recipes";
import type { Plan, PlanTiming, PlanTotals, ScenarioType } from "@benchfleet/shared";
import {
  CliError,
  commaList,
  durationText,
  evalConcurrencies,
  loadRunnersFile,
  planTiming,
  SCENARIO_TYPES,
  timingInput,
} from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, withConn } from "../client.js";
import { collectDirs } from "../option-checks.js";
import { renderTable } from "../table.js";

export function register(program: Command): void {
  withConn(
    program
      .command("plan")
      .description("plan a sweep from master configs (dry run): deployments, nodes, points, GPU-hours by SKU")
      .requiredOption("-c, --config <path...>", "master config files or folders (folders: every *master.yaml)")
      .option("--runners <file>", "runners.yaml mapping runner labels to nodes and hardware")
      .option("--keys <patterns>", "config keys to plan, comma separated, * wildcards", commaList)
      .option("--changelog <file>", "perf-changelog.yaml: plan only the entries added between --base and --head")
      .option("--base <rev>", "git revision the changelog is compared against")
      .option("--head <rev>", "git revision of the changelog (default: the working tree)")
      .option("--sku <skus>", "only these SKUs, comma separated", commaList)
      .option(
        "--scenario <types>",
        `scenario types to plan, comma separated: ${SCENARIO_TYPES.join(", ")} (default both)`,
        commaList,
      )
      .option("--sku-catalog <file>", "SKU catalog (default configs/skus.yaml)")
      .option(
        "--presets <dir>",
        "recipe presets stored with the deployments and used by the recipe check (default configs/recipes)",
      )
      .option(
        "--srt-slurm <dir>",
        "srt-slurm checkout or recipes overlay for rows' CONFIG_FILE, or DIR@REF: a git ref of the checkout DIR (repeatable; later overlay earlier; default BENCHFLEET_SRT_SLURM)",
        collectDirs,
      )
      .option(
        "--lab <dir>",
        "InferenceX checkout: script-mode rows (benchfleet.script, no recipe for the framework, or an agentic script preset's script-mode) run its benchmark scripts (default BENCHFLEET_LAB_DIR)",
      )
      .option(
        "--history",
        "wall-clock estimates from the controller (--controller/BENCHFLEET_URL): its finished jobs of the same deployments and its fleet's nodes",
      )
      .option("--json", "print the plan as JSON (the recipe check's findings go to stderr)"),
  ).action(async (opts) => {
    const scenarios = scenarioOption(opts.scenario);
    const plan = planFromFiles({
      ...(scenarios ? { scenarios } : {}),
      config: opts.config,
      runners: opts.runners,
      keys: opts.keys,
      skus: opts.sku,
      changelog: opts.changelog,
      base: opts.base,
      head: opts.head,
      skuCatalog: opts.skuCatalog,
      srtSlurm: opts.srtSlurm,
      recipes: opts.presets,
      lab: opts.lab ?? process.env.BENCHFLEET_LAB_DIR,
    });
    for (const w of plan.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    // every deployment is built by its recipe on a stand-in gang: what no recipe can launch is named now
    const unlaunchable = formatUnlaunchable(checkRecipes(plan, opts.presets), plan.deployments.length);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      process.stderr.write(unlaunchable);
    } else {
      const timing = await timingOf(plan, opts);
      // which deployments run the lab's own scripts, and why
      const scripted = formatScriptMode(plan.deployments, scriptPresetsOf(opts.presets));
      process.stdout.write(
        formatPlan(plan, timing) + (scripted ? `\n${scripted}` : "") + (unlaunchable ? `\n${unlaunchable}` : ""),
      );
    }
  });
}

/** The plan's wall-clock estimate: the controller's (--history), else the model on the runners file's nodes. */
async function timingOf(
  plan: Plan,
  opts: { history?: boolean; runners?: string; controller?: string; token?: string },
) {
  const inputs = plan.deployments.map(timingInput);
  if (opts.history) return new ApiClient(opts).post<PlanTiming>("/api/v1/plan/timing", { deployments: inputs });
  if (!opts.runners) return planTiming(inputs, [], {}, "none");
  // the file was read and checked by the planner already
  const labels = loadRunnersFile({ file: opts.runners, text: readFileSync(opts.runners, "utf8") }).labels;
  return planTiming(
    inputs,
    [],
    Object.fromEntries(Object.entries(labels).map(([label, runners]) => [label, runners.length])),
    "runners-file",
  );
}

function scenarioOption(v: string[] | undefined): ScenarioType[] | undefined {
  if (!v) return undefined;
  for (const s of v)
    if (!SCENARIO_TYPES.includes(s as ScenarioType))
      throw new CliError(`unknown scenario "${s}" in --scenario (known: ${SCENARIO_TYPES.join(", ")})`, 2);
  return v as ScenarioType[];
}

function totalsLine(t: PlanTotals): string {
  const launches = t.launches ?? t.deployments;
  return `${t.deployments} deployments (${t.singleNodeDeployments} single-node, ${t.multiNodeDeployments} multi-node), ${launches} launches, ${t.points} load points, ${t.evals} evals, ≈${t.gpuHours.toFixed(1)} GPU-hours`;
}

/** kv offload of an agentic deployment, e.g. `dram:lmcache 1199GB`; `-` for fixed-seq-len */
function offloadCell(d: Plan["deployments"][number]): string {
  const a = d.agentic;
  if (!a) return "-";
  if (a.kvOffloading === "none") return "none";
  return `${a.kvOffloading}:${a.kvOffloadBackend?.name ?? "?"} ${a.dramOffloadGb}GB`;
}

/** `1h 05m (measured)`: a deployment's wall-clock estimate and what it rests on */
function wallCell(t: PlanTiming["deployments"][number] | undefined): string {
  return t ? `${durationText(t.wallSeconds)} (${t.basis})` : "-";
}

/** the sweep's wall-clock line: how long, on which nodes, on what the figures rest */
function wallLine(t: PlanTiming): string {
  const nodes = Object.entries(t.byRunner)
    .map(([label, r]) => `${label} ${r.nodes}${r.nodesKnown ? "" : "?"}`)
    .join(", ");
  const where =
    t.nodesFrom === "fleet"
      ? "the controller's fleet"
      : t.nodesFrom === "runners-file"
        ? "the runners file's nodes"
        : "each label's largest gang (no --runners or --history: node counts unknown)";
  const bases = Object.entries(t.bases)
    .filter(([, n]) => n > 0)
    .map(([b, n]) => `${n} ${b}`)
    .join(", ");
  return `Wall-clock: ≈${durationText(t.wallSeconds)} on ${where} (nodes: ${nodes}; ? = unknown, largest gang), ${durationText(t.serialSeconds)} one after another; estimates: ${bases}\n`;
}

export function formatPlan(plan: Plan, timing?: PlanTiming): string {
  const rows = plan.deployments.map((d, i) => ({
    sku: d.sku,
    config: d.configKey,
    framework: d.framework,
    scenario: d.scenario,
    "isl/osl": d.agentic ? `trace ${d.agentic.durationS}s` : `${d.isl}/${d.osl}`,
    offload: offloadCell(d),
    parallelism: d.multinode
      ? `P ${d.prefill!.numWorker}x tp${d.prefill!.tp}${d.prefill!.dpAttn ? " dpa" : ""} / D ${d.decode!.numWorker}x tp${d.decode!.tp}${d.decode!.dpAttn ? " dpa" : ""}`
      : `tp${d.tp} ep${d.ep}${d.dpAttn ? " dpa" : ""}${d.pp! > 1 ? ` pp${d.pp}` : ""}`,
    spec: d.specDecoding,
    nodes: String(d.nodes),
    gpus: String(d.gpus),
    conc: d.evalsOnly ? "eval only" : d.points.map((p) => p.concurrency).join(","),
    // the concurrencies the accuracy eval runs at in this launch ("default": the eval client's own)
    eval: d.eval ? (evalConcurrencies(d)?.join(",") ?? "default") : "-",
    // a configuration whose points need their own server settings launches once per group
    launch: d.launchPart ? `${d.launchPart.part}/${d.launchPart.parts}` : "1/1",
    // script mode: each point runs the lab's own script (its name), else benchfleet's recipe
    mode: d.labScript
      ? `script ${d.labScript.path.split("/").pop()}`
      : d.mode === "script"
        ? "script (no script)"
        : "recipe",
    "gpu-h": d.estimate.gpuHours.toFixed(1),
    ...(timing ? { wall: wallCell(timing.deployments[i]) } : {}),
  }));
  let out = renderTable(rows);
  out += "\nBy SKU:\n";
  out += renderTable(
    Object.entries(plan.bySku).map(([sku, t]) => ({
      sku,
      deployments: String(t.deployments),
      launches: String(t.launches ?? t.deployments),
      "single-node": String(t.singleNodeDeployments),
      "multi-node": String(t.multiNodeDeployments),
      points: String(t.points),
      evals: String(t.evals),
      "gpu-h": t.gpuHours.toFixed(1),
    })),
  );
  for (const [scenario, t] of Object.entries(plan.byScenario ?? {})) out += `\n${scenario}: ${totalsLine(t)}`;
  out += `\nTotal: ${totalsLine(plan.totals)}\n`;
  if (timing) out += wallLine(timing);
  return out;
}
