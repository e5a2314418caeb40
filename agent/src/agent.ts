/**
 * The agent: discovers its node, connects out to the controller, heartbeats with health and
 * telemetry, takes assignments and runs each through the attempt executor with the chosen
 * launcher. `startAgent` is used by the CLI (`benchfleet agent start`) and by tests.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ControllerMessage, Health, LauncherKind, LaunchPlan, SkuName, WelcomeMsg } from "@benchfleet/shared";
import type { AgentOptions } from "./agent-options.js";
import { AttemptHost } from "./attempt-host.js";
import { readCredential, writeCredential } from "./credential.js";
import { type Discovery, discover, discoverHost, emulatedGpus } from "./discovery/discover.js";
import { emulatedProduct } from "./discovery/sku-map.js";
import { discoverPartition } from "./discovery/slurm-partition.js";
import type { AttemptExecutor, AttemptOutcome, PointRunner } from "./executor.js";
import { readCpuStallMs } from "./host-cpu-stall.js";
import { DockerLauncher } from "./launchers/docker.js";
import { EmulatedLauncher } from "./launchers/emulated.js";
import type { Launcher } from "./launchers/launcher.js";
import { ProcessLauncher } from "./launchers/process.js";
import { SlurmLauncher } from "./launchers/slurm.js";
import { markPrefix } from "./leftovers/marker.js";
import { bootId } from "./leftovers/proc-identity.js";
import { type ReapReport, reapLeftovers } from "./leftovers/reaper.js";
import { RecordingLauncher } from "./leftovers/recording-launcher.js";
import { reapSlurmJobs } from "./leftovers/slurm-jobs.js";
import { LeftoverStore } from "./leftovers/state-file.js";
import { gpusFreeCheck, nodeHealthCheck } from "./node-health.js";
import { agentInfo, type NodeIdentity, nodeIdentity, type SlurmPartition, telemetryTool } from "./node-identity.js";
import { ProtocolClient } from "./protocol-client.js";
import { Spool } from "./spool.js";
import { EmulatedGpuSource } from "./telemetry/emulated-gpus.js";
import type { GpuSample } from "./telemetry/gpu-sample.js";
import { TelemetrySampler } from "./telemetry/sampler.js";
import { findTokenizerDir, hubCaches } from "./tokenizer/tokenizer-dir.js";
import { loadEvalRunner, loadgenPointRunner } from "./workloads.js";

export { AGENT_VERSION, type AgentOptions } from "./agent-options.js";

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

/** where this agent finds a model's tokenizer: the model's directory, or its snapshot in a hub cache */
function modelTokenizers(o: AgentOptions): (model: string) => string | undefined {
  const caches = hubCaches(o.hfCache);
  return (model) => findTokenizerDir(model, caches);
}

/** lab prompts are built with the model's tokenizer, when this node has it */
function withModelTokenizer(run: PointRunner, tokenizerOf: (model: string) => string | undefined): PointRunner {
  return (opts) => {
    const dir = opts.tokenizerDir ?? tokenizerOf(opts.modelId ?? opts.model);
    return run(dir ? { ...opts, tokenizerDir: dir } : opts);
  };
}

