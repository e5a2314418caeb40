/** `benchfleet recipe show`: the resolved launch plan of a config key's deployments. */
import { planFromFiles } from "@benchfleet/controller";
import { buildLaunchPlan, formatLaunchPlan, type GangNode, layoutGang } from "@benchfleet/recipes";
import {
  CliError,
  commaList,
  type Deployment,
  describeAgenticClient,
  type LaunchPlan,
  RecipeError,
} from "@benchfleet/shared";
import type { Command } from "commander";
import { collectDirs } from "../option-checks.js";
import { registerLab } from "./recipe-lab.js";

const DEFAULT_PORT_BASE = 20480;

function describe(d: Deployment): string {
  const par =
    d.prefill && d.decode
      ? `prefill ${d.prefill.numWorker}x tp${d.prefill.tp} ep${d.prefill.ep}${d.prefill.dpAttn ? " dpa" : ""} / decode ${d.decode.numWorker}x tp${d.decode.tp} ep${d.decode.ep}${d.decode.dpAttn ? " dpa" : ""}`
      : `tp${d.tp} ep${d.ep}${d.dpAttn ? " dpa" : ""}`;
  return `${d.configKey}: ${d.framework} on ${d.sku}, ${par}, spec ${d.specDecoding}, isl ${d.isl} osl ${d.osl}, points ${d.points.map((p) => p.concurrency).join(",") || "(eval only)"}${loadSettings(d)}${agenticClient(d)}`;
}

/** an agentic deployment's lab-client settings (its script's or recipe's AIPERF_* / AGENTIC_*), by the points that carry them */
function agenticClient(d: Deployment): string {
  if (d.scenario !== "agentic-coding" || !d.points.some((p) => p.agenticClient)) return "";
  const byText = new Map<string, number[]>();
  for (const p of d.points) {
    const text = describeAgenticClient(p.agenticClient);
    byText.set(text, [...(byText.get(text) ?? []), p.concurrency]);
  }
  return `; lab client: ${[...byText].map(([text, concs]) => `c=${concs.join(",")} ${text}`).join("; ")}`;
}

/** the client settings of the deployment's points (an srt-slurm recipe's benchmark section), if any */
function loadSettings(d: Deployment): string {
  const p = d.points[0];
  if (!p || (p.useChatTemplate ?? p.requestRate ?? p.rangeRatio ?? p.warmupsPerConc) === undefined) return "";
  const parts = [
    p.useChatTemplate ? "chat template" : "no chat template",
    `rate ${p.requestRate ?? "inf"}`,
    `${d.promptsPerConc} prompts/conc`,
    ...(p.warmupsPerConc !== undefined ? [`${p.warmupsPerConc} warm-ups/conc`] : []),
    ...(p.warmupRequestRate !== undefined ? [`warm-up rate ${p.warmupRequestRate}`] : []),
    ...(p.rangeRatio !== undefined ? [`range ratio ${p.rangeRatio}`] : []),
    ...(p.freshConnections ? ["a connection per request"] : []),
  ];
  return `; load: ${parts.join(", ")}`;
}

/** `--nodes a,b=10.0.0.2,…`: hostname[=ip]; absent → node-00.. placeholders. */
function gangNodes(
  d: Deployment,
  spec: string[] | undefined,
  rdma: string[],
  netIfname: string | undefined,
): GangNode[] {
  const need = layoutGang(d).nodes;
  const names = spec ?? Array.from({ length: need }, (_, i) => `node-${String(i).padStart(2, "0")}`);
  if (names.length < need)
    throw new CliError(`${d.configKey}: --nodes gives ${names.length} node(s) but this deployment needs ${need}`, 2);
  return names.slice(0, need).map((n) => {
    const [hostname, ip] = n.split("=", 2) as [string, string | undefined];
    return {
      hostname,
      ip: ip || hostname,
      gpuCount: d.gpusPerNode,
      rdmaDevices: rdma,
      ...(netIfname ? { netIfname } : {}),
    };
  });
}

