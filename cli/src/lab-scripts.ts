/**
 * Single-node rows of a lab checkout's master configs held against the lab's own benchmark
 * scripts: which script each row runs, the script's server command at each of the row's points
 * (traced, lab-script-trace.ts), benchfleet's launch at the same point, and the difference. Used by
 * `benchfleet recipe import-script` (drafts presets) and `recipe check-scripts` (the census).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { planFromFiles } from "@benchfleet/controller";
import {
  buildLaunchPlan,
  compareWithScript,
  type DraftMeta,
  draftScriptPreset,
  parseServerArgv,
  type RecipeOptions,
  renderScriptPresetYaml,
  type ScriptComparison,
  type ScriptDifference,
  type ScriptObservation,
  type ScriptPoint,
  type ScriptPreset,
  type ServerCommand,
} from "@benchfleet/recipes";
import { type Deployment, RecipeError } from "@benchfleet/shared";
import { scriptClientOptions } from "./lab-script-client.js";
import { labScriptFor, type ScriptTrace, traceLabScript } from "./lab-script-trace.js";

const SCRIPT_SUBDIR = join("benchmarks", "single_node", "fixed_seq_len");
/** where the lab's single-node scripts of an agentic-coding row are */
export const AGENTIC_SUBDIR = join("benchmarks", "single_node", "agentic");
/** a fixed-seq-len script's path in its preset (agentic scripts' presets may share its file name) */
const FIXED_SEQ_LEN = "benchmarks/single_node/fixed_seq_len/";

export interface LabRow {
  d: Deployment;
  /** the script the lab's runner picks for the row (absolute path); undefined when none exists */
  script?: string;
}

/**
 * The single-node deployments of a scenario (fixed-seq-len unless asked) of the checkout's master
 * configs and their scripts, from the scenario's script folder.
 */
export function labSingleNodeRows(
  ix: string,
  runners?: string,
  scenario: "fixed-seq-len" | "agentic-coding" = "fixed-seq-len",
): LabRow[] {
  const plan = planFromFiles({
    config: [join(ix, "configs")],
    ...(runners ? { runners } : {}),
    scenarios: [scenario],
  });
  const agentic = scenario === "agentic-coding";
  return plan.deployments
    .filter((d) => !d.multinode && !d.prefill && !d.decode && !!d.agentic === agentic)
    .map((d) => {
      const script = labScriptFor(join(ix, agentic ? AGENTIC_SUBDIR : SCRIPT_SUBDIR), {
        model: d.modelPrefix,
        precision: d.precision,
        sku: d.sku,
        framework: d.framework,
        spec: d.specDecoding === "mtp" ? "mtp" : "none",
      });
      return script ? { d, script } : { d };
    });
}

export function pointOf(d: Deployment, conc: number): ScriptPoint {
  return {
    isl: d.isl,
    osl: d.osl,
    tp: d.tp!,
    ep: d.ep ?? 1,
    dpAttn: d.dpAttn ?? false,
    conc,
    maxModelLen: d.maxModelLen ?? d.isl + d.osl + 256,
  };
}

/** The script's server command (and setup commands) at one point of a row. */
export function traceRow(row: Required<LabRow>, conc: number): ScriptTrace {
  const p = pointOf(row.d, conc);
  return traceLabScript(row.script, {
    ...p,
    model: row.d.model,
    precision: row.d.precision,
    framework: row.d.framework,
    spec: row.d.specDecoding === "mtp" ? "mtp" : "none",
  });
}

/** benchfleet's worker command for one point of a deployment (launch-per-point sizing), on stand-in nodes. */
export function launchCommand(d: Deployment, conc: number, opts: RecipeOptions): ServerCommand {
  const point = d.points.find((p) => p.concurrency === conc);
  if (!point) throw new Error(`${d.configKey}: no point with concurrency ${conc}`);
  const nodes = [{ rank: 0, hostname: "node-00", ip: "10.0.0.1", gpuCount: d.gpusPerNode, rdmaDevices: [] }];
  const vendor = d.sku.startsWith("mi") ? "amd" : "nvidia";
  // the presets under test are `opts`, not those stored with the deployment when it was planned
  const { recipeSettings: _stored, ...bare } = d;
  const lp = buildLaunchPlan(bare, { nodes, portBase: 20480, vendor }, { ...opts, point });
  const proc = lp.nodes.flatMap((n) => n.processes).find((p) => p.role === "worker");
  if (!proc) throw new RecipeError(`${d.configKey}: the launch has no worker process`);
  const optionsFile = proc.files.find((f) => f.path.endsWith(".yaml") || f.path.endsWith(".yml"));
  const cmd = parseServerArgv(proc.argv, proc.env, optionsFile?.content);
  if (!cmd) throw new RecipeError(`${d.configKey}: the worker's argv names no known server: ${proc.argv.join(" ")}`);
  return cmd;
}

