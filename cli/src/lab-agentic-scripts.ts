/**
 * Single-node agentic rows of a lab checkout's master configs held against the lab's agentic
 * scripts (benchmarks/single_node/agentic/): at each point the script is traced (lab-script-trace.ts)
 * and benchfleet's launch built on a stand-in node, and the two are compared whole: the engine's
 * flags, env and TensorRT-LLM options both ways (what the script passes that the launch lacks, and
 * what the launch adds), the side servers (Mooncake master, LMCache servers: their flags but for
 * the addresses and ports, which placement sets) and the Mooncake store config but for the master's
 * address. A script "equals" its launch when no point differs. Apart from the launch, the lab
 * client's settings the script had set when it called build_replay_cmd are held against the point's
 * (lab-agentic-client.ts). Used by the lab census test, with the rows of
 * labSingleNodeRows(…, "agentic-coding").
 */
import {
  agenticClientPointSettings,
  buildLaunchPlan,
  compareWithScript,
  findScriptPreset,
  parseServerArgv,
  type RecipeOptions,
  type ScriptDifference,
  type ServerCommand,
} from "@benchfleet/recipes";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { type AgenticClientComparison, compareAgenticClient } from "./lab-agentic-client.js";
import { type ContainerPatch, describePatch, type ScriptTrace, traceLabScript } from "./lab-script-trace.js";
import { AGENTIC_SUBDIR, type LabRow, rowKey } from "./lab-scripts.js";

/** the stand-in node's RDMA devices; the trace finds `mlx5_0` active */
const RDMA = ["mlx5_0", "mlx5_1"];
/**
 * Env not compared with the server's: where a file is (not what is in it), and what the script
 * exports for the lab's client or harness (AIPerf and the replay's AGENTIC_* settings, compared
 * with the point's client settings instead; its trace loader, the eval framework, the model's local
 * path), which the server inherits but does not read.
 */
const NOT_COMPARED_ENV =
  /^(MOONCAKE_CONFIG_PATH|MODEL_PATH|INFMAX_CONTAINER_WORKSPACE|EVAL_FRAMEWORK|WEKA_LOADER_OVERRIDE|AIPERF_.*|AGENTIC_.*)$/;
/** side-server flags set by the placement (addresses, ports) */
const SIDE_PLACEMENT = new Set(["--port", "--host", "--http-host", "--http-port", "--metrics_port"]);

export interface AgenticPointCheck {
  configKey: string;
  /** the script's file name, or `(none) <model>_<precision>_<sku>_<framework>` */
  key: string;
  conc: number;
  /** `none`, or the offload backend */
  offload: string;
  /** why the point could not be compared (no script, the launch refused, the trace failed) */
  error?: string;
  /** each difference, in words: `flag --x: script 1, ours 2` */
  differences: string[];
  /** the lab client's settings against the point's; absent where the trace did not reach the client */
  client?: AgenticClientComparison;
}

/** The client settings planning stores with the point: those of `d`'s script preset among `opts`. */
function pointClient(d: Deployment, opts: RecipeOptions, conc: number) {
  const script = findScriptPreset(opts.scripts, d);
  return script ? agenticClientPointSettings({ ...d, recipeSettings: { script } }, conc).agenticClient : undefined;
}

/**
 * The LMCache connector's server URLs are where placement put the servers (the scripts' 127.0.0.1
 * and fixed ports, the block's ports here): compared by their count.
 */
function withServerCount(flags: ServerCommand["flags"]): ServerCommand["flags"] {
  const v = flags["kv-transfer-config"];
  if (typeof v !== "string" || !v.includes("lmcache.mp.server_urls")) return flags;
  try {
    const cfg = JSON.parse(v) as { kv_connector_extra_config?: Record<string, unknown> };
    const extra = cfg.kv_connector_extra_config;
    const urls = extra?.["lmcache.mp.server_urls"];
    if (!extra || typeof urls !== "string") return flags;
    extra["lmcache.mp.server_urls"] = `${urls.split(",").length} servers`;
    return { ...flags, "kv-transfer-config": JSON.stringify(cfg) };
  } catch {
    return flags;
  }
}

