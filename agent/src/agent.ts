/**
 * The agent: discovers its node, connects out to the controller, heartbeats with health and
 * telemetry, takes assignments and runs each through the attempt executor with the chosen
 * launcher. `startAgent` is used by the CLI (`benchfleet agent start`) and by tests.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type {
  Assignment,
  ControllerMessage,
  EnergyRequestMsg,
  Health,
  LauncherKind,
  LaunchPlan,
  Placement,
  SkuName,
  WelcomeMsg,
} from "@benchfleet/shared";
import { readCredential, writeCredential } from "./credential.js";
import { type Discovery, discover, discoverHost, emulatedGpus, runTool, toGpuInfo } from "./discovery/discover.js";
import { NVIDIA_APPS_ARGS, parseNvidiaComputeApps } from "./discovery/gpu-health.js";
import { emulatedProduct } from "./discovery/sku-map.js";
import { discoverPartition, type PartitionInfo } from "./discovery/slurm-partition.js";
import { AttemptExecutor, type AttemptOutcome, type EvalRunner, type PointRunner } from "./executor.js";
import { DockerLauncher } from "./launchers/docker.js";
import { EmulatedLauncher } from "./launchers/emulated.js";
import type { Launcher } from "./launchers/launcher.js";
import { ProcessLauncher } from "./launchers/process.js";
import { SlurmLauncher } from "./launchers/slurm.js";
import { markPrefix } from "./leftovers/marker.js";
import { bootId } from "./leftovers/proc-identity.js";
import { type ReapReport, reapLeftovers, unreapedReasons } from "./leftovers/reaper.js";
import { RecordingLauncher } from "./leftovers/recording-launcher.js";
import { reapSlurmJobs } from "./leftovers/slurm-jobs.js";
import { LeftoverStore } from "./leftovers/state-file.js";
import { evaluatePreflight, gatherPreflightFacts } from "./preflight.js";
import { ProtocolClient } from "./protocol-client.js";
import { Spool } from "./spool.js";
import { EmulatedGpuSource } from "./telemetry/emulated-gpus.js";
import { type GpuTool, type SmiTool, TelemetrySampler } from "./telemetry/sampler.js";
import { loadEvalRunner, loadgenPointRunner } from "./workloads.js";

export const AGENT_VERSION = "0.1.0";

export interface AgentOptions {
  controller: string;
  token: string;
  /** default: the hostname (with the emulated SKU appended when emulating) */
  agentId?: string;
  labels?: string[];
  domain?: string;
  launcher?: LauncherKind;
  dataDir: string;
  /** pose as a node of this SKU; `ip`: the address its engines bind and peers reach (127.0.0.N lets
   * several emulated nodes share one host without port clashes) */
  emulate?: { sku: SkuName; gpus: number; ip?: string };
  /**
   * `launcher: "slurm"`: this agent runs on a login node and stands for a Slurm partition; `sku` (or
   * `emulate.sku`) names its nodes' SKU, GPUs per node come from `gpusPerNode` or the partition's Gres.
   */
  slurm?: SlurmAgentOptions;
  /**
   * this node's GPU telemetry tool (default: the vendor's when found; with the emulated launcher the emulated GPU
   * power model over its engines; none on other emulated nodes or on a Slurm login node)
   */
  gpuTelemetry?: GpuTool;
  /** least free disk on the data dir for preflight (default 50 GiB real, 1 GiB emulated) */
  minDiskFreeBytes?: number;
  /** preflight while idle this often (default 60 s) */
  healthIntervalMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  resendIntervalMs?: number;
  log?: (line: string) => void;
  // ---- seams for tests and embedding ----
  discovery?: Discovery;
  launcherImpl?: Launcher;
  buildPlan?: (deployment: Assignment["deployment"], placement: Placement) => LaunchPlan;
  runPoint?: PointRunner;
  runEval?: EvalRunner;
  /** extra `benchfleet emulate` args for emulated engines */
  emulateExtraArgs?: string[];
  /** emulated engines run on this compressed clock (wall s per emulated s) */
  timeScale?: number;
  stopGraceMs?: number;
}