export interface PointCheck {
  configKey: string;
  /** the script's file name, or `(none) <model>_<precision>_<sku>_<framework>` */
  key: string;
  script?: string;
  conc: number;
  point: ScriptPoint;
  /** why the row could not be compared (no script, the launch refused, the trace failed) */
  error?: string;
  comparison?: ScriptComparison;
  /** differences the row's preset names under not-reproduced (`--flag ...: why`) */
  excused?: ScriptDifference[];
}

/** A difference a preset's not-reproduced note names: the note starts with `--<flag> ` or `<ENV>=`. */
function isExcused(m: ScriptDifference, notes: readonly string[]): boolean {
  const names =
    m.kind === "flag" ? [`--${m.name} `, `--${m.name}:`] : m.kind === "env" ? [`${m.name}=`] : [`${m.name}:`];
  return notes.some((n) => names.some((p) => n.startsWith(p)));
}

/** the row's script file name, or `(none) <model>_<precision>_<sku>_<framework>` */
export function rowKey(r: LabRow): string {
  return r.script?.split("/").pop() ?? `(none) ${r.d.modelPrefix}_${r.d.precision}_${r.d.sku}_${r.d.framework}`;
}

/** Every point of every row: the launch against the script. */
export function checkLabRows(rows: readonly LabRow[], opts: RecipeOptions): PointCheck[] {
  const out: PointCheck[] = [];
  for (const row of rows) {
    for (const conc of [...new Set(row.d.points.map((p) => p.concurrency))].sort((a, b) => a - b)) {
      const base = { configKey: row.d.configKey, key: rowKey(row), conc, point: pointOf(row.d, conc) };
      if (!row.script) {
        out.push({ ...base, error: "the lab has no script for this key" });
        continue;
      }
      try {
        const script = traceRow(row as Required<LabRow>, conc).command;
        const ours = launchCommand(row.d, conc, opts);
        const comparison = compareWithScript(script, ours);
        const name = row.script.split("/").pop();
        const notes = opts.scripts?.find((p) => p.script === `${FIXED_SEQ_LEN}${name}`)?.["not-reproduced"] ?? [];
        const excused = comparison.missing.filter((m) => isExcused(m, notes));
        comparison.missing = comparison.missing.filter((m) => !isExcused(m, notes));
        out.push({ ...base, script: row.script, comparison, ...(excused.length ? { excused } : {}) });
      } catch (e) {
        out.push({ ...base, script: row.script, error: (e as Error).message });
      }
    }
  }
  return out;
}

/** Drafts of script presets, one per script the rows run, from every point of every row using it. */
export function draftPresets(
  rows: readonly LabRow[],
  opts: { existing: ReadonlyMap<string, { "not-reproduced"?: string[] }> },
): { name: string; text: string }[] {
  const byScript = new Map<string, Required<LabRow>[]>();
  for (const r of rows)
    if (r.script) byScript.set(r.script, [...(byScript.get(r.script) ?? []), r as Required<LabRow>]);
  const out: { name: string; text: string }[] = [];
  for (const [script, list] of [...byScript.entries()].sort()) {
    const first = list[0]!.d;
    const rel = `${SCRIPT_SUBDIR.replaceAll("\\", "/")}/${script.split("/").pop()}`;
    const name = script.split("/").pop()!.replace(/\.sh$/, "");
    const observations: ScriptObservation[] = [];
    const setup = new Set<string>();
    for (const row of list) {
      for (const conc of [...new Set(row.d.points.map((p) => p.concurrency))]) {
        const trace = traceRow(row, conc);
        for (const c of trace.setup) setup.add(c);
        observations.push({
          point: pointOf(row.d, conc),
          script: trace.command,
          entry: launchCommand(row.d, conc, { presets: {}, scripts: [] }),
        });
      }
    }
    const kept = opts.existing.get(name)?.["not-reproduced"] ?? [];
    const setupNotes = [...setup]
      .map((c) =>
        c.startsWith("(not a command here) ")
          ? `${c.slice(21)}: the script runs it as a command (a broken line continuation?); not run by benchfleet`
          : `${c}: run by the script before the server; benchfleet runs the image as it is`,
      )
      .filter((n) => !kept.includes(n));
    const meta: DraftMeta = {
      script: rel,
      model: first.modelPrefix,
      precision: first.precision,
      sku: first.sku,
      framework: first.framework,
      spec: first.specDecoding === "mtp" ? "mtp" : "none",
      engine: observations[0]!.script.engine,
      ...(kept.length || setupNotes.length ? { "not-reproduced": [...kept, ...setupNotes] } : {}),
    };
    const client = scriptClientOptions(readFileSync(script, "utf8"));
    if (client) meta.client = client;
    const preset = draftScriptPreset(meta, observations);
    out.push({
      name,
      text: renderScriptPresetYaml(
        preset,
        observations.map((o) => o.point),
      ),
    });
  }
  return out;
}

