/**
 * Maps a recipe's ProcessSpec (argv of sglang / vllm / trtllm / dynamo / routers) to the arguments
 * of `benchfleet emulate`, so the emulated engine runs with the plan's role, port and parallelism.
 * Pure.
 */
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { engineArgv, flagValue } from "./engine-argv.js";
import { type DramTier, launchKvCache } from "./launch-kv-cache.js";

export { flagValue };

/** every value of a repeatable flag; values may also follow the flag as several words (`--prefill URL URL`) */
export function flagValues(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith(`${name}=`)) out.push(argv[i].slice(name.length + 1));
    else if (argv[i] === name) for (let j = i + 1; j < argv.length && !argv[j].startsWith("--"); j++) out.push(argv[j]);
  }
  return out;
}

const has = (argv: string[], names: string[]) => argv.some((a) => names.includes(a));

/** `vllm serve …` or `python3 -m dynamo.vllm …` */
const isVllm = (argv: string[]) => argv[0] === "vllm" || argv.includes("dynamo.vllm");

function int(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export type EmulatedRole = "both" | "prefill" | "decode" | "router" | "infra" | "headless";

/**
 * What stands in for a process. A `--headless` rank of a vLLM / dynamo.vllm worker spanning nodes
 * serves nothing (its worker's rank 0 serves and registers), so it becomes a process that stays up;
 * so does a later rank that serves no port (a TensorRT-LLM worker's MPI ranks on its other nodes).
 */
export function emulatedRole(spec: ProcessSpec): EmulatedRole {
  if (["prefill", "decode", "worker"].includes(spec.role)) {
    if (engineArgv(spec.argv).includes("--headless")) return "headless";
    if (/-rank[1-9]\d*$/.test(spec.name) && mainPort(spec) === undefined) return "headless";
  }
  switch (spec.role) {
    case "prefill":
    case "decode":
    case "router":
    case "infra":
      return spec.role;
    case "frontend":
      return "router";
    default:
      return "both";
  }
}

/** the port the process serves HTTP on: a port named http/port/frontend, else the first one */
export function mainPort(spec: ProcessSpec): number | undefined {
  for (const k of ["http", "port", "frontend", "router", "api"]) if (spec.ports[k] !== undefined) return spec.ports[k];
  const flag = int(flagValue(spec.argv, ["--port", "--http-port"]));
  return flag ?? Object.values(spec.ports)[0];
}

/** worker URLs of a role across the whole plan (for an emulated router/frontend that discovers workers) */
export function workerUrls(plan: LaunchPlan, role: "prefill" | "decode" | "worker"): string[] {
  const out: string[] = [];
  for (const node of plan.nodes) {
    for (const p of node.processes) {
      if (p.role !== role) continue;
      // one HTTP server per worker, its first rank's process (names end in -rank0 or carry no rank),
      // except where every node's process serves its own ranks
      if (/-rank[1-9]\d*$/.test(p.name) && !servesOwnRanks(p)) continue;
      const port = mainPort(p);
      if (port !== undefined) out.push(`http://${node.ip}:${port}`);
    }
  }
  return out;
}

/**
 * A later rank of a worker that serves requests itself: a node of a vLLM data-parallel group
 * launched one process per node with hybrid load balancing (`--data-parallel-hybrid-lb`, srtctl's
 * per-node DP launch), whose process serves and registers its node's ranks.
 */
function servesOwnRanks(p: ProcessSpec): boolean {
  const argv = engineArgv(p.argv);
  return argv.includes("--data-parallel-hybrid-lb") && !argv.includes("--headless");
}

export interface EmulateArgsInput {
  spec: ProcessSpec;
  deployment: Deployment;
  plan?: LaunchPlan;
  host?: string;
  servedModelName?: string;
}

/** `benchfleet emulate` arguments for one process (not for infra or headless ranks: see emulatedRole) */
export function emulateArgs(i: EmulateArgsInput): string[] {
  const { spec, deployment: d } = i;
  const argv = engineArgv(spec.argv);
  const role = emulatedRole(spec);
  const port = mainPort(spec);
  if (port === undefined) throw new Error(`process ${spec.name} names no port: the emulated engine needs one`);
  const out = ["--role", role, "--port", String(port), "--host", i.host ?? "0.0.0.0", "--sku", d.sku];
  out.push("--model", flagValue(argv, ["--model-path", "--model"]) ?? d.model, "--precision", d.precision);
  if (i.servedModelName) out.push("--served-model-name", i.servedModelName);
  if (role === "router") {
    // sglang_router's aggregated form: `--worker-urls URL…`
    const aggregated = flagValues(argv, "--worker-urls").filter((u) => /^https?:\/\//.test(u));
    if (aggregated.length) {
      for (const u of aggregated) out.push("--worker", u);
      return out;
    }
    let prefill = flagValues(argv, "--prefill").filter((u) => /^https?:\/\//.test(u));
    let decode = flagValues(argv, "--decode").filter((u) => /^https?:\/\//.test(u));
    if ((prefill.length === 0 || decode.length === 0) && i.plan) {
      prefill = workerUrls(i.plan, "prefill");
      decode = workerUrls(i.plan, "decode");
    }
    // a frontend in front of aggregated workers (Dynamo aggregated serving) forwards to them
    if (prefill.length === 0 && decode.length === 0 && i.plan) {
      for (const u of workerUrls(i.plan, "worker")) out.push("--worker", u);
      return out;
    }
    for (const u of prefill) out.push("--prefill", u);
    for (const u of decode) out.push("--decode", u);
    return out;
  }
  const pool = role === "prefill" ? d.prefill : role === "decode" ? d.decode : undefined;
  // vLLM writes DEP as tp 1 × dp D (`vllm serve` / dynamo.vllm); the emulated worker's tp is its GPU count
  // a process of a DP group launched per node holds its node's ranks (`--data-parallel-size-local`)
  const dpLocal = isVllm(argv) ? int(flagValue(argv, ["--data-parallel-size-local", "-dpl"])) : undefined;
  const vllmDp = isVllm(argv) ? (dpLocal ?? int(flagValue(argv, ["--data-parallel-size", "-dp"]))) : undefined;
  const argTp = int(flagValue(argv, ["--tp", "--tp-size", "--tensor-parallel-size", "--tensor_parallel_size"]));
  const tp =
    (argTp !== undefined && vllmDp !== undefined ? argTp * vllmDp : argTp) ??
    pool?.tp ??
    d.tp ??
    Math.max(1, spec.gpus.length);
  let ep =
    int(flagValue(argv, ["--ep", "--ep-size", "--expert-parallel-size", "--moe_expert_parallel_size"])) ??
    pool?.ep ??
    d.ep ??
    1;
  if (has(argv, ["--enable-expert-parallel"]) && ep === 1) ep = tp;
  // pipeline stages: vLLM --pipeline-parallel-size / -pp, SGLang --pp-size, trtllm-serve --pp_size;
  // an engine launched with its own parallelism flags and none for PP runs one stage
  const argPp = int(
    flagValue(argv, ["--pipeline-parallel-size", "-pp", "--pp-size", "--pp_size", "--pipeline_parallel_size"]),
  );
  const pp = argPp ?? (argTp !== undefined ? 1 : (pool?.pp ?? d.pp ?? 1));
  // a node's process of a DP group spanning nodes: its GPUs hold their share of the experts of the
  // whole expert-parallel group (vLLM's EP spans tp × the global data-parallel size)
  let epGroup: number | undefined;
  if (dpLocal !== undefined) {
    const globalDp = int(flagValue(argv, ["--data-parallel-size", "-dp"]));
    const group = has(argv, ["--enable-expert-parallel"]) && globalDp !== undefined ? (argTp ?? 1) * globalDp : ep;
    if (group > tp) epGroup = group;
    if (ep > tp || epGroup !== undefined) ep = tp;
  }
  const dpAttn = has(argv, ["--enable-dp-attention", "--enable_attention_dp"]) || (pool?.dpAttn ?? d.dpAttn ?? false);
  const specAlgo =
    flagValue(argv, ["--speculative-algorithm", "--speculative-algo"]) ?? flagValue(argv, ["--speculative-config"]);
  const mtp = d.specDecoding === "mtp" || (specAlgo !== undefined && /mtp|nextn|eagle/i.test(specAlgo));
  out.push("--tp", String(tp), "--ep", String(ep));
  if (pp > 1) out.push("--pp", String(pp));
  if (epGroup !== undefined) out.push("--ep-group", String(epGroup));
  if (dpAttn) out.push("--dp-attn");
  if (mtp) out.push("--spec", "mtp");
  // agentic deployments: the engine's prefix cache and host-DRAM tier as its launch sets them; the
  // deployment's DRAM budget where the launch names none it can be read from (an unknown engine, a
  // KV store outside the process)
  const a = d.agentic;
  if (a) {
    const kv = launchKvCache(spec, tp * pp);
    if (kv?.prefixCache ?? true) out.push("--prefix-cache");
    const budget: DramTier =
      a.kvOffloading === "dram" && a.dramOffloadGb > 0
        ? { kind: "gb", gb: a.dramOffloadGb, setting: "the deployment's DRAM budget" }
        : { kind: "none" };
    const dram = !kv || kv.dram.kind === "external" ? budget : kv.dram;
    if (dram.kind === "gb" && dram.gb > 0) out.push("--dram-offload-gb", String(dram.gb));
    if (dram.kind === "ratio" && dram.ratio > 0) out.push("--dram-offload-ratio", String(dram.ratio));
  }
  return out;
}

/**
 * Where the emulated engine that works a process's GPUs answers (`/control/state`), for the emulated
 * GPU power model; undefined for processes holding no GPU (routers, infra). A worker spanning nodes
 * serves from its first rank only: its other ranks' GPUs follow that rank's engine (found in the plan).
 */
export function gpuEngineUrl(spec: ProcessSpec, plan: LaunchPlan | undefined, host: string): string | undefined {
  const role = emulatedRole(spec);
  if (spec.gpus.length === 0 || role === "router" || role === "infra") return undefined;
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const rank = /^(.*)-rank([1-9]\d*)$/.exec(spec.name);
  if (rank && plan) {
    for (const node of plan.nodes) {
      const first = node.processes.find((p) => p.name === `${rank[1]}-rank0`);
      const port = first ? mainPort(first) : undefined;
      if (port !== undefined) return `http://${node.ip}:${port}`;
    }
  }
  const port = mainPort(spec);
  return port === undefined ? undefined : `http://${local}:${port}`;
}