export interface SlurmAgentOptions {
  partition: string;
  sku?: SkuName;
  gpusPerNode?: number;
  account?: string;
  /** extra sbatch flags */
  extraArgs?: string[];
  container?: "pyxis" | "none";
  mpiType?: string;
  /** environment of the Slurm commands and their steps (e.g. SLURM_CONF) */
  env?: Record<string, string>;
  /** GPU power sampling on the allocated nodes (default: the SKU vendor's tool; none when emulating) */
  gpuTelemetry?: SmiTool | "none";
}

export interface AgentHandle {
  readonly agentId: string;
  readonly client: ProtocolClient;
  readonly discovery: Discovery;
  /** what this agent found left running by its previous incarnation, and reaped, at start */
  readonly leftovers: ReapReport;
  /** the attempt running now */
  current(): AttemptExecutor | undefined;
  /** outcomes of finished attempts, in order */
  readonly outcomes: Array<{ attemptId: string; outcome: AttemptOutcome }>;
  health(): Health;
  draining(): boolean;
  /** cancels a running attempt (teardown runs), flushes, disconnects */
  stop(reason?: string): Promise<void>;
}

async function emulatedDiscovery(sku: SkuName, gpus: number, ip?: string): Promise<Discovery> {
  const found = await discoverHost();
  const host = ip ? { ...found, primaryIp: ip } : found;
  const p = emulatedProduct(sku);
  return {
    host,
    vendor: sku.startsWith("mi") ? "amd" : "nvidia",
    gpuTool: "none",
    gpus: emulatedGpus(sku, gpus, p.memoryMiB, p.name),
    sku: { sku, reason: `emulated ${sku}` },
    runtimes: [],
    slurm: { present: false },
    rdmaDevices: [],
    problems: [],
  };
}

/** emulated engines: latencies as the emulator timed them on its own clock (exact under --time-scale and load) */
function withEngineTiming(run: PointRunner): PointRunner {
  return (opts) => run({ ...opts, timing: "engine" });
}

interface SlurmPartition {
  info: PartitionInfo;
  sku: SkuName;
  gpusPerNode: number;
}

/** the partition a Slurm agent stands for; refuses to start without a SKU or a GPU count per node */
async function slurmPartition(o: AgentOptions): Promise<SlurmPartition> {
  if (!o.slurm) throw new Error("the slurm launcher needs a partition (--slurm-partition)");
  const info = await discoverPartition(o.slurm.partition, o.slurm.env);
  if (info.nodes.length === 0) throw new Error(info.problems.join("; "));
  const sku = o.slurm.sku ?? o.emulate?.sku;
  if (!sku) throw new Error(`Slurm partition ${info.partition}: name its nodes' SKU (--sku)`);
  const gpusPerNode = o.slurm.gpusPerNode ?? (info.gpusPerNode || o.emulate?.gpus || 0);
  if (gpusPerNode < 1)
    throw new Error(`Slurm partition ${info.partition}: its nodes have no GPU Gres; give --gpus-per-node`);
  return { info, sku, gpusPerNode };
}

function emulatedExtraArgs(o: AgentOptions): string[] {
  return [...(o.emulateExtraArgs ?? []), ...(o.timeScale ? ["--time-scale", String(o.timeScale)] : [])];
}

function makeLauncher(
  kind: LauncherKind,
  o: AgentOptions,
  plan: () => LaunchPlan | undefined,
  slurm: SlurmPartition | undefined,
): Launcher {
  switch (kind) {
    case "process":
      return new ProcessLauncher();
    case "docker":
      return new DockerLauncher();
    case "emulated":
      return new EmulatedLauncher({ plan, host: o.emulate?.ip, extraArgs: emulatedExtraArgs(o) });
    case "slurm": {
      if (!o.slurm || !slurm) throw new Error("the slurm launcher needs a partition (--slurm-partition)");
      const s = o.slurm;
      return new SlurmLauncher({
        partition: s.partition,
        ...(s.account ? { account: s.account } : {}),
        // real nodes: their GPUs are requested as GRES (emulated nodes have none to request)
        ...(o.emulate ? {} : { gpusPerNode: slurm.gpusPerNode }),
        extraArgs: s.extraArgs ?? [],
        container: s.container ?? "pyxis",
        ...(s.mpiType ? { mpiType: s.mpiType } : {}),
        ...(s.env ? { env: s.env } : {}),
        // emulated engines in the job steps (no GPU): the same engines the emulated launcher runs
        ...(o.emulate ? { emulate: { plan, extraArgs: emulatedExtraArgs(o) } } : {}),
      });
    }
  }
}