/** One line per failing point group: key, script, concurrencies, what differs. */
export function formatChecks(checks: readonly PointCheck[]): { text: string; failing: number } {
  const groups = new Map<string, { concs: number[]; what: string }>();
  let ok = 0;
  for (const c of checks) {
    const what = c.error
      ? `error: ${c.error.split("\n")[0]}`
      : c
          .comparison!.missing.map((m) => `${m.kind} ${m.name}: script ${m.script ?? "-"}, ours ${m.ours ?? "-"}`)
          .join("; ");
    if (!what) {
      ok++;
      continue;
    }
    const k = `${c.configKey} (${c.script?.split("/").pop() ?? "no script"}, ${c.point.isl}/${c.point.osl} tp${c.point.tp} ep${c.point.ep}${c.point.dpAttn ? " dpa" : ""})\n    ${what}`;
    groups.set(k, { concs: [...(groups.get(k)?.concs ?? []), c.conc], what });
  }
  let text = `${ok} of ${checks.length} points launch with every flag, env and option their script passes\n`;
  for (const [k, g] of groups) text += `  - conc ${g.concs.join(",")}: ${k}\n`;
  return { text, failing: checks.length - ok };
}

/**
 * docs/single-node-presets.md: family × framework × SKU → script → preset, the check's result per
 * script and what its preset does not reproduce, from a check of a lab checkout.
 */
export function presetDoc(
  rows: readonly LabRow[],
  checks: readonly PointCheck[],
  presets: readonly ScriptPreset[],
  lab: { head: string },
): string {
  const byScript = new Map<string, { rows: LabRow[]; checks: PointCheck[] }>();
  for (const r of rows) {
    const k = rowKey(r);
    const e = byScript.get(k) ?? { rows: [], checks: [] };
    e.rows.push(r);
    byScript.set(k, e);
  }
  for (const c of checks) byScript.get(c.key)?.checks.push(c);
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const passed = checks.filter((c) => !c.error && !c.comparison?.missing.length).length;
  const lines = [
    "# Single-node presets: the lab's scripts, key by key",
    "",
    "Generated by `benchfleet recipe check-scripts --lab <InferenceX checkout> --markdown docs/single-node-presets.md`",
    `from InferenceX ${lab.head}; redo it after the lab's scripts or configs change.`,
    "",
    "Each single-node fixed-seq-len row of the lab's master configs runs the script its runner picks",
    "(`<model>_<precision>_<sku>_<framework>[_mtp].sh`, else the older name without the framework or with",
    "`_trt`/`_atom`). benchfleet launches it from the preset `configs/recipes/scripts/<script>.yaml`.",
    "The check traces the script under bash with stubbed commands at every point of every row (the",
    "lab's env contract: MODEL, TP, EP_SIZE, DP_ATTENTION, CONC, ISL, OSL, MAX_MODEL_LEN, ...), builds",
    "benchfleet's launch for the same point, and requires every flag, env var and TensorRT-LLM option",
    "the script passes to be in the launch with the same value.",
    "",
    `**${rows.length} deployments (launch groups of the rows), ${passed} of ${checks.length} points carry everything their script passes**`,
    "(differences a preset lists under not-reproduced are not counted as failures; they are listed below).",
    "",
    "| family | precision | SKU | framework | spec | script | deployments | points passing | not reproduced |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [script, e] of [...byScript.entries()].sort()) {
    const d = e.rows[0]!.d;
    const preset = presets.find((p) => p.script === `${FIXED_SEQ_LEN}${script}`);
    const ok = e.checks.filter((c) => !c.error && !c.comparison?.missing.length).length;
    const notes = preset?.["not-reproduced"] ?? [];
    lines.push(
      `| ${d.modelPrefix} | ${d.precision} | ${d.sku} | ${d.framework} | ${d.specDecoding} | ${preset ? `[${script}](../configs/recipes/scripts/${script.replace(/\.sh$/, ".yaml")})` : `${script} (no preset)`} | ${e.rows.length} | ${ok}/${e.checks.length} | ${cell(notes.join("; ")) || "-"} |`,
    );
  }
  const failing = checks.filter((c) => c.error || c.comparison?.missing.length);
  if (failing.length) {
    lines.push("", "## Points that differ from their script", "", "```", formatChecks(failing).text.trimEnd(), "```");
  }
  lines.push(
    "",
    "## What no preset reproduces",
    "",
    "- Conditions the traced points never reach: a preset is drafted from the points today's rows run",
    "  (its header lists them), so a branch of the script for another ISL/OSL, TP or concurrency is not",
    "  in it. A row added later with new values shows up here as differing until its preset is redrafted.",
    "- `EVAL_ONLY` runs (the script's context length for evals): benchfleet evaluates in the benchmark launch.",
    "- The benchmark client's arguments (`run_benchmark_serving`: chat template, tokenizer, prompt",
    "  construction): the client conventions are separate from the server preset.",
    "- Commands the script runs before the server (`pip install ...`): benchfleet runs the image as it is;",
    "  each preset lists its own.",
    "- Flags whose value is a file of the lab checkout (chat templates): the image does not hold it.",
    "",
    "What a launch adds beyond its script (not a failure): the placement's `--host`, `--port`,",
    "`--served-model-name`, visible devices, and TensorRT-LLM options the script leaves at their default.",
    "",
  );
  return lines.join("\n");
}