export function register(program: Command): void {
  const recipe = program.command("recipe").description("engine recipes: launch plans built from master-config entries");
  recipe
    .command("show <config-key>")
    .description(
      "print the resolved launch plan (every node's processes, argv, env, files, health) of a config key's deployments",
    )
    .requiredOption("-c, --config <path...>", "master config files or folders (folders: every *master.yaml)")
    .option("--runners <file>", "runners.yaml mapping runner labels to nodes and hardware")
    .option("--point <conc>", "only deployments with this concurrency, sized for it (as a launch-per-point launch)")
    .option(
      "--nodes <list>",
      "gang nodes in order, comma separated: hostname or hostname=ip (default node-00, node-01, …)",
      commaList,
    )
    .option("--rdma <devices>", "RDMA devices of every node, comma separated (e.g. mlx5_0,mlx5_1)", commaList)
    .option("--net-ifname <name>", "default-route network interface of every node")
    .option("--port-base <port>", "first port of the attempt's block", String(DEFAULT_PORT_BASE))
    .option("--presets <dir>", "recipe presets stored with the deployments (default configs/recipes)")
    .option("--sku-catalog <file>", "SKU catalog (default configs/skus.yaml)")
    .option(
      "--srt-slurm <dir>",
      "srt-slurm checkout or recipes overlay for rows' CONFIG_FILE, or DIR@REF: a git ref of the checkout DIR (repeatable; later overlay earlier; default BENCHFLEET_SRT_SLURM)",
      collectDirs,
    )
    .option("--json", "print the plans as JSON")
    .action((key: string, opts) => {
      const plan = planFromFiles({
        config: opts.config,
        runners: opts.runners,
        keys: [key],
        skuCatalog: opts.skuCatalog,
        srtSlurm: opts.srtSlurm,
        recipes: opts.presets,
      });
      for (const w of plan.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      let deployments = plan.deployments.filter((d) => d.configKeys.includes(key) || d.configKey === key);
      if (!deployments.length) throw new CliError(`config key ${key} plans no deployment`, 2);
      let point: number | undefined;
      if (opts.point !== undefined) {
        point = Number(opts.point);
        if (!Number.isInteger(point) || point <= 0)
          throw new CliError(`--point ${opts.point}: expected a positive whole number (a concurrency)`, 2);
        deployments = deployments.filter((d) => d.points.some((p) => p.concurrency === point));
        if (!deployments.length) throw new CliError(`config key ${key} has no deployment with concurrency ${point}`, 2);
      }
      const portBase = Number(opts.portBase);
      if (!Number.isInteger(portBase)) throw new CliError(`--port-base ${opts.portBase}: expected a port number`, 2);
      const results: Array<{ deployment: string; fingerprint: string; plan?: LaunchPlan; error?: string }> = [];
      let text = "";
      deployments.forEach((d, i) => {
        const header = `== [${i + 1}/${deployments.length}] ${describe(d)}`;
        try {
          const vendor = d.sku.startsWith("mi") ? "amd" : "nvidia";
          const nodes = gangNodes(d, opts.nodes, opts.rdma ?? [], opts.netIfname);
          const placement = { nodes: nodes.map((n, rank) => ({ rank, ...n })), portBase, vendor } as const;
          const pointSpec = point !== undefined ? d.points.find((p) => p.concurrency === point) : undefined;
          // the presets the plan stored with the deployment, as an agent launches it
          const lp = buildLaunchPlan(d, placement, pointSpec ? { point: pointSpec } : {});
          results.push({ deployment: describe(d), fingerprint: d.fingerprint, plan: lp });
          text += `${header}\n${formatLaunchPlan(lp)}\n`;
        } catch (e) {
          if (!(e instanceof RecipeError)) throw e;
          results.push({ deployment: describe(d), fingerprint: d.fingerprint, error: e.message });
          text += `${header}\nerror: ${e.message}\n\n`;
        }
      });
      process.stdout.write(opts.json ? `${JSON.stringify(results, null, 2)}\n` : text);
      if (results.some((r) => r.error)) process.exitCode = 1;
    });
  registerLab(recipe);
}
