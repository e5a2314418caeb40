/** `benchfleet results ls|export`. */
import { writeFileSync } from "node:fs";
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
          "isl/osl": `${p.isl}/${p.osl}`,
          "tok/s/gpu": p.tputPerGpu === null ? "" : p.tputPerGpu.toFixed(1),
          "tok/s/user": p.interactivity === null ? "" : p.interactivity.toFixed(1),
          status: p.status,
          emulated: p.emulated ? "yes" : "",
        })),
      ),
    );
    if (r.total > r.items.length) process.stdout.write(`(${r.items.length} of ${r.total})\n`);
  });

  withConn(
    filters(results.command("export").description("export point results as JSON or CSV"))
      .option("--format <f>", "json or csv", "json")
      .option("-o, --out <file>", "write to a file instead of stdout"),
  ).action(async (o) => {
    const client = new ApiClient(o);
    const data = await client.get(`/api/v1/results/export${qs({ ...query(o), format: o.format })}`);
    const text = typeof data === "string" ? data : `${JSON.stringify(data, null, 2)}\n`;
    // CSV: the header line only; JSON: { count: 0 }
    noteHiddenEmulated(o, typeof data === "string" ? data.trim().split("\n").length <= 1 : data.count === 0);
    if (o.out) {
      writeFileSync(o.out, text);
      process.stderr.write(`wrote ${o.out}\n`);
    } else process.stdout.write(text);
  });
}