/** agentic points replay the agent's trace file, when it was given one */
function withAgenticTrace(run: PointRunner, file: string | undefined): PointRunner {
  if (!file) return run;
  return (opts) => run(opts.agentic ? { ...opts, agentic: { ...opts.agentic, trace: { file } } } : opts);
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
      return new DockerLauncher(o.hfCache ? { hfCache: o.hfCache } : {});
    case "emulated":
      return new EmulatedLauncher({
        plan,
        host: o.emulate?.ip,
        extraArgs: emulatedExtraArgs(o),
        tokenizerFor: modelTokenizers(o),
      });
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
  const log = o.log ?? (() => {});
  // a Slurm agent stands for its partition: the SKU and GPUs per node are its nodes', not the login node's
  const slurm = kind === "slurm" ? await slurmPartition(o) : undefined;
  let host: AttemptHost | undefined;
  const baseLauncher = o.launcherImpl ?? makeLauncher(kind, o, () => host?.plan, slurm);
  const found =
    o.discovery ??
    (o.emulate ? await emulatedDiscovery(o.emulate.sku, o.emulate.gpus, o.emulate.ip) : await discover());
  const id = nodeIdentity(o, kind, found, slurm);
  const d = id.discovery;
  const agentId = id.agentId;
  mkdirSync(o.dataDir, { recursive: true });
  const spool = new Spool(join(o.dataDir, "spool"));
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
  const telemetryLog = o.telemetryLog ? createWriteStream(o.telemetryLog, { flags: "a" }) : undefined;
  const sampler = new TelemetrySampler({
    tool: telemetryTool(o, id, slurm, emulatedGpus !== undefined),
    ...(emulatedGpus ? { source: emulatedGpus } : {}),
    ...(telemetryLog ? { onSample: (s: GpuSample) => telemetryLog.write(`${JSON.stringify(s)}\n`) } : {}),
    onError: (m) => log(`telemetry: ${m}`),
  });
  sampler.start();
  // before registering: stop what a previous incarnation of this agent left running
  const { launcher, leftovers } = await reapAndRecord(o, agentId, baseLauncher, slurm !== undefined, log);
  const preflight = nodeHealthCheck(o, id, slurm, baseLauncher, leftovers, log);
  // the ports the leftovers held must be free again before this node claims work
  const node: NodeState = { health: await preflight(leftovers.ports) };
  const runEval = o.runEval ?? (await loadEvalRunner());
  const buildPlan = o.buildPlan ?? (await import("@benchfleet/recipes")).buildLaunchPlan;

  const attempts = new AttemptHost({
    agentId,
    launcher,
    buildPlan,
    runPoint: withModelTokenizer(
      withAgenticTrace(
        id.emulatedEngines && !o.runPoint ? withEngineTiming(loadgenPointRunner) : (o.runPoint ?? loadgenPointRunner),
        o.agenticTrace,
      ),
      modelTokenizers(o),
    ),
    runEval,
    sampler,
    ...(id.nodeTelemetry !== "none" ? { remoteTelemetry: { tool: id.nodeTelemetry } } : {}),
    preflight,
    verifyGpusFree: gpusFreeCheck(o, id, slurm),
    io: { send: (m) => client.send(m), sendReliable: (m) => client.sendReliable(m), acked: (i) => client.acked(i) },
    vendor: id.vendor,
    dataDir: o.dataDir,
    ...(o.labDir ? { labDir: o.labDir } : {}),
    stopGraceMs: o.stopGraceMs,
    hostCpuStallMs: () => readCpuStallMs(),
    onHealth: (h) => (node.health = h),
    log,
  });
  host = attempts;

  const client = connect(o, id, slurm, spool, attempts, sampler, node, log);
  const healthTimer = setInterval(() => {
    if (!attempts.current()) void preflight([]).then((h) => (node.health = h));
  }, o.healthIntervalMs ?? 60_000);
  healthTimer.unref();
  client.start();

  return {
    agentId,
    client,
    discovery: d,
    leftovers,
    current: () => attempts.current(),
    outcomes: attempts.outcomes,
    health: () => node.health,
    draining: () => attempts.draining,
    async stop(reason = "agent stopping") {
      clearInterval(healthTimer);
      await attempts.stop(reason);
      sampler.stop();
      telemetryLog?.end();
      await client.stop();
    },
  };
}

/**
 * Reaps what a previous incarnation of this agent left running (processes, containers, and for a
 * Slurm agent its allocations), then wraps the launcher so every process started from now on is
 * recorded for the next incarnation.
 */
async function reapAndRecord(
  o: AgentOptions,
  agentId: string,
  baseLauncher: Launcher,
  slurm: boolean,
  log: (line: string) => void,
): Promise<{ launcher: RecordingLauncher; leftovers: ReapReport }> {
  const boot = bootId();
  const store = new LeftoverStore(o.dataDir, boot);
  const prefix = markPrefix(agentId, o.dataDir);
  const leftovers = await reapLeftovers({
    store,
    prefix,
    boot,
    graceMs: o.stopGraceMs,
    ...(o.slurm?.env ? { slurmEnv: o.slurm.env } : {}),
    log,
  });
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
  return { launcher, leftovers };
}

/** what the agent last found of its node's health (sent with the hello and each heartbeat) */
interface NodeState {
  health: Health;
}

/**
 * The connection to the controller: the hello (token or this agent's credential, its record, its
 * health and the attempt it runs), heartbeats with telemetry, enrolment, and the attempt's fate
 * after a reconnect (abort, or adopt: the gang barrier's messages are sent again).
 */
function connect(
  o: AgentOptions,
  id: NodeIdentity,
  slurm: SlurmPartition | undefined,
  spool: Spool,
  attempts: AttemptHost,
  sampler: TelemetrySampler,
  node: NodeState,
  log: (line: string) => void,
): ProtocolClient {
  let credential = readCredential(o.dataDir, id.agentId);
  const running = () => {
    const current = attempts.current();
    return current ? { running: current.report() } : {};
  };
  const client: ProtocolClient = new ProtocolClient({
    url: o.controller,
    spool,
    backoff: o.backoff,
    resendIntervalMs: o.resendIntervalMs,
    onLog: (l) => log(`protocol: ${l}`),
    hello: async () => ({
      token: o.token,
      ...(credential ? { credential } : {}),
      agent: agentInfo(o, id, slurm),
      health: node.health,
      ...running(),
    }),
    heartbeat: async () => ({ health: node.health, telemetry: await sampler.snapshot(), ...running() }),
    onWelcome: (w: WelcomeMsg) => {
      log(`registered as ${w.agentId}`);
      if (w.credential) {
        writeCredential(o.dataDir, id.agentId, w.credential);
        credential = w.credential;
        log("enrolled: the controller's credential for this agent id is kept in the data dir");
      }
      const current = attempts.current();
      if (current && w.running === "abort") current.cancel("the controller aborted this attempt after the reconnect");
      // messages of the gang barrier sent while the controller was away may be lost: repeat them
      if (current && w.running === "adopt") for (const m of current.barrierMessages()) client.send(m);
    },
    onMessage: (m: ControllerMessage) => attempts.onMessage(m),
  });
  return client;
}
