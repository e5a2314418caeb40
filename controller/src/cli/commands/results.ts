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
    .option("--emulated <which>", "false (default), true or any", "false");

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
    if (o.out) {
      writeFileSync(o.out, text);
      process.stderr.write(`wrote ${o.out}\n`);
    } else process.stdout.write(text);
  });
}
