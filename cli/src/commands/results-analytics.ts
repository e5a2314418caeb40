/**
 * `benchfleet results frontier|agentic|at|history|compare|import|report`: analytics over the controller's
 * results DB. Attaches to the `results` command when another file registered it (`results ls|export`
 * live there), or creates it. Talks to the controller's REST API (`--controller`, `--token`, or
 * BENCHFLEET_URL / BENCHFLEET_TOKEN); `import` parses the files here and posts the rows.
 */
import { writeFile } from "node:fs/promises";
import { type ImportContext, ImportError, importPath, toCsv } from "@benchfleet/controller";
import { type AgenticFrontier, CliError, type FrontierPointView, SKU_NAMES, type SkuName } from "@benchfleet/shared";
import type { Command } from "commander";
import { agenticTableRows } from "../agentic-table.js";
import { renderTable } from "../table.js";
import { noteHiddenEmulated } from "./results.js";

const DEFAULT_URL = "http://127.0.0.1:8480";

interface Conn {
  controller?: string;
  token?: string;
}

function conn(o: Conn): { url: string; token?: string } {
  const url = (o.controller ?? process.env.BENCHFLEET_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  return { url, token: o.token ?? process.env.BENCHFLEET_TOKEN };
}

async function call(o: Conn, method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  const { url, token } = conn(o);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new CliError(
      `cannot reach the controller at ${url}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`,
    );
  }
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try {
      msg = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      /* not JSON */
    }
    throw new CliError(`${method} ${path}: ${res.status} ${msg}`);
  }
  return res;
}

async function getJson<T>(o: Conn, path: string): Promise<T> {
  return (await (await call(o, "GET", path)).json()) as T;
}

type Filters = Conn & {
  sweep?: string;
  configKey?: string;
  model?: string;
  precision?: string;
  isl?: string;
  osl?: string;
  skus?: string;
  frameworks?: string;
  date?: string;
  emulated?: string;
  imported?: boolean;
};

function withFilters(cmd: Command): Command {
  return cmd
    .option("--sweep <ids>", "only these sweeps, comma separated")
    .option("--config-key <key>", "only this config key")
    .option("--model <model>", "model name or prefix (dsr1)")
    .option("--precision <p>", "precision (fp8, fp4, ...)")
    .option("--isl <n>", "input sequence length")
    .option("--osl <n>", "output sequence length")
    .option("--skus <list>", "SKUs, comma separated")
    .option("--frameworks <list>", "frameworks, comma separated")
    .option("--date <date>", "as of this date (rows measured at or before it)")
    .option("--emulated <which>", "true | false | any (default: real results, or whatever the named sweeps are)")
    .option("--no-imported", "leave imported rows out")
    .option("--json", "print JSON")
    .option("--csv", "print CSV")
    .option("--controller <url>", "controller URL (env BENCHFLEET_URL)")
    .option("--token <token>", "operator token (env BENCHFLEET_TOKEN)");
}

function query(o: Filters, extra: Record<string, string | undefined> = {}): string {
  const p = new URLSearchParams();
  const put = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== "") p.set(k, v);
  };
  put("sweep", o.sweep);
  put("configKey", o.configKey);
  put("model", o.model);
  put("precision", o.precision);
  put("isl", o.isl);
  put("osl", o.osl);
  put("skus", o.skus);
  put("frameworks", o.frameworks);
  put("date", o.date);
  put("emulated", o.emulated);
  if (o.imported === false) p.set("imported", "false");
  for (const [k, v] of Object.entries(extra)) put(k, v);
  const s = p.toString();
  return s ? `?${s}` : "";
}