/** marks a difference the script's preset names under not-reproduced */
export const EXCUSED = "(not reproduced) ";
/** marks a patch step of a script whose preset puts its rows in script mode: the lab's script runs it */
const IN_SCRIPT_MODE = "(script mode) ";
/** a difference marked apart (not reproduced, or run by the lab's script in script mode), without its mark */
const setApart = (w: string) =>
  [EXCUSED, IN_SCRIPT_MODE].find((m) => w.startsWith(m)) !== undefined ? w.slice(w.indexOf(") ") + 2) : undefined;

function show(d: ScriptDifference, side: "missing" | "extra", excused: boolean): string {
  const name = d.kind === "flag" ? `--${d.name}` : d.name;
  const what =
    side === "missing"
      ? `${d.kind} ${name}: script ${d.script}, ours ${d.ours ?? "-"}`
      : `${d.kind} ${name}: not in the script (ours ${d.ours})`;
  return excused ? `${EXCUSED}${what}` : what;
}

/** A difference a preset's not-reproduced note names: the note starts with `--<flag> ` or `<ENV>=`. */
function isExcused(d: ScriptDifference, notes: readonly string[]): boolean {
  const names =
    d.kind === "flag" ? [`--${d.name} `, `--${d.name}:`] : d.kind === "env" ? [`${d.name}=`] : [`${d.name}:`];
  return notes.some((n) => names.some((p) => n.startsWith(p)));
}

/** `--a=b` / `--a b` / `--switch` of a side server's argv, without the program and its subcommand */
function sideFlags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) out.set(a.slice(0, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) out.set(a, argv[++i]!);
    else out.set(a, "");
  }
  for (const k of SIDE_PLACEMENT) out.delete(k);
  return out;
}

/** the side server's kind: its program, and its subcommand when it has one (`lmcache server`) */
const sideKind = (argv: readonly string[]) =>
  argv[1] !== undefined && !argv[1].startsWith("-") ? `${argv[0]} ${argv[1]}` : argv[0]!;

function compareSides(script: readonly string[][], ours: readonly ProcessSpec[]): string[] {
  const out: string[] = [];
  const kinds = new Set([...script.map(sideKind), ...ours.map((p) => sideKind(p.argv))]);
  for (const kind of [...kinds].sort()) {
    // servers of one kind start together, in no set order: compared in the order of their settings
    const order = (list: string[][]) =>
      list
        .map((argv) => ({ argv, key: JSON.stringify([...sideFlags(argv)]) }))
        .sort((a, b) => a.key.localeCompare(b.key))
        .map((x) => x.argv);
    const s = order(script.filter((a) => sideKind(a) === kind));
    const o = order(ours.filter((p) => sideKind(p.argv) === kind).map((p) => p.argv));
    if (s.length !== o.length) {
      out.push(`side ${kind}: ${s.length} in the script, ${o.length} ours`);
      continue;
    }
    const seen = new Set<string>();
    s.forEach((argv, i) => {
      const sf = sideFlags(argv);
      const of = sideFlags(o[i]!);
      for (const k of new Set([...sf.keys(), ...of.keys()])) {
        const line =
          sf.get(k) === of.get(k) ? "" : `side ${kind} ${k}: script ${sf.get(k) ?? "-"}, ours ${of.get(k) ?? "-"}`;
        if (line && !seen.has(line)) {
          seen.add(line);
          out.push(line);
        }
      }
    });
  }
  return out;
}

function compareStore(script: string | undefined, worker: ProcessSpec): string[] {
  const path = worker.env.MOONCAKE_CONFIG_PATH;
  const file = path ? worker.files.find((f) => f.path === path)?.content : undefined;
  if (script === undefined && file === undefined) return [];
  if (script === undefined || file === undefined)
    return [`mooncake store config: ${script === undefined ? "none in the script" : "none ours"}`];
  const s = JSON.parse(script) as Record<string, unknown>;
  const o = JSON.parse(file) as Record<string, unknown>;
  const out: string[] = [];
  for (const k of new Set([...Object.keys(s), ...Object.keys(o)])) {
    if (k === "master_server_address") continue;
    if (JSON.stringify(s[k]) !== JSON.stringify(o[k]))
      out.push(`mooncake store ${k}: script ${JSON.stringify(s[k]) ?? "-"}, ours ${JSON.stringify(o[k]) ?? "-"}`);
  }
  return out;
}

