/** `benchfleet sweep start|ls|show|cancel|retry`. */

import { checkRecipes, planFromFiles, srtRefusal } from "@benchfleet/controller";
import { formatUnlaunchable } from "@benchfleet/recipes";
import { CliError, commaList, type SweepSummary } from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, ago, printJson, qs, withConn } from "../client.js";
import { collectDirs } from "../option-checks.js";
import { renderTable } from "../table.js";

export function progressLine(s: SweepSummary): string {
  const c = s.counts;
  return `${s.sweepId} ${s.status}: ${c.succeeded}/${s.jobCount} succeeded, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.cancelled} cancelled; points ${s.pointsDone}/${s.pointsTotal}${s.pointsMissing ? ` (${s.pointsMissing} missing: their jobs failed or were cancelled; \`sweep retry\` re-runs them)` : ""}; ${s.gpuHoursUsed.toFixed(2)} GPU-h used`;
}

async function follow(client: ApiClient, sweepId: string, json: boolean): Promise<SweepSummary> {
  let last = "";
  for (;;) {
    const s = await client.get<SweepSummary>(`/api/v1/sweeps/${encodeURIComponent(sweepId)}`);
    const line = progressLine(s);
    if (line !== last && !json) process.stderr.write(`${line}\n`);
    last = line;
    if (s.status !== "queued" && s.status !== "running") return s;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function register(program: Command): void {
  const sweep = program.command("sweep").description("create and manage sweeps");

  withConn(
    sweep
      .command("start")
      .description("plan a sweep from master configs (locally) and submit it to the controller")
      .requiredOption("-c, --config <path...>", "master config files or folders")
      .option("--runners <file>", "runners.yaml")
      .option("--keys <patterns>", "config keys, comma separated, * wildcards", commaList)
      .option("--sku <skus>", "only these SKUs", commaList)
      .option("--changelog <file>", "perf-changelog.yaml: entries added between --base and --head")
      .option("--base <rev>", "git revision the changelog is compared against")
      .option("--head <rev>", "git revision of the changelog (default: working tree)")
      .option(
        "--srt-slurm <dir>",
        "srt-slurm checkout or recipes overlay for rows' CONFIG_FILE, or DIR@REF: a git ref of the checkout DIR (repeatable; later overlay earlier; default BENCHFLEET_SRT_SLURM)",
        collectDirs,
      )
      .option("--lab <dir>", "InferenceX checkout for script-mode rows (default BENCHFLEET_LAB_DIR)")
      .option("--name <name>", "sweep name")
      .option("--wait", "follow progress until the sweep finishes")
      .option("--json", "JSON output"),
  ).action(async (o) => {
    const plan = planFromFiles({
      config: o.config,
      runners: o.runners,
      keys: o.keys,
      skus: o.sku,
      changelog: o.changelog,
      base: o.base,
      head: o.head,
      srtSlurm: o.srtSlurm,
      lab: o.lab ?? process.env.BENCHFLEET_LAB_DIR,
    });
    for (const w of plan.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    if (plan.deployments.length === 0) throw new CliError("the plan has no deployments: nothing to run");
    // submitted anyway (each such job fails at launch with this reason), but the operator hears it now
    const unlaunchable = checkRecipes(plan);
    // a row whose srt-slurm recipe cannot be honoured is refused: its launch would not be the lab's
    const refusal = srtRefusal(plan.deployments, unlaunchable);
    if (refusal) throw new CliError(refusal, 2);
    process.stderr.write(formatUnlaunchable(unlaunchable, plan.deployments.length));
    const client = new ApiClient(o);
    const source = o.changelog
      ? {
          kind: "changelog",
          changelog: { file: o.changelog, base: o.base, head: o.head },
          skus: o.sku,
          configFiles: o.config,
        }
      : { kind: o.keys ? "keys" : "config", keys: o.keys, skus: o.sku, configFiles: o.config };
    const name =
      o.name ??
      (o.keys
        ? `keys ${o.keys.join(",")}`
        : o.changelog
          ? `changelog ${o.base}..${o.head ?? "working tree"}`
          : `configs ${o.config.join(",")}`);
    let s = await client.post<SweepSummary>("/api/v1/sweeps", { name, deployments: plan.deployments, source });
    if (!o.json)
      process.stdout.write(
        `created sweep ${s.sweepId}: ${s.jobCount} jobs, ${s.pointsTotal} points, ~${s.gpuHoursPlanned.toFixed(1)} GPU-h planned\n`,
      );
    if (o.wait) s = await follow(client, s.sweepId, o.json);
    if (o.json) printJson(s);
    else if (o.wait) process.stdout.write(`${progressLine(s)}\n`);
    if (o.wait && s.status !== "succeeded") process.exitCode = 1;
  });

  withConn(
    sweep
      .command("ls")
      .description("list sweeps")
      .option("--status <status>", "queued, running, succeeded, failed, cancelled")
      .option("--limit <n>", "at most this many", "50")
      .option("--json", "JSON output"),
  ).action(async (o) => {
    const r = await new ApiClient(o).get<{ total: number; items: SweepSummary[] }>(
      `/api/v1/sweeps${qs({ status: o.status, limit: o.limit })}`,
    );
    if (o.json) return printJson(r);
    process.stdout.write(
      renderTable(
        r.items.map((s) => ({
          sweep: s.sweepId,
          name: s.name.slice(0, 40),
          status: s.status,
          jobs: `${s.counts.succeeded}/${s.jobCount}`,
          running: String(s.counts.running),
          failed: String(s.counts.failed),
          points: `${s.pointsDone}/${s.pointsTotal}`,
          "gpu-h": s.gpuHoursUsed.toFixed(2),
          by: s.triggeredBy,
          created: ago(s.createdAt),
        })),
      ),
    );
  });

  withConn(
    sweep
      .command("show <sweep>")
      .description("status and counts of a sweep")
      .option("-f, --follow", "follow until it finishes")
      .option("--json", "JSON output"),
  ).action(async (id: string, o) => {
    const client = new ApiClient(o);
    const s = o.follow
      ? await follow(client, id, o.json)
      : await client.get<SweepSummary>(`/api/v1/sweeps/${encodeURIComponent(id)}`);
    if (o.json) return printJson(s);
    process.stdout.write(
      `${s.name}\n${progressLine(s)}\ntriggered by ${s.triggeredBy} ${ago(s.createdAt)}; ${s.gpuHoursPlanned.toFixed(1)} GPU-h planned\n`,
    );
  });

  withConn(
    sweep
      .command("cancel <sweep>")
      .description("cancel the sweep's queued and running jobs")
      .option("--reason <text>")
      .option("--json", "JSON output"),
  ).action(async (id: string, o) => {
    const s = await new ApiClient(o).post<SweepSummary>(`/api/v1/sweeps/${encodeURIComponent(id)}/cancel`, {
      reason: o.reason,
    });
    if (o.json) return printJson(s);
    process.stdout.write(`${progressLine(s)}\n`);
  });

  withConn(
    sweep
      .command("retry <sweep>")
      .description("re-queue failed and cancelled jobs (or --jobs, or --missing: jobs whose results are incomplete)")
      .option("--jobs <ids>", "only these jobs", commaList)
      .option("--missing", "re-run only deployments with missing results")
      .option("--json", "JSON output"),
  ).action(async (id: string, o) => {
    const r = await new ApiClient(o).post<{ requeued: string[]; sweep: SweepSummary }>(
      `/api/v1/sweeps/${encodeURIComponent(id)}/retry`,
      {
        jobIds: o.jobs,
        missingOnly: o.missing ? true : undefined,
      },
    );
    if (o.json) return printJson(r);
    process.stdout.write(`re-queued ${r.requeued.length} jobs\n${progressLine(r.sweep)}\n`);
  });
}