const n0 = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(0));
const n1 = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(1));
const n3 = (v: number | null | undefined) => (v === null || v === undefined ? "–" : v.toFixed(3));
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? "–" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`;

/** Prints rows as a table, CSV or (the given value as) JSON. */
function print(o: { json?: boolean; csv?: boolean }, json: unknown, rows: Array<Record<string, string>>): void {
  if (o.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else if (o.csv) {
    const header = rows.length ? Object.keys(rows[0]) : [];
    process.stdout.write(
      toCsv(
        header,
        rows.map((r) => header.map((h) => r[h])),
      ),
    );
  } else process.stdout.write(renderTable(rows));
}

interface AtView {
  ok: boolean;
  tputPerGpu?: number;
  cost?: { hyperscaler: number | null };
  message?: string;
  range?: [number, number];
}

const atCell = (a: AtView) =>
  a.ok
    ? `${n0(a.tputPerGpu)} · $${n3(a.cost?.hyperscaler)}`
    : `out of range${a.range ? ` (${n1(a.range[0])}–${n1(a.range[1])})` : ""}`;

function resultsCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "results");
  return (
    existing ??
    program.command("results").description("stored benchmark results: query, analyse, import, export, report")
  );
}

export function register(program: Command): void {
  const results = resultsCommand(program);

  withFilters(
    results.command("frontier").description("Pareto frontier per group, with the configuration behind each point"),
  )
    .option("--x <axis>", "x axis (interactivity, p90Interactivity, ttft, e2el, ...)", "interactivity")
    .option("--y <axis>", "y axis (tputPerGpu, cost, joulesPerToken, ...)", "tputPerGpu")
    .action(async (o: Filters & { x: string; y: string; json?: boolean; csv?: boolean }) => {
      const r = await getJson<{ groups: Array<{ key: string; points: FrontierPointView[] }> }>(
        o,
        `/api/v1/results/frontier${query(o, { x: o.x, y: o.y })}`,
      );
      const rows = r.groups.flatMap((g) =>
        g.points.map((p) => ({
          group: g.key,
          [o.x]: n1(p.x),
          [o.y]: o.y.startsWith("cost") || o.y.toLowerCase().includes("joules") ? n3(p.y) : n0(p.y),
          // the y column already is throughput/GPU by default
          ...(o.y === "tputPerGpu" ? {} : { "tok/s/GPU": n0(p.tputPerGpu) }),
          "$/M": n3(p.costPerMillion),
          conc: String(p.concurrency),
          parallelism: p.parallelism + (p.ties.length ? ` (+${p.ties.length})` : ""),
          gpus: String(p.gpus),
          image: p.image,
          sweep: p.sweepId,
          source: p.provenance,
        })),
      );
      noteHiddenEmulated(o, rows.length === 0);
      print(o, r, rows);
    });

  withFilters(
    results
      .command("agentic")
      .description("agentic points: frontier per group of throughput per GPU against interactivity, with hit rates"),
  ).action(async (o: Filters & { json?: boolean; csv?: boolean }) => {
    for (const [flag, v] of Object.entries({
      isl: o.isl,
      osl: o.osl,
      precision: o.precision,
      frameworks: o.frameworks,
    }))
      if (v !== undefined) throw new CliError(`results agentic: --${flag} does not apply to agentic points`, 2);
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ sweep: o.sweep, skus: o.skus, model: o.model, emulated: o.emulated }))
      if (v) p.set(k, v);
    const r = await getJson<{ groups: AgenticFrontier[] }>(
      o,
      `/api/v1/results/agentic-frontier${p.size ? `?${p}` : ""}`,
    );
    const rows = agenticTableRows(r.groups);
    noteHiddenEmulated(o, rows.length === 0);
    print(o, r, rows);
  });

  withFilters(
    results.command("at").description("throughput per GPU and $/M tokens at target interactivities (no extrapolation)"),
  )
    .requiredOption("-i, --interactivity <list>", "target tok/s/user, comma separated")
    .action(async (o: Filters & { interactivity: string; json?: boolean; csv?: boolean }) => {
      const r = await getJson<{ interactivity: number[]; groups: Array<{ key: string; at: AtView[] }> }>(
        o,
        `/api/v1/results/at${query(o, { interactivity: o.interactivity })}`,
      );
      const rows = r.groups.map((g) => {
        const row: Record<string, string> = { group: g.key };
        r.interactivity.forEach((t, i) => {
          row[`@${t} tok/s/GPU · $/M`] = atCell(g.at[i]);
        });
        return row;
      });
      noteHiddenEmulated(o, rows.length === 0);
      print(o, r, rows);
    });

  withFilters(results.command("history").description("frontier per sweep and image/engine version, oldest first"))
    .option("-i, --interactivity <list>", "target tok/s/user to read each frontier at, comma separated", "35")
    .action(async (o: Filters & { interactivity: string; json?: boolean; csv?: boolean }) => {
      const r = await getJson<{
        entries: Array<{
          sweepId: string;
          date: string;
          image: string;
          engineVersion?: string;
          groups: Array<{
            key: string;
            measured: number;
            frontier: FrontierPointView[];
            at: Array<AtView & { interactivity: number }>;
          }>;
        }>;
      }>(o, `/api/v1/results/history${query(o, { interactivity: o.interactivity })}`);
      const rows = r.entries.flatMap((e) =>
        e.groups.map((g) => {
          const row: Record<string, string> = {
            date: e.date.slice(0, 10),
            sweep: e.sweepId,
            image: e.image,
            engine: e.engineVersion ?? "",
            group: g.key,
            points: String(g.measured),
            frontier: String(g.frontier.length),
          };
          for (const a of g.at) row[`@${a.interactivity}`] = atCell(a);
          return row;
        }),
      );
      noteHiddenEmulated(o, rows.length === 0);
      print(o, r, rows);
    });

  results
    .command("compare <a> <b>")
    .description(
      "sweep b against baseline sweep a: per-point and per-frontier deltas, regressions beyond the noise, what changed",
    )
    .option(
      "--tolerance <fraction>",
      "relative drop that counts as a regression for points measured once (points with benchfleet.repeats use their runs' spread, at least 1 %)",
      "0.05",
    )
    .option("--fail-on-regression", "exit with status 3 when a regression is found")
    .option("--json", "print JSON")
    .option("--csv", "print CSV (per-point deltas)")
    .option("--controller <url>", "controller URL (env BENCHFLEET_URL)")
    .option("--token <token>", "operator token (env BENCHFLEET_TOKEN)")
    .action(
      async (
        a: string,
        b: string,
        o: Conn & { tolerance: string; failOnRegression?: boolean; json?: boolean; csv?: boolean },
      ) => {
        const tol = Number(o.tolerance);
        if (!(tol >= 0 && tol < 1))
          throw new CliError(`--tolerance must be a fraction in [0, 1), got "${o.tolerance}"`, 2);
        const r = await getJson<{
          points: Array<{
            group: string;
            parallelism: string;
            concurrency: number;
            a: { tputPerGpu: number; image: string; runs: number };
            b: { tputPerGpu: number; image: string; runs: number };
            tputDelta: number | null;
            interactivityDelta: number | null;
            threshold: number;
            regression: boolean;
            reasons: string[];
          }>;
          frontiers: Array<{
            group: string;
            regression: boolean;
            at: Array<{ interactivity: number; delta: number; threshold: number; regression: boolean }>;
            message?: string;
          }>;
          regressions: { points: number; frontiers: number };
          onlyInA: number;
          onlyInB: number;
          changes: Array<{ what: string; a: string[]; b: string[] }>;
        }>(o, `/api/v1/results/compare?${new URLSearchParams({ a, b, tolerance: String(tol) })}`);
        const rows = r.points.map((p) => ({
          group: p.group,
          parallelism: p.parallelism,
          conc: String(p.concurrency),
          [`${a} tok/s/GPU`]: n0(p.a.tputPerGpu),
          [`${b} tok/s/GPU`]: n0(p.b.tputPerGpu),
          "Δ tput": pct(p.tputDelta),
          "Δ intvty": pct(p.interactivityDelta),
          runs: `${p.a.runs}/${p.b.runs}`,
          noise: `±${(p.threshold * 100).toFixed(1)}%`,
          flag: p.regression ? `REGRESSION ${p.reasons.join(", ")}` : "",
        }));
        print(o, r, rows);
        if (!o.json && !o.csv) {
          for (const f of r.frontiers) {
            const worst = f.at.reduce<(typeof f.at)[number] | null>(
              (m, d) => (m === null || d.delta < m.delta ? d : m),
              null,
            );
            const noise = worst ? ` (noise there ±${(worst.threshold * 100).toFixed(1)}%)` : "";
            process.stdout.write(
              `frontier ${f.group}: ${f.message ?? `${f.at.length} interactivities compared, worst ${pct(worst?.delta ?? null)}${noise}`}${f.regression ? " REGRESSION" : ""}\n`,
            );
          }
          process.stdout.write(
            `${r.regressions.points} point regression(s), ${r.regressions.frontiers} frontier regression(s); ${r.onlyInA} point(s) only in ${a}, ${r.onlyInB} only in ${b}\n`,
          );
          process.stdout.write(
            r.changes.length
              ? `changed between the runs:\n${r.changes.map((c) => `  ${c.what}: ${c.a.join(", ") || "–"} → ${c.b.join(", ") || "–"}\n`).join("")}`
              : "changed between the runs: nothing (same image, engine version, deployment fingerprint, spec decoding)\n",
          );
        }
        if (o.failOnRegression && (r.regressions.points > 0 || r.regressions.frontiers > 0)) process.exitCode = 3;
      },
    );

  results
    .command("import <path>")
    .description(
      "import vllm bench serve result JSON files, the reference lab's agg_*.json rows and its agentic result files (file or folder), idempotently",
    )
    .option("--sku <sku>", `SKU of plain vllm bench serve files (${SKU_NAMES.join(", ")})`)
    .option("--tp <n>", "tensor parallelism of plain vllm bench serve files")
    .option("--ep <n>", "expert parallelism of plain vllm bench serve files")
    .option("--gpus <n>", "GPUs of the deployment (default: tp)")
    .option("--framework <name>", "framework (sglang, vllm, trt, ...)")
    .option("--precision <p>", "precision (fp8, fp4, ...)")
    .option("--isl <n>", "input sequence length")
    .option("--osl <n>", "output sequence length")
    .option("--image <image>", "engine image")
    .option("--model-prefix <prefix>", "model prefix (dsr1, gptoss, ...)")
    .option("--spec-decoding <kind>", "mtp | draft_model | none")
    .option("--config-key <key>", "config key to file the rows under")
    .option("--sweep <id>", "sweep id for the imported rows (default import-<date>)")
    .option("--date <iso>", "date for rows whose source has none (default: the file's modification time)")
    .option("--dry-run", "parse and report, store nothing")
    .option("--json", "print the outcome as JSON")
    .option("--controller <url>", "controller URL (env BENCHFLEET_URL)")
    .option("--token <token>", "operator token (env BENCHFLEET_TOKEN)")
    .action(async (path: string, o: Conn & Record<string, string | boolean | undefined>) => {
      const int = (k: string) => {
        const v = o[k];
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) throw new CliError(`--${k} must be a positive integer, got "${v}"`, 2);
        return n;
      };
      if (o.sku !== undefined && !SKU_NAMES.includes(o.sku as SkuName))
        throw new CliError(`--sku: unknown SKU "${o.sku}" (known: ${SKU_NAMES.join(", ")})`, 2);
      if (o.date !== undefined && Number.isNaN(Date.parse(String(o.date))))
        throw new CliError(`--date: not a date: "${o.date}"`, 2);
      const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
      const ctx: ImportContext = Object.fromEntries(
        Object.entries({
          sku: s("sku") as SkuName | undefined,
          tp: int("tp"),
          ep: int("ep"),
          gpus: int("gpus"),
          framework: s("framework"),
          precision: s("precision"),
          isl: int("isl"),
          osl: int("osl"),
          image: s("image"),
          modelPrefix: s("modelPrefix"),
          specDecoding: s("specDecoding"),
          configKey: s("configKey"),
          sweepId: s("sweep"),
          date: o.date ? new Date(String(o.date)).toISOString() : undefined,
        }).filter(([, v]) => v !== undefined),
      );
      let out: Awaited<ReturnType<typeof importPath>>;
      try {
        out = await importPath(path, ctx);
      } catch (err) {
        if (err instanceof ImportError) throw new CliError(err.message, 2);
        throw err;
      }
      let inserted = 0;
      let existing = 0;
      if (!o.dryRun) {
        for (let i = 0; i < out.rows.length; i += 500) {
          const r = (await (
            await call(o, "POST", "/api/v1/results/import", { rows: out.rows.slice(i, i + 500) })
          ).json()) as { inserted: number; existing: number };
          inserted += r.inserted;
          existing += r.existing;
        }
        for (let i = 0; i < out.agentic.length; i += 500) {
          const r = (await (
            await call(o, "POST", "/api/v1/results/import", { rows: [], agentic: out.agentic.slice(i, i + 500) })
          ).json()) as { inserted: number; existing: number };
          inserted += r.inserted;
          existing += r.existing;
        }
      }
      const summary = {
        files: out.files,
        rows: out.rows.length,
        agentic: out.agentic.length,
        inserted,
        existing,
        dryRun: !!o.dryRun,
        skipped: out.skipped,
      };
      if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        process.stdout.write(
          `${out.files} file(s), ${out.rows.length} row(s)${out.agentic.length ? ` and ${out.agentic.length} agentic point(s)` : ""} read${o.dryRun ? " (dry run, nothing stored)" : `: ${inserted} new, ${existing} already imported`}; ${out.skipped.length} skipped\n`,
        );
        for (const k of out.skipped) process.stdout.write(`  skipped ${k.file}: ${k.reason}\n`);
      }
      if (out.rows.length === 0 && out.agentic.length === 0 && out.skipped.length > 0) process.exitCode = 2;
    });

  results
    .command("report <sweep>")
    .description(
      "self-contained HTML report of a sweep: frontier charts, table at interactivities, accuracy, failures, GPU-hours",
    )
    .requiredOption("-o, --out <file>", "HTML file to write")
    .option("-i, --interactivity <list>", "target tok/s/user for the table, comma separated", "20,35,50,100")
    .option("--controller <url>", "controller URL (env BENCHFLEET_URL)")
    .option("--token <token>", "operator token (env BENCHFLEET_TOKEN)")
    .action(async (sweep: string, o: Conn & { out: string; interactivity: string }) => {
      const res = await call(
        o,
        "GET",
        `/api/v1/results/report?${new URLSearchParams({ sweep, interactivity: o.interactivity })}`,
      );
      const html = await res.text();
      try {
        await writeFile(o.out, html);
      } catch (err) {
        throw new CliError(`cannot write ${o.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      process.stdout.write(`wrote ${o.out} (${(html.length / 1024).toFixed(0)} KiB)\n`);
    });
}