/**
 * The script's container patch steps. When the preset puts the script's rows in script mode
 * (`script-mode:`), the lab's script itself launches them, patch steps included. Otherwise
 * benchfleet's launch runs none of them, so each is a difference unless the preset names its target
 * (the file the sed edits, the patch script's name) at the start of a not-reproduced note,
 * `<target>: why`.
 */
function patchLines(patches: readonly ContainerPatch[], notes: readonly string[], scriptMode?: string): string[] {
  return patches.map((p) => {
    const { target, what } = describePatch(p);
    if (scriptMode)
      return `${IN_SCRIPT_MODE}container patch ${target}: ${what}, launched by the lab's script in script mode`;
    const line = `container patch ${target}: ${what}, not run by our launch`;
    return notes.some((n) => n.startsWith(`${target}:`)) ? `${EXCUSED}${line}` : line;
  });
}

/**
 * The differences between the script's launch at one point and benchfleet's; `notes` are the
 * preset's not-reproduced, `scriptMode` its script-mode reason.
 */
export function compareAgenticLaunch(
  trace: ScriptTrace,
  plan: LaunchPlan,
  notes: readonly string[] = [],
  scriptMode?: string,
): string[] {
  const procs = plan.nodes.flatMap((n) => n.processes);
  const worker = procs.find((p) => p.role === "worker");
  if (!worker) return ["the launch has no worker process"];
  const optionsFile = worker.files.find((f) => f.path.endsWith(".yaml") || f.path.endsWith(".yml"));
  const ours = parseServerArgv(worker.argv, worker.env, optionsFile?.content);
  if (!ours) return [`the worker's argv names no known server: ${worker.argv.join(" ")}`];
  const strip = (cmd: ServerCommand): ServerCommand => ({
    ...cmd,
    flags: withServerCount(cmd.flags),
    env: Object.fromEntries(Object.entries(cmd.env).filter(([k]) => !NOT_COMPARED_ENV.test(k))),
  });
  const c = compareWithScript(strip(trace.command), strip(ours));
  const excused = (d: ScriptDifference) => isExcused(d, notes);
  return [
    ...c.missing.map((d) => show(d, "missing", excused(d))),
    ...c.extra.map((d) => show(d, "extra", excused(d))),
    ...compareSides(
      trace.side,
      procs.filter((p) => p.role === "infra"),
    ),
    ...compareStore(trace.mooncakeConfig, worker),
    ...patchLines(trace.patches, notes, scriptMode),
  ];
}

/** Every point of every row: benchfleet's launch against the script's. */
export function checkAgenticRows(rows: readonly LabRow[], opts: RecipeOptions): AgenticPointCheck[] {
  const out: AgenticPointCheck[] = [];
  for (const row of rows) {
    const a = row.d.agentic!;
    const offload = a.kvOffloading === "dram" ? (a.kvOffloadBackend?.name ?? "dram") : "none";
    for (const point of row.d.points) {
      const base = { configKey: row.d.configKey, key: rowKey(row), conc: point.concurrency, offload, differences: [] };
      if (!row.script) {
        out.push({ ...base, error: "the lab has no script for this key" });
        continue;
      }
      try {
        const trace = traceLabScript(row.script, {
          model: row.d.model,
          isl: 0,
          osl: 0,
          tp: row.d.tp!,
          ep: row.d.ep ?? 1,
          dpAttn: row.d.dpAttn ?? false,
          conc: point.concurrency,
          maxModelLen: 0,
          precision: row.d.precision,
          framework: row.d.framework,
          spec: row.d.specDecoding === "mtp" ? "mtp" : "none",
          agentic: {
            kvOffloading: a.kvOffloading,
            ...(a.kvOffloadBackend ? { backend: a.kvOffloadBackend.name } : {}),
            totalCpuDramGb: a.dramOffloadGb,
            durationS: a.durationS,
            dcp: row.d.dcpSize ?? 1,
          },
        });
        const nodes = [
          { rank: 0, hostname: "node-00", ip: "10.0.0.1", gpuCount: row.d.gpusPerNode, rdmaDevices: RDMA },
        ];
        const vendor = row.d.sku.startsWith("mi") ? "amd" : "nvidia";
        // the presets under test are `opts`, not those stored with the deployment when it was planned
        const { recipeSettings: _stored, ...bare } = row.d;
        const plan = buildLaunchPlan(bare, { nodes, portBase: 20480, vendor }, { ...opts, point });
        const rel = `${AGENTIC_SUBDIR.replaceAll("\\", "/")}/${base.key}`;
        const preset = opts.scripts?.find((p) => p.script === rel);
        const notes = preset?.["not-reproduced"] ?? [];
        const c = trace.client;
        const client =
          c === undefined
            ? undefined
            : "error" in c
              ? { differences: [`client: ${c.error}`], notModelled: [] }
              : compareAgenticClient(c.env, pointClient(bare, opts, point.concurrency), a.durationS);
        out.push({
          ...base,
          differences: compareAgenticLaunch(trace, plan, notes, preset?.["script-mode"]),
          ...(client ? { client } : {}),
        });
      } catch (e) {
        out.push({ ...base, error: (e as Error).message });
      }
    }
  }
  return out;
}