export async function startAgent(o: AgentOptions): Promise<AgentHandle> {
  const kind: LauncherKind = o.launcher ?? (o.emulate ? "emulated" : "process");
  let currentPlan: LaunchPlan | undefined;
  // a Slurm agent stands for its partition: the SKU and GPUs per node are its nodes', not the login node's
  const slurm = kind === "slurm" ? await slurmPartition(o) : undefined;
  const baseLauncher = o.launcherImpl ?? makeLauncher(kind, o, () => currentPlan, slurm);
  const emulated = o.emulate !== undefined || kind === "emulated";
  /** the engines are the emulator (not just an emulated node running some other process) */
  const emulatedEngines = kind === "emulated" || (kind === "slurm" && o.emulate !== undefined);
  const found =
    o.discovery ??
    (o.emulate ? await emulatedDiscovery(o.emulate.sku, o.emulate.gpus, o.emulate.ip) : await discover());
  const log = o.log ?? (() => {});
  const d: Discovery = slurm
    ? { ...found, sku: { sku: slurm.sku, reason: `nodes of Slurm partition ${slurm.info.partition}` } }
    : found;
  const gpuCount = slurm ? slurm.gpusPerNode : d.gpus.length;
  mkdirSync(o.dataDir, { recursive: true });
  const spool = new Spool(join(o.dataDir, "spool"));
  const vendor = slurm ? (slurm.sku.startsWith("mi") ? "amd" : "nvidia") : d.vendor === "none" ? "nvidia" : d.vendor;
  const nodeTelemetry: SmiTool | "none" = slurm
    ? (o.slurm?.gpuTelemetry ?? (o.emulate ? "none" : vendor === "amd" ? "amd-smi" : "nvidia-smi"))
    : "none";
  const defaultId = slurm
    ? `${d.host.hostname}-slurm-${slurm.info.partition}`
    : o.emulate
      ? `${d.host.hostname}-${o.emulate.sku}`
      : d.host.hostname;
  const agentId = (o.agentId ?? defaultId).replace(/[^A-Za-z0-9._-]/g, "-");
  // emulated engines started here: their node's GPUs follow the emulated GPU power model
  const emulatedGpus =
    baseLauncher instanceof EmulatedLauncher && d.sku.sku !== "unknown"
      ? new EmulatedGpuSource({
          sku: d.sku.sku,
          gpuCount: d.gpus.length,
          engines: () => baseLauncher.engines(),
          onError: (m) => log(`telemetry: ${m}`),
        })
      : undefined;
  const sampler = new TelemetrySampler({
    tool:
      o.gpuTelemetry ??
      (emulatedGpus
        ? "emulated"
        : emulated || slurm || d.gpuTool === "none"
          ? "none"
          : d.vendor === "amd"
            ? "amd-smi"
            : "nvidia-smi"),
    ...(emulatedGpus ? { source: emulatedGpus } : {}),
    onError: (m) => log(`telemetry: ${m}`),
  });
  sampler.start();
  // before registering: stop what a previous incarnation of this agent left running
  const boot = bootId();
  const store = new LeftoverStore(o.dataDir, boot);
  const prefix = markPrefix(agentId, o.dataDir);
  const leftovers = await reapLeftovers({ store, prefix, boot, graceMs: o.stopGraceMs, log });
  if (slurm) {
    const jobs = await reapSlurmJobs({ prefix, env: o.slurm?.env, log });
    leftovers.reaped.push(...jobs.reaped);
    leftovers.failures.push(...jobs.failures);
  }
  const launcher = new RecordingLauncher(baseLauncher, {
    store,
    prefix,
    ...(baseLauncher instanceof DockerLauncher ? { dockerBinary: baseLauncher.bin } : {}),
  });
  const minDisk = o.minDiskFreeBytes ?? (emulated ? 2 ** 30 : 50 * 2 ** 30);
  const preflight = async (ports: number[], ownPids?: Set<number>): Promise<Health> => {
    const facts = await gatherPreflightFacts({
      vendor: d.vendor,
      emulated: o.emulate !== undefined,
      dataDir: o.dataDir,
      ports,
      portHost: o.emulate?.ip,
    });
    const h = evaluatePreflight(facts, { gpuCount: d.gpus.length, minDiskFreeBytes: minDisk, ownPids });
    if (slurm) {
      const p = await discoverPartition(slurm.info.partition, o.slurm?.env);
      // an allocation whose release failed holds nodes until it is cancelled: try again now
      const stuck = baseLauncher instanceof SlurmLauncher ? await baseLauncher.retryReleases(log) : [];
      if (stuck.length) p.problems.push(`Slurm allocation(s) ${stuck.join(", ")} not cancelled yet`);
      if (p.problems.length) {
        h.reasons.push(...p.problems);
        h.ok = false;
      }
    }
    const unreaped = unreapedReasons(leftovers.failures);
    if (unreaped.length) {
      h.reasons.push(...unreaped);
      h.ok = false;
    }
    if (d.sku.sku === "unknown") {
      h.reasons.push(`unknown GPU SKU: ${d.sku.reason}`);
      h.ok = false;
    }
    return h;
  };
  // the ports the leftovers held must be free again before this node claims work
  let health: Health = await preflight(leftovers.ports);
  let draining = false;
  let current: AttemptExecutor | undefined;
  /** the last attempts of this agent (a member answers energy requests after its attempt ended) */
  const recent = new Map<string, AttemptExecutor>();
  let stopping = false;
  const outcomes: AgentHandle["outcomes"] = [];
  const runEval = o.runEval ?? (await loadEvalRunner());
  const buildPlan = o.buildPlan ?? (await import("@benchfleet/recipes")).buildLaunchPlan;

  let credential = readCredential(o.dataDir, agentId);
  const client: ProtocolClient = new ProtocolClient({
    url: o.controller,
    spool,
    backoff: o.backoff,
    resendIntervalMs: o.resendIntervalMs,
    onLog: (l) => log(`protocol: ${l}`),
    hello: async () => ({
      token: o.token,
      ...(credential ? { credential } : {}),
      agent: {
        agentId,
        hostname: d.host.hostname,
        ip: d.host.primaryIp,
        sku: d.sku.sku,
        gpus: d.gpus.map(toGpuInfo),
        gpuCount,
        ...(d.driver ? { driver: d.driver } : {}),
        runtimes: d.runtimes,
        rdmaDevices: d.rdmaDevices,
        labels: o.labels ?? [],
        domain: o.domain ?? (slurm ? `slurm:${slurm.info.partition}` : "default"),
        launcher: kind,
        ...(slurm ? { slurm: { partition: slurm.info.partition, nodes: slurm.info.nodes.length } } : {}),
        emulated,
        version: AGENT_VERSION,
      },
      health,
      ...(current ? { running: current.report() } : {}),
    }),
    heartbeat: async () => ({
      health,
      telemetry: await sampler.snapshot(),
      ...(current ? { running: current.report() } : {}),
    }),
    onWelcome: (w: WelcomeMsg) => {
      log(`registered as ${w.agentId}`);
      if (w.credential) {
        writeCredential(o.dataDir, agentId, w.credential);
        credential = w.credential;
        log("enrolled: the controller's credential for this agent id is kept in the data dir");
      }
      if (current && w.running === "abort") current.cancel("the controller aborted this attempt after the reconnect");
      // messages of the gang barrier sent while the controller was away may be lost: repeat them
      if (current && w.running === "adopt") for (const m of current.barrierMessages()) client.send(m);
    },
    onMessage: (m: ControllerMessage) => onMessage(m),
  });

  const verifyGpusFree = async (): Promise<string | undefined> => {
    if (o.emulate || slurm || d.vendor !== "nvidia") return undefined;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await runTool("nvidia-smi", NVIDIA_APPS_ARGS);
      if (!r.ok) return undefined;
      const apps = parseNvidiaComputeApps(r.stdout);
      if (apps.length === 0) return undefined;
      if (Date.now() > deadline) return apps.map((a) => `pid ${a.pid} ${a.name}`).join(", ");
      await new Promise((res) => setTimeout(res, 1000));
    }
  };

  function onAssign(a: Assignment): void {
    const refuse = (reason: string) =>
      client.sendReliable({
        type: "attempt-finished",
        msgId: `${a.attemptId.replace(/[^A-Za-z0-9._-]/g, "_")}.final`,
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        status: "failed",
        reason,
        retryable: true,
        phase: "prepare",
        phaseDurationsMs: {},
      });
    if (current) {
      refuse(`agent ${agentId} is busy with attempt ${current.attemptId}`);
      return;
    }
    if (stopping) {
      refuse(`agent ${agentId} is stopping`);
      return;
    }
    if (draining) {
      refuse(`agent ${agentId} is draining`);
      return;
    }
    const ex = new AttemptExecutor(a, {
      launcher,
      buildPlan: (dep, placement) => {
        currentPlan = buildPlan(dep, placement);
        return currentPlan;
      },
      runPoint:
        emulatedEngines && !o.runPoint ? withEngineTiming(loadgenPointRunner) : (o.runPoint ?? loadgenPointRunner),
      runEval,
      sampler,
      ...(nodeTelemetry !== "none" ? { remoteTelemetry: { tool: nodeTelemetry } } : {}),
      preflight: (ports) => preflight(ports),
      verifyGpusFree,
      io: { send: (m) => client.send(m), sendReliable: (m) => client.sendReliable(m) },
      vendor,
      dataDir: o.dataDir,
      stopGraceMs: o.stopGraceMs,
    });
    current = ex;
    recent.set(a.attemptId, ex);
    for (const k of recent.keys()) if (recent.size > 4) recent.delete(k);
    log(`attempt ${a.attemptId} of job ${a.jobId}: rank ${a.rank} of ${a.gang.length}`);
    void ex.run().then(async (outcome) => {
      outcomes.push({ attemptId: a.attemptId, outcome });
      log(`attempt ${a.attemptId} ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ""}`);
      currentPlan = undefined;
      health = await preflight([]);
      if (current === ex) current = undefined;
    });
  }

  /**
   * A member's part of a load point's energy: this node's GPUs of the attempt over the leader's
   * window, from this node's sampler (also after the attempt ended: the samples outlive it).
   */
  async function reportEnergy(m: EnergyRequestMsg): Promise<void> {
    const ex = recent.get(m.attemptId);
    if (!ex) return log(`energy-request for unknown attempt ${m.attemptId}: ignored`);
    const energy = await ex.nodeEnergy(m.startMs, m.endMs, m.outputTokens, m.totalTokens);
    client.sendReliable({
      type: "energy-report",
      msgId: `${m.attemptId.replace(/[^A-Za-z0-9._-]/g, "_")}.energy.${m.pointKey}`,
      attemptId: m.attemptId,
      fencingToken: m.fencingToken,
      pointKey: m.pointKey,
      energy,
    });
  }

  function onMessage(m: ControllerMessage): void {
    switch (m.type) {
      case "assign":
        onAssign(m.assignment);
        return;
      case "cancel":
        if (current?.attemptId === m.attemptId) current.cancel(m.reason);
        return;
      case "gang-ready":
        if (current?.attemptId === m.attemptId) current.onGangReady(m);
        return;
      case "release":
        if (current?.attemptId === m.attemptId) current.onRelease();
        return;
      case "energy-request":
        reportEnergy(m).catch((e) => log(`energy-request ${m.attemptId} ${m.pointKey}: ${(e as Error).message}`));
        return;
      case "drain":
        draining = m.drain;
        log(draining ? "draining: no new work" : "drain lifted");
        return;
      default:
        return;
    }
  }

  const healthTimer = setInterval(() => {
    if (!current) void preflight([]).then((h) => (health = h));
  }, o.healthIntervalMs ?? 60_000);
  healthTimer.unref();
  client.start();

  return {
    agentId,
    client,
    discovery: d,
    leftovers,
    current: () => current,
    outcomes,
    health: () => health,
    draining: () => draining,
    async stop(reason = "agent stopping") {
      stopping = true;
      clearInterval(healthTimer);
      const ex = current;
      if (ex) {
        ex.cancel(reason, true);
        await ex.run();
        // give the final state a moment to be acknowledged; it stays spooled otherwise
        await Promise.race([
          client.acked(`${ex.attemptId.replace(/[^A-Za-z0-9._-]/g, "_")}.final`),
          new Promise((r) => setTimeout(r, 2000)),
        ]);
      }
      sampler.stop();
      await client.stop();
    },
  };
}
