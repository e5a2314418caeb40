/**
 * Side-by-side tables, recipe vs plan, for master-config keys whose multi-node rows name an
 * srt-slurm recipe: for one deployment of each key (fixed-seq-len rows first, then agentic-coding
 * rows; of those, the first by recipe file and variant whose recipe reads and launches), every
 * setting of the recipe (resources, dynamo, etcd/NATS, frontend, each role's engine config and
 * environment, benchmark) next to what benchfleet's launch plan does with it, read back from the
 * plan (argv flags, engine config files, process environments). Writes the whole of
 * docs/srt-slurm-side-by-side.md to stdout.
 *
 *   node --conditions=source --import tsx scripts/srt-side-by-side.ts --lab <dir with InferenceX and srt-slurm> [KEY ...]
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSkuCatalog } from "@benchfleet/controller";
import { buildLaunchPlan, layoutGang, readSrtRecipe, srtRecipeSource } from "@benchfleet/recipes";
import {
  buildPlan,
  type Deployment,
  type LaunchPlan,
  loadMasterConfigs,
  loadRunnersFile,
  type ProcessSpec,
  parseYamlSource,
} from "@benchfleet/shared";

const DEFAULT_KEYS = [
  "dsv4-fp4-gb200-dynamo-vllm",
  "dsr1-fp4-gb200-dynamo-trt",
  "dsr1-fp8-gb200-dynamo-sglang",
  "qwen3.5-fp8-gb200-dynamo-sglang",
  "dsr1-fp8-mi355x-sglang-disagg",
  "kimik2.6-fp4-b200-dynamo-vllm",
  // srtctl's own frontends: direct `vllm serve`, the SGLang router (agentic rows)
  "kimik3-fp4-b200-dynamo-vllm-agentic",
  "qwen3.5-fp4-gb200-dynamo-sglang-agentic-mtp",
  // a vLLM recipe's Mooncake store (backend.mooncake_kv_store) beside NIXL
  "dsv4-fp4-gb200-dynamo-vllm-agentic-mtp2-disagg",
];

const args = process.argv.slice(2);
const labAt = args.indexOf("--lab");
if (labAt < 0 || !args[labAt + 1]) {
  process.stderr.write("usage: srt-side-by-side.ts --lab <dir holding InferenceX and srt-slurm> [KEY ...]\n");
  process.exit(2);
}
const lab = args[labAt + 1]!;
const keys = args.filter((_, i) => i !== labAt && i !== labAt + 1);
const IX = join(lab, "InferenceX");
const dirs = [join(lab, "srt-slurm"), IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")];

const files = readdirSync(join(IX, "configs"))
  .filter((f) => f.endsWith("master.yaml"))
  .map((f) => ({ file: join(IX, "configs", f), text: readFileSync(join(IX, "configs", f), "utf8") }));
const wanted = keys.length ? keys : DEFAULT_KEYS;
const runnersFile = join(IX, "configs", "runners.yaml");
const plan = buildPlan(loadMasterConfigs(files, { only: new Set(wanted) }), {
  catalog: readSkuCatalog(),
  runners: loadRunnersFile({ file: runnersFile, text: readFileSync(runnersFile, "utf8") }),
  selection: { scenarioTypes: new Set(["fixed-seq-len", "agentic-coding"]) },
  srtRecipes: srtRecipeSource(dirs),
});

const cell = (v: unknown): string => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s === undefined ? "—" : s.replace(/\|/g, "\\|").replace(/\n/g, " ");
};
const rel = (p: string) => dirs.reduce((acc, d) => acc.replace(`${d}/`, ""), p);

function launch(d: Deployment): LaunchPlan {
  const nodes = Array.from({ length: layoutGang(d).nodes }, (_, rank) => ({
    rank,
    hostname: `node-${rank}`,
    ip: `10.0.0.${rank + 1}`,
    gpuCount: d.gpusPerNode,
    rdmaDevices: [],
  }));
  return buildLaunchPlan(d, { nodes, portBase: 20480, vendor: d.sku.startsWith("mi") ? "amd" : "nvidia" });
}

/** the words of a worker's command, inside the install wrapper when there is one */
function words(p: ProcessSpec): string[] {
  if (p.argv[0] !== "bash") return p.argv;
  const cmd = p.argv[2]!.slice(p.argv[2]!.lastIndexOf(" && exec ") + 9);
  return [...cmd.matchAll(/(?:[^\s']+|'[^']*')+/g)].map((m) => m[0].replace(/'([^']*)'/g, "$1"));
}

/** JSON with object keys sorted, so YAML mappings compare regardless of key order */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/** what the plan's process does with one engine setting */
function planValue(p: ProcessSpec, key: string, value: unknown): string {
  const file = p.files.find((f) => /trtllm_config_/.test(f.path));
  if (file) {
    const got = (parseYamlSource(file.content, file.path).doc.toJS() as Record<string, unknown>)[key];
    return canonical(got) === canonical(value) ? `same (${file.path})` : `${cell(got)} (${file.path})`;
  }
  const w = words(p);
  const flag = `--${key.replace(/_/g, "-")}`;
  const at = w.lastIndexOf(flag);
  if (value === false || value === null) return at < 0 ? "omitted, as srtctl does" : `${flag} present`;
  if (at < 0) return "not passed";
  if (value === true) return `${flag}`;
  const vals: string[] = [];
  for (let i = at + 1; i < w.length && !w[i]!.startsWith("--"); i++) vals.push(w[i]!);
  const want = Array.isArray(value)
    ? value.map(String)
    : [typeof value === "object" ? JSON.stringify(value) : String(value)];
  return vals.join(" ") === want.join(" ") ? `same (${flag})` : `${flag} ${vals.join(" ")}`;
}

/** what the plan's process does with each of the settings (frontend args: flag order kept) */
function planValues(p: ProcessSpec, settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([k, v]) => planValue(p, k, v))
    .join("; ");
}

const head = (dir: string) =>
  execFileSync("git", ["-C", dir, "rev-parse", "--short=9", "HEAD"], { encoding: "utf8" }).trim();
const out: string[] = [
  "# srt-slurm recipes side by side: recipe vs plan",
  "",
  `Generated by \`node --conditions=source --import tsx scripts/srt-side-by-side.ts --lab <dir holding InferenceX and srt-slurm>\` on InferenceX ${head(IX)} and srt-slurm ${head(join(lab, "srt-slurm"))} (recipes looked up in srt-slurm, InferenceX, its overlay). For one deployment of each key (a fixed-seq-len one where the key has any; of those, the first by recipe file whose recipe reads and launches): each recipe setting and what the launch plan does with it, read back from the plan (argv, engine config files, environments). "same" means the plan passes the recipe's value unchanged; a bare flag is a \`true\` option; ports differ on purpose (the attempt's port block). Model paths: the plan passes the row's model where srtctl passes its /model mount. For an agentic-coding deployment the recipe's benchmark (the lab's AIPerf script) is replaced by benchfleet's trace replay.`,
  "",
];
/** a deployment's recipe, read, and its launch plan; the refusal where either fails */
function tryLaunch(d: Deployment): { read: ReturnType<typeof readSrtRecipe>; lp: LaunchPlan } | { refused: string } {
  try {
    return { read: readSrtRecipe(d.srtRecipe!, d), lp: launch(d) };
  } catch (e) {
    return { refused: (e as Error).message };
  }
}
const byRecipe = (a: Deployment, b: Deployment) =>
  `${a.srtRecipe?.configFile}|${a.fingerprint}`.localeCompare(`${b.srtRecipe?.configFile}|${b.fingerprint}`);
for (const key of wanted) {
  const ofKey = plan.deployments.filter((d) => d.configKey === key);
  const fixed = ofKey.filter((d) => d.scenario !== "agentic-coding");
  const deps = (fixed.length ? fixed : ofKey).sort(byRecipe);
  out.push(`### ${key}`, "");
  if (!deps.length) {
    out.push("No deployment planned for this key.", "");
    continue;
  }
  if (!deps[0]!.srtRecipe) {
    out.push(
      `${deps.length} deployment(s); the row names no CONFIG_FILE: launched by benchfleet's ${deps[0]!.framework} recipe, not from an srt-slurm recipe (nothing to compare).`,
      "",
    );
    continue;
  }
  const tried = deps.map((d) => ({ d, t: tryLaunch(d) }));
  const ok = tried.find((x) => "read" in x.t);
  if (!ok || !("read" in ok.t)) {
    const first = tried[0]!.t as { refused: string };
    out.push(`${deps.length} deployment(s), each refused; the first: ${cell(first.refused)}`, "");
    continue;
  }
  const { d } = ok;
  const { read, lp } = ok.t;
  const refused = tried.filter((x) => "refused" in x.t).length;
  const r = read.recipe;
  const procs = lp.nodes.flatMap((n) => n.processes.map((p) => ({ rank: n.rank, p })));
  const byRole = (role: string) => procs.find((x) => x.p.role === role)?.p;
  out.push(
    `${deps.length} deployment(s)${refused ? ` (${refused} refused)` : ""}${d.scenario === "agentic-coding" ? ", agentic-coding" : ""}; this one: \`${d.srtRecipe!.configFile}\` (variant ${read.variant}, ${rel(d.srtRecipe!.path)}), ${d.nodes} nodes.`,
    "",
    "| setting | recipe | plan |",
    "|---|---|---|",
  );
  const row = (a: string, b: unknown, c: unknown) => out.push(`| ${cell(a)} | ${cell(b)} | ${cell(c)} |`);
  const res = r.resources;
  row(
    "resources",
    res.agg_workers
      ? `agg ${res.agg_workers}×(${res.agg_nodes ?? 0} nodes${res.gpus_per_agg ? `, ${res.gpus_per_agg} GPUs each` : ""}), ${res.gpus_per_node} GPUs/node`
      : `prefill ${res.prefill_workers ?? 0}×(${res.prefill_nodes ?? 0} nodes), decode ${res.decode_workers ?? 0}×(${res.decode_nodes ?? 0} nodes), ${res.gpus_per_node} GPUs/node`,
    `prefill ${d.prefill?.numWorker}×${d.prefill?.gpusPerWorker} GPUs, decode ${d.decode?.numWorker}×${d.decode?.gpusPerWorker} GPUs; ${d.nodes} nodes`,
  );
  const worker = byRole("prefill") ?? byRole("worker");
  const wrapped = worker?.argv[0] === "bash" ? worker.argv[2]! : "";
  const install =
    /ai-dynamo-runtime==(\S+)/.exec(wrapped)?.[1] ??
    (/git checkout (\S+)/.exec(wrapped)?.[1] ? `source build ${/git checkout (\S+)/.exec(wrapped)![1]}` : "none");
  row(
    "dynamo",
    `install ${r.dynamo.install}${r.dynamo.install && r.dynamo.version ? `, version ${r.dynamo.version}` : ""}${r.dynamo.wheel ? `, wheel ${r.dynamo.wheel}` : ""}${r.dynamo.hash ? `, hash ${r.dynamo.hash}` : ""}`,
    `installed before each worker/frontend: ${install}${r.frontend.type === "dynamo" ? "" : ` (frontend ${r.frontend.type}: srtctl installs dynamo only for its dynamo frontend)`}`,
  );
  const plane = words(worker!).indexOf("--request-plane");
  row(
    "request plane",
    r.dynamo.request_plane,
    plane < 0
      ? `not passed (frontend ${r.frontend.type}: srtctl passes none)`
      : `--request-plane ${words(worker!)[plane + 1]}`,
  );
  const etcd = procs.find((x) => x.p.name === "infra-etcd");
  const alone = etcd && lp.nodes[etcd.rank]!.processes.every((p) => p.role === "infra");
  row(
    "etcd/NATS",
    r.infra.etcd_nats_dedicated_node ? "dedicated node" : "head node",
    etcd
      ? `node ${etcd.rank}${alone ? " (infrastructure only)" : " (with workers)"}; etcd v3.5.21, NATS 2.10.28`
      : `none (frontend ${r.frontend.type}: srtctl starts none)`,
  );
  const fronts = procs.filter((x) => x.p.role === "frontend" || (x.p.role === "router" && x.p.name !== "nginx"));
  const nginx = procs.some((x) => x.p.name === "nginx") ? " behind nginx on node 0" : "";
  const serve = procs.find((x) => x.p.argv[0] === "vllm" && x.p.ports.http !== undefined);
  row(
    "frontend",
    `${r.frontend.type}, multiple ${r.frontend.enable_multiple_frontends}, additional ${r.frontend.num_additional_frontends}${r.frontend.orchestrator_placement === "head" ? "" : `, placement ${r.frontend.orchestrator_placement}`}`,
    serve
      ? `no frontend process: vllm serve of ${serve.p.name} on node ${serve.rank} owns the endpoint`
      : `${fronts.length} ${
          fronts
            .map((x) =>
              words(x.p)
                .slice(0, 3)
                .join(" ")
                .replace(/^python3? -m /, ""),
            )
            .find(Boolean) ?? ""
        } on nodes ${fronts.map((x) => x.rank).join(",")}${nginx}; ready: ${cell(fronts[0]?.p.health[0]?.url)}`,
  );
  if (Object.keys(r.frontend.args ?? {}).length)
    row(
      "frontend args",
      r.frontend.args,
      fronts[0] ? planValues(fronts[0].p, r.frontend.args ?? {}) : "— (no frontend process: srtctl ignores them)",
    );
  // the recipe's own setup_script, before the runner's --setup-script replaced it
  const own = d.srtRecipe.setupScript
    ? readSrtRecipe({ ...d.srtRecipe, setupScript: undefined }, d).recipe.setup_script
    : r.setup_script;
  if (r.setup_script)
    row(
      "setup_script",
      own ?? "none",
      `${d.srtRecipe.setupScript ? `${r.setup_script}: the lab runner's \`srtctl apply --setup-script\` replaces the recipe's; ` : ""}runs before each worker from /configs (${(d.srtRecipe.configs ?? []).map((c) => c.path).join(", ")})`,
    );
  const b = r.backend;
  if (b.type === "vllm") {
    const launched = (mode: "prefill" | "decode" | "agg") => {
      const role = mode === "agg" ? "worker" : mode;
      const ps = procs.filter((x) => x.p.role === role && x.p.name.startsWith(`${mode}-0-`));
      return `${mode} worker 0: ${ps.length} process(es), GPUs ${ps.map((x) => x.p.gpus.join(",")).join(" | ")}`;
    };
    row(
      "backend dp_launch_mode",
      b.dp_launch_mode,
      res.agg_workers ? launched("agg") : `${launched("prefill")}; ${launched("decode")}`,
    );
    const store = b.mooncake_kv_store;
    const master = procs.find((x) => x.p.name === "infra-mooncake-master");
    if (store && master) {
      const workers = procs.filter((x) => ["prefill", "decode", "worker"].includes(x.p.role));
      row(
        "mooncake_kv_store master",
        `${store.container ?? "the job's container"}; master_extra_args ${store.master_extra_args.join(" ") || "none"}`,
        `${master.p.image} on node ${master.rank} (beside etcd/NATS): ${master.p.argv.join(" ")}`,
      );
      const files = workers.map((x) => x.p.files.find((f) => f.path === "/logs/mooncake_store_config.json"));
      const json = files[0] ? (JSON.parse(files[0].content) as Record<string, unknown>) : undefined;
      const { master_server_address: address, ...rest } = json ?? {};
      row(
        "mooncake_kv_store store_config",
        store.store_config ?? {},
        json && files.every((f) => f?.content === files[0]!.content)
          ? `${canonical(rest) === canonical(store.store_config ?? {}) ? "same" : cell(rest)}, master_server_address ${address}: /logs/mooncake_store_config.json on all ${workers.length} worker processes`
          : "not on every worker process",
      );
      for (const [k, v] of Object.entries(store.env))
        row(
          `mooncake_kv_store env ${k}`,
          v,
          workers.every((x) => x.p.env[k] === v) ? "same, every worker process" : "not on every worker process",
        );
      const first = workers[0]!.p.env;
      row(
        "srtctl's MOONCAKE_* (every worker)",
        "MOONCAKE_LOCAL_HOSTNAME, MOONCAKE_MASTER, MOONCAKE_TE_META_DATA_SERVER, MOONCAKE_CONFIG_PATH",
        `${first.MOONCAKE_LOCAL_HOSTNAME} (the worker's node), ${first.MOONCAKE_MASTER}, ${first.MOONCAKE_TE_META_DATA_SERVER}, ${first.MOONCAKE_CONFIG_PATH}`,
      );
    }
  }
  const cfgOf = (mode: "prefill" | "decode" | "aggregated") =>
    ((b.type === "sglang" ? b.sglang_config : b.type === "vllm" ? b.vllm_config : b.trtllm_config)?.[mode] ??
      {}) as Record<string, unknown>;
  for (const mode of ["prefill", "decode", "aggregated"] as const) {
    const p = byRole(mode === "aggregated" ? "worker" : mode);
    if (!p) continue;
    for (const [k, v] of Object.entries(cfgOf(mode))) row(`${mode} ${k}`, v, planValue(p, k, v));
    const env = b[`${mode}_environment`];
    for (const [k, v] of Object.entries(env))
      row(`${mode} env ${k}`, v, p.env[k] === v || /\{node/.test(v) ? "same" : (p.env[k] ?? "not set"));
  }
  for (const [k, v] of Object.entries(r.environment))
    row(`env ${k}`, v, worker?.env[k] === v ? "same" : (worker?.env[k] ?? "not set"));
  const bm = r.benchmark;
  const pt = d.points[0];
  const same = (want: unknown, got: unknown, what: string) =>
    canonical(want) === canonical(got) ? `same (${what})` : `${cell(got)} (${what})`;
  if (d.scenario === "agentic-coding") {
    row(
      "benchmark",
      `${bm.type}${bm.command ? ` (${bm.command})` : ""}`,
      `not run: benchfleet's trace replay, ${d.points.length} point(s) at concurrency ${d.points.map((x) => x.concurrency).join(", ")}`,
    );
    out.push("");
    continue;
  }
  row("benchmark type", bm.type, bm.type === "sa-bench" ? "benchfleet's load generator with sa-bench's settings" : "—");
  row("benchmark isl/osl", `${bm.isl}/${bm.osl}`, `row ${d.isl}/${d.osl} (must agree)`);
  row(
    "benchmark concurrencies",
    bm.concurrencies,
    `points ${d.points.map((x) => x.concurrency).join(", ")} (the recipe's, as srtctl runs them)`,
  );
  row(
    "benchmark req_rate",
    bm.req_rate,
    pt?.requestRate === undefined ? "unpaced (inf)" : `requestRate ${pt.requestRate}/s`,
  );
  row(
    "benchmark use_chat_template",
    bm.use_chat_template,
    pt?.useChatTemplate
      ? "same (useChatTemplate: /v1/chat/completions, server's template)"
      : same(bm.use_chat_template, pt?.useChatTemplate, "useChatTemplate"),
  );
  if (bm.custom_tokenizer || bm.tokenizer_mode)
    row(
      "benchmark custom_tokenizer / tokenizer_mode",
      `${bm.custom_tokenizer ?? "—"} / ${bm.tokenizer_mode ?? "—"}`,
      "the server's own tokenizer counts (what sa-bench's client-side tokenizer reproduces)",
    );
  row(
    "benchmark num_prompts_mult",
    bm.num_prompts_mult ?? "(default 10)",
    same(bm.num_prompts_mult ?? 10, d.promptsPerConc, "promptsPerConc"),
  );
  row(
    "benchmark num_warmup_mult",
    bm.num_warmup_mult ?? "(default 2)",
    same(bm.num_warmup_mult ?? 2, pt?.warmupsPerConc, "warmupsPerConc"),
  );
  row(
    "benchmark random_range_ratio",
    bm.random_range_ratio ?? "(default 0.8)",
    same(bm.random_range_ratio ?? 0.8, pt?.rangeRatio, "rangeRatio"),
  );
  if (bm.type === "sa-bench") {
    row(
      "benchmark warmup_req_rate",
      bm.warmup_req_rate ?? "(default 250)",
      pt?.warmupRequestRate === undefined ? "warm-ups unpaced (inf)" : `warmupRequestRate ${pt.warmupRequestRate}/s`,
    );
    row(
      "benchmark reuse_http_connections",
      bm.reuse_http_connections ?? "(default false)",
      pt?.freshConnections ? "a new connection per request (freshConnections)" : "keep-alive connections per slot",
    );
  }
  out.push("");
}
process.stdout.write(`${out.join("\n")}\n`);