export interface AgenticScriptSummary {
  /** the script's file name (or the key with no script) */
  key: string;
  configKeys: string[];
  points: number;
  /** points whose launch equals the script's */
  equal: number;
  /** points that differ only where the script's preset says not reproduced, or in patch steps its script runs in script mode */
  excused: number;
  /** distinct differences over the script's points, each with the count of points it occurs at */
  differences: { what: string; points: number }[];
}

/** Per script: how many of its points launch as the script does, and what differs at the others. */
export function summarizeAgenticChecks(checks: readonly AgenticPointCheck[]): AgenticScriptSummary[] {
  const byKey = new Map<string, AgenticScriptSummary>();
  for (const c of checks) {
    const s = byKey.get(c.key) ?? { key: c.key, configKeys: [], points: 0, equal: 0, excused: 0, differences: [] };
    if (!s.configKeys.includes(c.configKey)) s.configKeys.push(c.configKey);
    s.points++;
    const what = c.error ? [`error: ${c.error.split("\n")[0]}`] : c.differences;
    if (!what.length) s.equal++;
    else if (what.every((w) => setApart(w) !== undefined)) s.excused++;
    for (const w of what) {
      const d = s.differences.find((x) => x.what === w);
      if (d) d.points++;
      else s.differences.push({ what: w, points: 1 });
    }
    byKey.set(c.key, s);
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** The census as text: scripts whose every point equals, then the others with what differs. */
export function formatAgenticSummary(summaries: readonly AgenticScriptSummary[], maxLines = 6): string {
  const same = (s: AgenticScriptSummary) => s.equal + s.excused === s.points;
  const equal = summaries.filter(same);
  const points = summaries.reduce((n, s) => n + s.points, 0);
  const equalPoints = summaries.reduce((n, s) => n + s.equal + s.excused, 0);
  let text = `agentic scripts: ${equal.length} of ${summaries.length} launch as their script at every point (${equalPoints} of ${points} points; differences their preset names as not reproduced, and patch steps the lab's script runs in script mode, aside)\n`;
  for (const s of equal) {
    const aside = (mark: string) => s.differences.filter((d) => d.what.startsWith(mark)).map((d) => setApart(d.what));
    const parts = [
      ...(aside(EXCUSED).length ? [`not reproduced: ${aside(EXCUSED).join("; ")}`] : []),
      ...(aside(IN_SCRIPT_MODE).length ? [`in script mode: ${aside(IN_SCRIPT_MODE).join("; ")}`] : []),
    ];
    text += `  = ${s.key} (${s.points} points)${parts.map((p) => `; ${p}`).join("")}\n`;
  }
  for (const s of summaries.filter((x) => !same(x))) {
    text += `  ≠ ${s.key}: ${s.equal + s.excused} of ${s.points} points equal; ${s.differences.length} differences\n`;
    for (const d of s.differences.slice(0, maxLines)) text += `      ${d.what} (${d.points} points)\n`;
    if (s.differences.length > maxLines) text += `      … ${s.differences.length - maxLines} more\n`;
  }
  return text;
}
