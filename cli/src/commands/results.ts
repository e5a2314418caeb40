/** `benchfleet results ls|export`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CliError, formatEngineMetrics } from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, printJson, qs, withConn } from "../client.js";
import { renderTable } from "../table.js";

const filters = (cmd: Command) =>
  cmd
    .option("--sweep <id>")
    .option("--job <id>")
    .option("--config-key <key>")
    .option("--sku <sku>")
    .option("--since <iso>", "received at or after (ISO date)")
    .option("--until <iso>", "received before (ISO date)")
    .option(
      "--emulated <which>",
      "true | false | any (default: real results, or whatever the named sweep or job holds)",
    );

/** An empty answer whose filter left emulated results out by default says so (on stderr): the demo fleet's are all emulated. */
export function noteHiddenEmulated(o: { emulated?: string; sweep?: string; job?: string }, empty: boolean): void {
  if (empty && o.emulated === undefined && !o.sweep && !o.job)
    process.stderr.write(
      "(no real results; emulated ones are left out unless --emulated true|any or --sweep names them)\n",
    );
}

const query = (o: any) => ({
  sweep: o.sweep,
  job: o.job,
  configKey: o.configKey,
  sku: o.sku,
  since: o.since,
  until: o.until,
  emulated: o.emulated,
});

export function register(program: Command): void {
  const results = program.command("results").description("stored load-point results");

  withConn(
    filters(results.command("ls").description("list point results"))
      .option("--limit <n>", "at most", "100")
      .option("--json", "JSON output"),
  ).action(async (o) => {
    const r = await new ApiClient(o).get<{ total: number; items: any[] }>(
      `/api/v1/results${qs({ ...query(o), limit: o.limit })}`,
    );
    noteHiddenEmulated(o, r.total === 0);
    if (o.json) return printJson(r);
    process.stdout.write(
      renderTable(
        r.items.map((p) => ({
          config: String(p.configKey).slice(0, 36),
          sku: p.sku,
          conc: String(p.concurrency),
          // agentic points replay a trace for a duration: they have no ISL/OSL
          "isl/osl": p.result?.agentic ? `agentic ${p.result.agentic.durationS}s` : `${p.isl}/${p.osl}`,
          "tok/s/gpu": p.tputPerGpu === null ? "" : p.tputPerGpu.toFixed(1),
          "tok/s/user": p.interactivity === null ? "" : p.interactivity.toFixed(1),
          engine: formatEngineMetrics(p.result?.engineMetrics),
          status: p.status,
          emulated: p.emulated ? "yes" : "",
        })),
      ),
    );
    if (r.total > r.items.length) process.stdout.write(`(${r.items.length} of ${r.total})\n`);
  });

  withConn(
    filters(results.command("export").description("export point results"))
      .addHelpText(
        "after",
        `
Formats:
  json        our rows, one JSON document
  csv         our rows, one line per point
  vllm-bench  one \`vllm bench serve\` result JSON per point, into the directory -o names
  lab-agg     the reference lab's aggregated rows (an agg_bmk.json array) of successful points
vllm-bench and lab-agg take --sweep, --config-key, --sku and --emulated.`,
      )
      .option("--format <f>", "json, csv, vllm-bench or lab-agg", "json")
      .option("-o, --out <path>", "write to a file (a directory for vllm-bench) instead of stdout"),
  ).action(async (o) => {
    const client = new ApiClient(o);
    if (o.format === "vllm-bench" || o.format === "lab-agg") return exportLabFormat(client, o);
    const data = await client.get(`/api/v1/results/export${qs({ ...query(o), format: o.format })}`);
    const text = typeof data === "string" ? data : `${JSON.stringify(data, null, 2)}\n`;
    // CSV: the header line only; JSON: { count: 0 }
    noteHiddenEmulated(o, typeof data === "string" ? data.trim().split("\n").length <= 1 : data.count === 0);
    writeOut(o.out, text);
  });
}

function writeOut(out: string | undefined, text: string): void {
  if (out) {
    writeFileSync(out, text);
    process.stderr.write(`wrote ${out}\n`);
  } else process.stdout.write(text);
}

/** The `vllm bench serve` and reference-lab formats, read from the analytics API (its filters). */
async function exportLabFormat(client: ApiClient, o: any): Promise<void> {
  const unsupported = ["job", "since", "until"].filter((k) => o[k] !== undefined);
  if (unsupported.length)
    throw new CliError(
      `--format ${o.format} takes --sweep, --config-key, --sku and --emulated; not ${unsupported.map((k) => `--${k}`).join(", ")}`,
      2,
    );
  const q = qs({ sweep: o.sweep, configKey: o.configKey, skus: o.sku, emulated: o.emulated });
  if (o.format === "lab-agg") {
    const rows = await client.get<unknown[]>(`/api/v1/results/lab-agg${q}`);
    noteHiddenEmulated(o, rows.length === 0);
    return writeOut(o.out, `${JSON.stringify(rows, null, 2)}\n`);
  }
  if (!o.out) throw new CliError("--format vllm-bench writes one file per point: name a directory with -o DIR", 2);
  const r = await client.get<{ items: Array<{ file: string; result: unknown }> }>(`/api/v1/results/vllm-bench${q}`);
  noteHiddenEmulated(o, r.items.length === 0);
  mkdirSync(o.out, { recursive: true });
  for (const it of r.items) writeFileSync(join(o.out, it.file), `${JSON.stringify(it.result, null, 2)}\n`);
  process.stderr.write(`wrote ${r.items.length} files to ${o.out}\n`);
}
