/**
 * Attempt executor: runs one assignment on this node through the phases
 * prepare → launch → ready → warmup → load → eval → teardown, each with its own timeout from
 * `deployment.timeouts` (seconds) and reported start/end. Teardown always runs (success, failure,
 * cancel, timeout, agent shutdown) and stops exactly the processes this attempt started.
 * The leader (rank 0) waits for the gang barrier, runs the canary, warmup, load points and eval;
 * other ranks serve until the controller releases them.
 */

import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentMessage,
  type Assignment,
  combineNodeEnergy,
  combineRepeats,
  type Deployment,
  type EndpointRef,
  type EnergySummary,
  type EvalResult,
  evalConcurrencies,
  type GangReadyMsg,
  type Health,
  isMultiNodeLab,
  type LaunchPlan,
  type LoadPoint,
  labConcList,
  labEvalConcs,
  measuredPrompts,
  type NodePlan,
  noEnergy,
  type Phase,
  type Placement,
  type PointResult,
  type ProcessSpec,
  pointWindow,
  type RunningReport,
} from "@benchfleet/shared";
import { classifyEngineExit } from "./engine-failure.js";
import { EngineMetricsScraper } from "./engine-metrics/scraper.js";
import { engineMetricsTargets } from "./engine-metrics/targets.js";
import { loadThresholds, thresholdFor } from "./eval/thresholds.js";
import { starvationCreditMs } from "./host-cpu-stall.js";
import { infrastructureFailures, POINT_TRIES, retryPauseMs } from "./infra-failures.js";
import { readLabJobResults } from "./lab-script/job-results.js";
import { labJobSpec } from "./lab-script/job-spec.js";
import { readLabEvals } from "./lab-script/lab-evals.js";
import { labScriptPointSpec, readLabResult } from "./lab-script/points.js";
import { takeContainerSteps } from "./lab-script/stand-in.js";
import { checkLabAiperf, labWorkspaceDir, prepareLabWorkspace } from "./lab-script/workspace.js";
import { launchedHostTiers } from "./launchers/launched-host-tiers.js";
import type { ExitInfo, LaunchContext, Launcher, NodeRef, RunningProcess } from "./launchers/launcher.js";
import type { LoadProgress } from "./loadgen/load-options.js";
import type { TraceSource } from "./loadgen/trace-source.js";
import { LogForwarder } from "./log-forwarder.js";
import { CancelledError, PhaseError, toPhaseError } from "./phase-error.js";
import { waitReady } from "./ready-check.js";
import type { SpooledMessage } from "./spool.js";
import { gpuToolCommand, type SmiTool, TelemetrySampler } from "./telemetry/sampler.js";
import { warmup } from "./warmup.js";

export interface PointRunOptions {
  baseUrl: string;
  model: string;
  /** the deployment's model (HF id or path), whose tokenizer lab prompts are built with */
  modelId?: string;
  /** that model's tokenizer directory on this node, when the agent found one */
  tokenizerDir?: string;
  api: "completions" | "chat";
  point: LoadPoint;
  numPrompts: number;
  gpus: { total: number; prefill: number; decode: number };
  emulated: boolean;
  /** "engine": use the emulator's own request timing (see loadgen/engine-timing.ts) */
  timing?: "client" | "engine";
  /** an agentic point: trace replay for this long; `trace` as the agent was given it (default: synthetic) */
  agentic?: { durationS: number; trace?: TraceSource };
  signal: AbortSignal;
  /** progress inside the point, every `progressIntervalMs` */
  onProgress?: (p: LoadProgress) => void;
  progressIntervalMs?: number;
}
export type PointRunner = (o: PointRunOptions) => Promise<PointResult>;

export interface EvalRunOptions {
  baseUrl: string;
  model: string;
  /** model family (master-config `model-prefix`): picks the accuracy threshold */
  modelPrefix: string;
  api: "completions" | "chat";
  limit?: number;
  /** parallel requests of the eval client: the deployment's selected eval concurrency */
  concurrency?: number;
  emulated: boolean;
  signal: AbortSignal;
}
export type EvalRunner = (o: EvalRunOptions) => Promise<EvalResult>;

export interface AttemptIO {
  /** best effort (phases, logs, member-ready) */
  send(msg: AgentMessage): void;
  /** spooled and resent until acknowledged */
  sendReliable(msg: SpooledMessage): void;
}

export interface ExecutorDeps {
  launcher: Launcher;
  buildPlan: (deployment: Assignment["deployment"], placement: Placement) => LaunchPlan;
  runPoint?: PointRunner;
  runEval?: EvalRunner;
  sampler?: TelemetrySampler;
  /**
   * A launcher that allocates nodes (Slurm): sample GPU power on each of them with this tool, run
   * there through the launcher (`srun … nvidia-smi -lms`), for the energy of the whole deployment.
   */
  remoteTelemetry?: { tool: SmiTool; intervalMs?: number };
  /** preflight of this node for the given ports */
  preflight: (ports: number[]) => Promise<Health>;
  /** after teardown: undefined when GPUs are free, else what still holds them */
  verifyGpusFree?: () => Promise<string | undefined>;
  io: AttemptIO;
  vendor: "nvidia" | "amd";
  dataDir: string;
  /** readiness poll interval (default 200 ms) */
  readyIntervalMs?: number;
  /** SIGTERM → SIGKILL grace in teardown (default 10 s) */
  stopGraceMs?: number;
  /** warmup requests per lowest concurrency (default 2×, at most 64; 0 = none) */
  warmupFactor?: number;
  /** pause before measuring a point spoiled by infrastructure errors again (default: 2 s, then 4 s) */
  infraRetryPauseMs?: (tryNumber: number) => number;
  /** keep the attempt dir after teardown (default false) */
  keepAttemptDir?: boolean;
  /** how often the engines' metrics endpoints are read during a point (default 1000 ms) */
  engineMetricsIntervalMs?: number;
  /**
   * The host's CPU stall total in ms (readCpuStallMs). When given, a phase timeout does not count
   * the time the host's tasks waited for a CPU, up to the timeout once more; when absent, phase
   * timeouts are wall time.
   */
  hostCpuStallMs?: () => number | undefined;
  /** how often the leader reports its progress inside a load point (default PROGRESS_INTERVAL_MS) */
  progressIntervalMs?: number;
  /** this node's lab (InferenceX) checkout: script-mode deployments run its benchmark scripts */
  labDir?: string;
}

/** the leader's progress reports inside a load point, ms apart */
const PROGRESS_INTERVAL_MS = 2000;

export interface AttemptOutcome {
  status: "succeeded" | "failed" | "cancelled";
  reason?: string;
  retryable?: boolean;
  phase?: Phase;
  phaseDurationsMs: Record<string, number>;
  pointsSent: number;
}

/** script mode with a multi-node lab script: it submits its own Slurm job (lab-script/slurm-run.ts) */
const isLabJob = (d: Deployment) => d.labScript !== undefined && isMultiNodeLab(d);

const safeId = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

export function placementOf(a: Assignment, vendor: "nvidia" | "amd"): Placement {
  return {
    nodes: [...a.gang]
      .sort((x, y) => x.rank - y.rank)
      .map((m) => ({ rank: m.rank, hostname: m.hostname, ip: m.ip, gpuCount: m.gpuCount, rdmaDevices: m.rdmaDevices })),
    portBase: a.portBase,
    vendor,
  };
}

/** GPUs the throughput is normalised by */
export function gpuCounts(a: Assignment): { total: number; prefill: number; decode: number } {
  const d = a.deployment;
  if (d.disagg && d.prefill && d.decode)
    return { total: d.prefill.gpus + d.decode.gpus, prefill: d.prefill.gpus, decode: d.decode.gpus };
  // a row launched with its recipe's topology: per GPU as the lab's result files count it
  return { total: d.resultGpus ?? d.gpus, prefill: 0, decode: 0 };
}

/** the GPU indices the given processes use on their node */
function gpusOf(processes: ProcessSpec[]): number[] {
  return [...new Set(processes.flatMap((p) => p.gpus))].sort((x, y) => x - y);
}

export class AttemptExecutor {
  private readonly abort = new AbortController();
  private phaseNow: Phase = "prepare";
  private readonly started: RunningProcess[] = [];
  private plan: LaunchPlan | undefined;
  /** the plan nodes this agent runs: its own rank, or every node when the launcher allocates them (Slurm) */
  private ownNodes: NodePlan[] = [];
  /** process name → the plan node it runs on */
  private readonly nodeOf = new Map<string, NodePlan>();
  private gangReady: { promise: Promise<GangReadyMsg>; resolve: (m: GangReadyMsg) => void };
  private released: { promise: Promise<void>; resolve: () => void };
  private readonly logs: LogForwarder;
  private readonly durations: Record<string, number> = {};
  private readonly attemptDir: string;
  private readonly lines = new Map<string, string[]>();
  private pointsSent = 0;
  /** GPU samplers on the allocated nodes (Slurm), by plan rank */
  private readonly nodeSamplers = new Map<number, TelemetrySampler>();
  private finished: Promise<AttemptOutcome> | undefined;
  /** this member's ready report, kept to repeat it after a reconnect until the barrier is passed */
  private memberReadyMsg: AgentMessage | undefined;
  private barrierPassed = false;

  constructor(
    readonly assignment: Assignment,
    private readonly deps: ExecutorDeps,
  ) {
    let rg!: (m: GangReadyMsg) => void;
    this.gangReady = { promise: new Promise((r) => (rg = r)), resolve: rg };
    let rr!: () => void;
    this.released = { promise: new Promise((r) => (rr = r)), resolve: rr };
    this.logs = new LogForwarder({
      send: (b) =>
        deps.io.send({ type: "log", attemptId: assignment.attemptId, fencingToken: assignment.fencingToken, ...b }),
    });
    this.attemptDir = join(deps.dataDir, "attempts", safeId(assignment.attemptId));
  }

  get attemptId(): string {
    return this.assignment.attemptId;
  }

  get phase(): Phase {
    return this.phaseNow;
  }

  get isLeader(): boolean {
    return this.assignment.rank === 0;
  }

  /** processes this attempt started (tests and teardown verification) */
  get processes(): readonly RunningProcess[] {
    return this.started;
  }

  report(): RunningReport {
    const a = this.assignment;
    return { attemptId: a.attemptId, jobId: a.jobId, fencingToken: a.fencingToken, phase: this.phaseNow };
  }

  onGangReady(msg: GangReadyMsg): void {
    this.barrierPassed = true;
    this.gangReady.resolve(msg);
  }

  /**
   * What the controller must hear again after a reconnect for this attempt to progress: the
   * member-ready report while the gang barrier may still be waiting for it (a leader until its
   * gang-ready came; another member until it is released or the attempt ends).
   */
  barrierMessages(): AgentMessage[] {
    if (!this.memberReadyMsg || this.barrierPassed) return [];
    return [this.memberReadyMsg];
  }

  onRelease(): void {
    this.barrierPassed = true;
    this.released.resolve();
  }

  /** cancel: the current phase stops, teardown runs; `asFailure` for agent shutdown (retryable failure) */
  cancel(reason: string, asFailure = false): void {
    if (!this.abort.signal.aborted) this.abort.abort(new CancelledError(reason, asFailure));
  }

  private agentLog(line: string): void {
    this.logs.line("agent", "agent", line);
  }

  private sendPhase(
    phase: Phase,
    status: "started" | "finished" | "failed",
    extra: { durationMs?: number; reason?: string; retryable?: boolean } = {},
  ): void {
    const a = this.assignment;
    this.deps.io.send({
      type: "phase",
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      phase,
      status,
      at: new Date().toISOString(),
      ...extra,
    });
  }

  /** runs one phase under its timeout; rejects with PhaseError or CancelledError */
  private async runPhase<T>(phase: Phase, fn: (signal: AbortSignal) => Promise<T>, timeoutS?: number): Promise<T> {
    this.phaseNow = phase;
    const seconds = timeoutS ?? this.assignment.deployment.timeouts[phase];
    const ctrl = new AbortController();
    const t0 = Date.now();
    this.sendPhase(phase, "started");
    this.agentLog(`phase ${phase} started (timeout ${seconds} s)`);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => ctrl.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const stall = this.deps.hostCpuStallMs;
      const stallAtStart = stall?.();
      const limitMs = seconds * 1000;
      let creditedMs = 0;
      const timeout = new Promise<never>((_, reject) => {
        const expire = () => {
          // the time the host could not run the phase's work is added to its timeout
          const credit = starvationCreditMs(stallAtStart, stall?.(), limitMs);
          if (credit - creditedMs >= 100) {
            this.agentLog(
              `phase ${phase}: timeout extended by ${Math.round(credit - creditedMs)} ms of host CPU stall`,
            );
            timer = setTimeout(expire, credit - creditedMs);
            creditedMs = credit;
            return;
          }
          const starved = creditedMs ? ` (and ${(creditedMs / 1000).toFixed(1)} s the host was CPU-starved)` : "";
          const err = new PhaseError(`${phase} timed out after ${seconds} s${starved}`, true, phase);
          ctrl.abort(err);
          reject(err);
        };
        timer = setTimeout(expire, limitMs);
      });
      const cancelled = new Promise<never>((_, reject) => {
        if (ctrl.signal.aborted) reject(ctrl.signal.reason);
        ctrl.signal.addEventListener("abort", () => reject(ctrl.signal.reason), { once: true });
      });
      const died = this.processDied();
      const result = await Promise.race([fn(ctrl.signal), timeout, cancelled, died]);
      const durationMs = Date.now() - t0;
      this.durations[phase] = durationMs;
      this.sendPhase(phase, "finished", { durationMs });
      this.agentLog(`phase ${phase} finished in ${durationMs} ms`);
      return result;
    } catch (e) {
      const durationMs = Date.now() - t0;
      this.durations[phase] = durationMs;
      if (!ctrl.signal.aborted) ctrl.abort(e);
      if (e instanceof CancelledError) {
        this.sendPhase(phase, "failed", { durationMs, reason: `cancelled: ${e.reason}`, retryable: true });
        throw e;
      }
      const pe = toPhaseError(e, phase);
      this.sendPhase(phase, "failed", { durationMs, reason: pe.message, retryable: pe.retryable });
      this.agentLog(`phase ${phase} failed: ${pe.message}`);
      throw new PhaseError(pe.message, pe.retryable, phase);
    } finally {
      if (timer) clearTimeout(timer);
      this.abort.signal.removeEventListener("abort", onAbort);
    }
  }

  /** rejects when any started process exits (the engine died under us) */
  private processDied(): Promise<never> {
    return new Promise<never>((_, reject) => {
      for (const p of this.started) {
        p.exited.then((ex) => {
          if (this.phaseNow === "teardown") return;
          const lines = p.tail().slice(-5);
          const tail = lines.join(" | ");
          reject(
            new PhaseError(
              `process ${p.name} exited (code ${ex.code}${ex.signal ? `, ${ex.signal}` : ""})${tail ? `: ${tail}` : ""}`,
              classifyEngineExit(lines).retryable,
            ),
          );
        });
      }
    });
  }

  /** runs the attempt to its end (idempotent: a second call returns the same outcome) */
  run(): Promise<AttemptOutcome> {
    this.finished ??= this.execute();
    return this.finished;
  }

  private async execute(): Promise<AttemptOutcome> {
    let outcome: Omit<AttemptOutcome, "phaseDurationsMs" | "pointsSent"> = { status: "succeeded" };
    try {
      await this.runPhase("prepare", (s) => this.prepare(s));
      // script mode: the lab's script starts the engine and measures each point itself
      if (this.plan?.script) outcome = (await this.runLabScript()) ?? outcome;
      else outcome = await this.runEngines();
    } catch (e) {
      if (e instanceof CancelledError) {
        outcome = e.asFailure
          ? { status: "failed", reason: e.reason, retryable: true, phase: this.phaseNow }
          : { status: "cancelled", reason: e.reason, phase: this.phaseNow };
      } else {
        const pe = toPhaseError(e, this.phaseNow);
        outcome = { status: "failed", reason: pe.message, retryable: pe.retryable, phase: pe.phase ?? this.phaseNow };
      }
    }
    const failedPhase = this.phaseNow;
    this.barrierPassed = true;
    try {
      await this.runPhase("teardown", () => this.teardown());
    } catch (e) {
      const msg = (e as Error).message;
      if (outcome.status === "succeeded")
        outcome = { status: "failed", reason: `teardown: ${msg}`, retryable: true, phase: "teardown" };
      else outcome = { ...outcome, reason: `${outcome.reason}; teardown: ${msg}` };
    }
    if (outcome.status !== "failed") delete outcome.phase;
    else outcome.phase ??= failedPhase;
    this.logs.flush();
    const a = this.assignment;
    const final: SpooledMessage = {
      type: "attempt-finished",
      msgId: `${safeId(a.attemptId)}.final`,
      attemptId: a.attemptId,
      fencingToken: a.fencingToken,
      status: outcome.status,
      phaseDurationsMs: { ...this.durations },
    };
    if (outcome.reason) final.reason = outcome.reason;
    if (outcome.retryable !== undefined) final.retryable = outcome.retryable;
    if (outcome.phase) final.phase = outcome.phase;
    this.deps.io.sendReliable(final);
    return { ...outcome, phaseDurationsMs: { ...this.durations }, pointsSent: this.pointsSent };
  }

  /** launch, ready, then (the leader) warmup, load points and eval; other ranks serve until released */
  private async runEngines(): Promise<Omit<AttemptOutcome, "phaseDurationsMs" | "pointsSent">> {
    await this.runPhase("launch", (s) => this.launch(s));
    await this.runPhase("ready", (s) => this.ready(s));
    if (!this.isLeader) {
      const t = this.assignment.deployment.timeouts;
      await this.runPhase("load", (s) => this.serveUntilReleased(s), t.warmup + t.load + t.eval);
      return { status: "succeeded" };
    }
    await this.runPhase("warmup", (s) => this.warmup(s));
    await this.runPhase("load", (s) => this.load(s));
    if (this.assignment.runEval) {
      const evalOutcome = await this.runPhase("eval", (s) => this.evaluate(s));
      if (evalOutcome) return evalOutcome;
    }
    return { status: "succeeded" };
  }

  /**
   * Script mode: the attempt's copy of the lab checkout (launch), the gang barrier (ready), then
   * each point one run of the lab's script, whose result JSON is sent as the point (load).
   */
  private async runLabScript(): Promise<Omit<AttemptOutcome, "phaseDurationsMs" | "pointsSent"> | undefined> {
    const a = this.assignment;
    const plan = this.plan as LaunchPlan;
    const script = plan.script!;
    const workspace = labWorkspaceDir(this.attemptDir);
    await this.runPhase("launch", async () => {
      if (isLabJob(a.deployment) && this.deps.launcher.kind !== "slurm")
        throw new PhaseError(
          `script mode: the lab's multi-node script ${script.path} submits its own Slurm job; run it on a Slurm login-node agent (--launcher slurm), not the ${this.deps.launcher.kind} launcher`,
          false,
        );
      prepareLabWorkspace(this.deps.labDir, this.attemptDir, script);
      // the lab's agentic replay needs its AIPerf, from the checkout (the emulated fleet replays with benchfleet's)
      if (a.deployment.scenario === "agentic-coding" && !a.emulated) checkLabAiperf(this.deps.labDir!);
      this.agentLog(`script mode: ${script.path} (sha256 ${script.sha256.slice(0, 12)}) in ${workspace}`);
    });
    await this.runPhase("ready", (s) => this.ready(s));
    if (!this.isLeader) return undefined;
    const evalConcs = a.runEval ? labEvalConcs(a.deployment) : [];
    const below: string[] = [];
    if (isLabJob(a.deployment)) await this.runLabJob(workspace, evalConcs, below);
    else await this.runLabScriptPoints(workspace, evalConcs, below);
    if (below.length === 0) return undefined;
    return {
      status: "failed",
      retryable: false,
      phase: "eval",
      reason: `accuracy below threshold: ${below.join("; ")}`,
    };
  }

  /** each point one run of the single-node script; those at an eval concurrency evaluate too (RUN_EVAL) */
  private async runLabScriptPoints(workspace: string, evalConcs: number[], below: string[]): Promise<void> {
    const a = this.assignment;
    const script = (this.plan as LaunchPlan).script!;
    const t = a.deployment.timeouts;
    // each point starts its own engine: its launch and ready time counts with the measured time
    const timeoutS = a.points.length * (t.launch + t.ready) + t.load + (evalConcs.length ? t.eval : 0);
    await this.runPhase(
      "load",
      async (signal) => {
        const base = this.ownProcesses().find((p) => p.kind === "lab-script");
        if (!base) throw new PhaseError("script mode: the launch plan has no lab-script process", false);
        const node = this.nodeOf.get(base.name)!;
        for (const point of a.points) {
          if (signal.aborted) throw signal.reason;
          const runEval = evalConcs.includes(point.concurrency);
          const spec = labScriptPointSpec(base, a.deployment, point, runEval);
          this.nodeOf.set(spec.name, node);
          const startedAt = new Date().toISOString();
          const proc = await this.deps.launcher.start(spec, this.ctx(spec));
          this.started.push(proc);
          this.agentLog(`point c=${point.concurrency}: started ${spec.name} (${proc.handle})`);
          const exit = await untilExit(proc, signal);
          // what the script left running (its server in the background) goes with it
          await this.deps.launcher.stop(proc, this.deps.stopGraceMs ?? 10_000);
          // the emulated fleet cannot apply the script's steps inside the engine's image: said, never skipped silently
          for (const step of takeContainerSteps(workspace))
            this.agentLog(`point c=${point.concurrency}: emulated fleet: the lab script's ${step}`);
          if (exit.code !== 0) {
            const tail = proc.tail().slice(-5).join(" | ");
            throw new PhaseError(
              `lab script ${script.path} exited (code ${exit.code}${exit.signal ? `, ${exit.signal}` : ""}) at concurrency ${point.concurrency}${tail ? `: ${tail}` : ""}`,
              true,
            );
          }
          const result = readLabResult(workspace, spec, point, gpuCounts(a), a.emulated, startedAt);
          const withEnergy: PointResult = { ...result, energy: await this.energyOf(result) };
          this.deps.io.sendReliable({
            type: "point-result",
            msgId: `${safeId(a.attemptId)}.c${point.concurrency}-i${point.isl}-o${point.osl}`,
            attemptId: a.attemptId,
            fencingToken: a.fencingToken,
            result: withEnergy,
          });
          this.pointsSent++;
          this.agentLog(
            `point c=${point.concurrency}: ${result.status}, measured by the lab's ${result.agentic ? "agentic replay" : "client"} (${result.bench.output_throughput.toFixed(1)} output tok/s)`,
          );
          if (runEval) below.push(...this.sendLabEvals(workspace, point.concurrency, script.path));
        }
      },
      timeoutS,
    );
  }

  /**
   * The eval results the lab's script left (RUN_EVAL=true), each sent as the deployment's eval
   * result, marked as the lab's; returns those below the threshold. None left is a failed run.
   */
  private sendLabEvals(workspace: string, conc: number, script: string): string[] {
    const a = this.assignment;
    const d = a.deployment;
    const threshold = thresholdFor(loadThresholds(), d.model, d.modelPrefix);
    const evals = readLabEvals({ workspace, conc, threshold, emulated: a.emulated });
    if (evals.length === 0)
      throw new PhaseError(
        `lab script ${script} ran with RUN_EVAL=true and left no eval results (results*.json)`,
        true,
      );
    const below: string[] = [];
    for (const result of evals) {
      this.deps.io.sendReliable({
        type: "eval-result",
        msgId: `${safeId(a.attemptId)}.eval-c${result.concurrency ?? conc}`,
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        result,
      });
      this.agentLog(
        `eval c=${result.concurrency ?? conc}: gsm8k ${result.strict.exactMatch.toFixed(3)} strict / ${result.flexible.exactMatch.toFixed(3)} flexible, evaluated by the lab's script`,
      );
      if (!result.passed)
        below.push(
          `gsm8k ${result.strict.exactMatch.toFixed(3)} strict / ${result.flexible.exactMatch.toFixed(3)} flexible < ${result.threshold} at concurrency ${result.concurrency ?? conc} (the lab's eval)`,
        );
    }
    return below;
  }

  /**
   * A multi-node lab script (on a Slurm login-node agent): one run for every point, the Slurm job
   * it submits followed to its end by the launcher, then each result file it left sent as its point.
   */
  private async runLabJob(workspace: string, evalConcs: number[], below: string[]): Promise<void> {
    const a = this.assignment;
    const script = (this.plan as LaunchPlan).script!;
    const t = a.deployment.timeouts;
    await this.runPhase(
      "load",
      async (signal) => {
        const base = this.ownProcesses().find((p) => p.kind === "lab-script");
        if (!base) throw new PhaseError("script mode: the launch plan has no lab-script process", false);
        const spec = labJobSpec(base, a.deployment, a.attemptId, evalConcs.length > 0);
        this.nodeOf.set(spec.name, this.nodeOf.get(base.name)!);
        const proc = await this.deps.launcher.start(spec, this.ctx(spec));
        this.started.push(proc);
        this.agentLog(`concurrencies ${labConcList(a.deployment).join(" ")}: started ${spec.name} (${proc.handle})`);
        const exit = await untilExit(proc, signal);
        const { results, missing } = readLabJobResults(workspace, spec.env, a.points, gpuCounts(a), a.emulated);
        for (const result of results) {
          this.deps.io.sendReliable({
            type: "point-result",
            msgId: `${safeId(a.attemptId)}.c${result.point.concurrency}-i${result.point.isl}-o${result.point.osl}`,
            attemptId: a.attemptId,
            fencingToken: a.fencingToken,
            result: { ...result, energy: await this.energyOf(result) },
          });
          this.pointsSent++;
          this.agentLog(
            `point c=${result.point.concurrency}: ${result.status}, measured by the lab's client (${result.bench.output_throughput.toFixed(1)} output tok/s)`,
          );
        }
        if (exit.code !== 0 || missing.length) {
          const tail = proc.tail().slice(-5).join(" | ");
          const what =
            exit.code !== 0
              ? `lab script ${script.path} (${proc.handle}) failed (code ${exit.code}${exit.signal ? `, ${exit.signal}` : ""})`
              : `lab script ${script.path} (${proc.handle}) left no result for concurrency ${missing.map((p) => p.concurrency).join(", ")}`;
          throw new PhaseError(`${what}${tail ? `: ${tail}` : ""}`, true);
        }
        if (evalConcs.length) below.push(...this.sendLabEvals(workspace, Math.max(...evalConcs), script.path));
      },
      t.launch + t.ready + t.load + (evalConcs.length ? t.eval : 0),
    );
  }

  // ---------- phases ----------

  private async prepare(signal: AbortSignal): Promise<void> {
    const a = this.assignment;
    mkdirSync(this.attemptDir, { recursive: true });
    const launcher = this.deps.launcher;
    const preflight = async (ports: number[]) => {
      const health = await this.deps.preflight([...new Set(ports)]);
      if (!health.ok) throw new PhaseError(`preflight: ${health.reasons.join("; ")}`, true);
    };
    let placement = placementOf(a, this.deps.vendor);
    // a multi-node lab script submits its own Slurm job: nothing to allocate for it
    if (launcher.allocate && !isLabJob(a.deployment)) {
      // the launcher allocates the nodes (Slurm): this agent's preflight is of its partition, no ports
      await preflight([]);
      const member = a.gang[0]!;
      const nodes = await launcher.allocate(a.deployment.nodes, this.ctx(), signal);
      placement = {
        ...placement,
        nodes: nodes.map((n, rank) => ({
          rank,
          hostname: n.hostname,
          ip: n.ip,
          gpuCount: member.gpuCount,
          rdmaDevices: member.rdmaDevices,
        })),
      };
    }
    let plan: LaunchPlan;
    try {
      plan = this.deps.buildPlan(a.deployment, placement);
    } catch (e) {
      const err = e as Error & { retryable?: boolean };
      throw new PhaseError(`recipe: ${err.message}`, err.retryable ?? false);
    }
    this.plan = plan;
    this.ownNodes = launcher.allocate ? plan.nodes : plan.nodes.filter((n) => n.rank === a.rank);
    if (this.ownNodes.length === 0) throw new PhaseError(`the launch plan has no node of rank ${a.rank}`, false);
    for (const n of this.ownNodes) for (const p of n.processes) this.nodeOf.set(p.name, n);
    if (!launcher.allocate) await preflight(this.ownProcesses().flatMap((p) => Object.values(p.ports)));
    await launcher.prepare?.(this.ownProcesses(), this.ctx(), signal);
  }

  private ownProcesses(): ProcessSpec[] {
    return this.ownNodes.flatMap((n) => n.processes);
  }

  /** the launch context, for one process: with the node it runs on (and its MPI job's nodes) */
  private ctx(spec?: ProcessSpec): LaunchContext {
    const ref = (n: NodePlan): NodeRef => ({ rank: n.rank, hostname: n.hostname, ip: n.ip });
    const node = spec ? this.nodeOf.get(spec.name) : undefined;
    const mpi = spec?.mpi;
    const mpiNodes = mpi
      ? (this.plan?.nodes ?? [])
          .flatMap((n) => n.processes.filter((p) => p.mpi?.job === mpi.job).map((p) => ({ n, i: p.mpi!.nodeIndex })))
          .sort((x, y) => x.i - y.i)
          .map((x) => ref(x.n))
      : undefined;
    return {
      attemptId: this.assignment.attemptId,
      ...(node ? { node: ref(node) } : {}),
      ...(mpiNodes ? { mpiNodes } : {}),
      deployment: this.assignment.deployment,
      vendor: this.deps.vendor,
      attemptDir: this.attemptDir,
      onLine: (process: string, stream: "stdout" | "stderr", line: string) => {
        const buf = this.lines.get(process) ?? [];
        buf.push(line);
        if (buf.length > 2000) buf.splice(0, buf.length - 2000);
        this.lines.set(process, buf);
        this.logs.line(process, stream, line);
      },
    };
  }

  private stages(): ProcessSpec[][] {
    const byStage = new Map<number, ProcessSpec[]>();
    for (const p of this.ownProcesses()) byStage.set(p.stage, [...(byStage.get(p.stage) ?? []), p]);
    return [...byStage.entries()].sort((x, y) => x[0] - y[0]).map(([, ps]) => ps);
  }

  private async startAndWait(specs: ProcessSpec[], signal: AbortSignal, wait: boolean): Promise<void> {
    for (const spec of specs) {
      if (signal.aborted) throw signal.reason;
      const proc = await this.deps.launcher.start(spec, this.ctx(spec));
      this.started.push(proc);
      this.agentLog(`started ${spec.name} (${proc.handle})`);
    }
    if (wait) await this.waitSpecs(specs, signal);
  }

  private async waitSpecs(specs: ProcessSpec[], signal: AbortSignal): Promise<void> {
    await Promise.all(
      specs.map((spec) => {
        const proc = this.started.find((p) => p.name === spec.name);
        return waitReady(
          spec.health,
          {
            name: spec.name,
            exited: () => proc?.exit,
            lines: () => this.lines.get(spec.name) ?? [],
            tail: () => proc?.tail() ?? [],
          },
          signal,
          this.deps.readyIntervalMs,
        );
      }),
    );
  }

  /** starts every stage in order; all but the last must be healthy before the next starts */
  private async launch(signal: AbortSignal): Promise<void> {
    this.startNodeSamplers();
    const stages = this.stages();
    for (let i = 0; i < stages.length; i++) await this.startAndWait(stages[i], signal, i < stages.length - 1);
  }

  private async ready(signal: AbortSignal): Promise<void> {
    const stages = this.stages();
    if (stages.length) await this.waitSpecs(stages[stages.length - 1], signal);
    const a = this.assignment;
    const endpoints: Record<string, string> = {};
    for (const p of this.ownProcesses()) {
      const port = Object.values(p.ports)[0];
      if (port !== undefined) endpoints[p.name] = `http://${this.nodeOf.get(p.name)?.ip}:${port}`;
    }
    this.memberReadyMsg = { type: "member-ready", attemptId: a.attemptId, fencingToken: a.fencingToken, endpoints };
    this.deps.io.send(this.memberReadyMsg);
    this.agentLog("member ready; waiting for the gang");
    if (!this.isLeader) return;
    await this.gangReady.promise;
    this.agentLog("gang ready");
    const plan = this.plan as LaunchPlan;
    await waitReady(plan.gangHealth, { name: "gang" }, signal, this.deps.readyIntervalMs);
  }

  private async warmup(signal: AbortSignal): Promise<void> {
    const plan = this.plan as LaunchPlan;
    const points = this.assignment.points;
    if (points.length === 0) return;
    if (this.assignment.deployment.scenario === "agentic-coding") {
      // trace replay warms up inside its trajectories (a lane's turns before its start position)
      this.agentLog("warmup: none before agentic points: each replay warms up inside its trajectories");
      return;
    }
    const conc = Math.min(...points.map((p) => p.concurrency));
    const requests = Math.min(64, conc * (this.deps.warmupFactor ?? 2));
    if (requests === 0) return;
    const r = await warmup({
      baseUrl: plan.endpoint.baseUrl,
      model: plan.endpoint.model,
      api: plan.endpoint.api,
      requests,
      concurrency: conc,
      signal,
    });
    this.agentLog(`warmup: ${r.ok} ok, ${r.failed} failed`);
    if (r.ok === 0 || r.failed > r.ok)
      throw new PhaseError(`warmup: ${r.failed} of ${requests} requests failed (${r.lastError})`, true);
  }

  private async load(signal: AbortSignal): Promise<void> {
    const a = this.assignment;
    const plan = this.plan as LaunchPlan;
    if (a.points.length === 0) return;
    if (!this.deps.runPoint) throw new PhaseError("no load generator is available on this agent", false);
    const gpus = gpuCounts(a);
    const gang = await this.gangReady.promise;
    const endpoints = Object.assign({}, ...gang.members.map((m) => m.endpoints)) as Record<string, string>;
    const targets = engineMetricsTargets(plan, endpoints);
    const hostTiers = a.deployment.agentic ? launchedHostTiers(plan) : [];
    for (const [index, point] of a.points.entries()) {
      if (signal.aborted) throw signal.reason;
      const result = await this.measureRepeated(point, gpus, signal, targets, this.progressSender(index));
      const withEnergy: PointResult = {
        ...result,
        energy: await this.energyOf(result),
        emulated: a.emulated || result.emulated,
        ...(hostTiers.length ? { kvHostTiers: hostTiers } : {}),
      };
      const msgId = `${safeId(a.attemptId)}.c${point.concurrency}-i${point.isl}-o${point.osl}`;
      this.deps.io.sendReliable({
        type: "point-result",
        msgId,
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        result: withEnergy,
      });
      this.pointsSent++;
      this.agentLog(`point c=${point.concurrency} isl=${point.isl} osl=${point.osl}: ${result.status}`);
    }
  }

  /**
   * Runs one load point as often as the deployment's `repeats` asks; the run with the median
   * throughput stands for the point and carries the spread over all runs. A failed run ends the
   * repeats: it is the point's result.
   */
  private async measureRepeated(
    point: LoadPoint,
    gpus: PointRunOptions["gpus"],
    signal: AbortSignal,
    engines: EndpointRef[],
    onProgress: (p: LoadProgress) => void,
  ): Promise<PointResult> {
    const n = this.assignment.deployment.repeats ?? 1;
    const runs: PointResult[] = [];
    for (let i = 0; i < n; i++) {
      if (signal.aborted) throw signal.reason;
      const r = await this.measure(point, gpus, signal, engines, onProgress);
      if (r.status !== "ok") return r;
      runs.push(r);
      if (n > 1) this.agentLog(`point c=${point.concurrency}: run ${i + 1} of ${n} done`);
    }
    const { run, repeats } = combineRepeats(runs);
    return repeats ? { ...run, repeats } : run;
  }

  /**
   * Runs one load point; a run spoiled by infrastructure errors (router not ready, connections
   * reset) is run again, and when they persist the attempt fails as retryable: such a run never
   * becomes the point's stored result.
   */
  private async measure(
    point: LoadPoint,
    gpus: PointRunOptions["gpus"],
    signal: AbortSignal,
    engines: EndpointRef[],
    onProgress: (p: LoadProgress) => void,
  ): Promise<PointResult> {
    const a = this.assignment;
    const plan = this.plan as LaunchPlan;
    const runPoint = this.deps.runPoint!;
    const label = `c=${point.concurrency} isl=${point.isl} osl=${point.osl}`;
    for (let tryNumber = 1; ; tryNumber++) {
      const scraper =
        engines.length > 0
          ? new EngineMetricsScraper(engines, { intervalMs: this.deps.engineMetricsIntervalMs })
          : undefined;
      scraper?.start();
      let measured: PointResult;
      try {
        measured = await runPoint({
          baseUrl: plan.endpoint.baseUrl,
          model: plan.endpoint.model,
          modelId: a.deployment.model,
          api: plan.endpoint.api,
          point,
          numPrompts: measuredPrompts(point, a.deployment.promptsPerConc),
          gpus,
          emulated: a.emulated,
          ...(a.deployment.agentic
            ? { agentic: { durationS: point.durationS ?? a.deployment.agentic.durationS } }
            : {}),
          signal,
          onProgress,
          progressIntervalMs: this.deps.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
        });
      } catch (e) {
        scraper?.cancel();
        throw e;
      }
      const engineMetrics = await scraper?.stop();
      const result: PointResult = engineMetrics ? { ...measured, engineMetrics } : measured;
      const infra = infrastructureFailures(result.failures ?? {});
      if (infra.count === 0) return result;
      const total = result.bench.completed + result.bench.failed;
      const what = `point ${label}: ${infra.count} of ${total} requests hit infrastructure errors (${infra.summary})`;
      if (tryNumber >= POINT_TRIES)
        throw new PhaseError(`${what} in each of ${POINT_TRIES} tries; not stored as a measurement`, true);
      this.agentLog(`${what}; measuring it again (try ${tryNumber + 1} of ${POINT_TRIES})`);
      await abortableSleep((this.deps.infraRetryPauseMs ?? retryPauseMs)(tryNumber), signal);
    }
  }

  /** sends the load generator's progress in the attempt's `index`-th point to the controller (best effort) */
  private progressSender(index: number): (p: LoadProgress) => void {
    const a = this.assignment;
    const point = a.points[index]!;
    return (p) => {
      if (p.phase === "calibrate") return;
      this.deps.io.send({
        type: "progress",
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        pointIndex: index,
        points: a.points.length,
        concurrency: point.concurrency,
        isl: point.isl,
        osl: point.osl,
        stage: p.phase,
        done: p.done,
        total: p.total,
        outputTokensPerS: Math.max(0, p.outputTokensPerS),
        elapsedS: Math.max(0, p.elapsedS),
        at: new Date().toISOString(),
      });
    };
  }

  /** one GPU sampler per allocated node, started before the engines so every window is covered */
  private startNodeSamplers(): void {
    const t = this.deps.remoteTelemetry;
    const launcher = this.deps.launcher;
    if (!t || !launcher.remoteCommand) return;
    const intervalMs = t.intervalMs ?? 500;
    const tool = gpuToolCommand(t.tool, intervalMs);
    for (const n of this.ownNodes) {
      const ref = { rank: n.rank, hostname: n.hostname, ip: n.ip };
      const command = launcher.remoteCommand(this.ctx(), ref, `gpu-telemetry-${n.rank}`, [tool.file, ...tool.args]);
      const sampler = new TelemetrySampler({
        tool: t.tool,
        intervalMs,
        command,
        hostStats: false,
        onError: (m) => this.agentLog(`GPU telemetry of node ${n.rank} (${n.hostname}): ${m}`),
      });
      sampler.start();
      this.nodeSamplers.set(n.rank, sampler);
    }
  }

  private async energyOf(r: PointResult): Promise<EnergySummary> {
    const { startMs: t0, endMs: t1, ...tokens } = pointWindow(r);
    const window = { windowMs: t1 - t0, ...tokens };
    if (this.nodeSamplers.size > 0) {
      // the launcher's nodes (Slurm), each sampled there
      const parts = await Promise.all(
        this.ownNodes.map(async (n) => {
          const sampler = this.nodeSamplers.get(n.rank)!;
          await sampler.sampledPast(t1);
          const energy = sampler.energy(gpusOf(n.processes), t0, t1, tokens.outputTokens, tokens.totalTokens);
          return { node: `node ${n.rank} (${n.ip})`, energy };
        }),
      );
      return combineNodeEnergy(parts, { ...window, expectedNodes: this.ownNodes.length });
    }
    if (this.deps.launcher.allocate) return noEnergy(0, "GPU power of the allocated nodes is not sampled");
    const own = await this.nodeEnergy(t0, t1, tokens.outputTokens, tokens.totalTokens);
    const gang = this.assignment.gang;
    if (gang.length === 1) return own;
    // the other members' parts come from them, through the controller (energy-request)
    const me = gang.find((m) => m.rank === this.assignment.rank)!.agentId;
    return combineNodeEnergy([{ node: me, energy: own }], { ...window, expectedNodes: gang.length });
  }

  /** this node's GPU energy of the attempt over a window: the leader's part, or a member's answer to an energy-request */
  async nodeEnergy(t0: number, t1: number, outputTokens: number, totalTokens: number): Promise<EnergySummary> {
    const gpus = gpusOf(this.ownProcesses());
    const sampler = this.deps.sampler;
    if (!sampler) return noEnergy(gpus.length, "no GPU telemetry on this node");
    await sampler.sampledPast(t1);
    return sampler.energy(gpus, t0, t1, outputTokens, totalTokens);
  }

  /**
   * The accuracy eval at each of the deployment's eval concurrencies, in turn against the same
   * server; every result is sent; the attempt fails when any is below its threshold.
   */
  private async evaluate(
    signal: AbortSignal,
  ): Promise<Omit<AttemptOutcome, "phaseDurationsMs" | "pointsSent"> | undefined> {
    const a = this.assignment;
    const plan = this.plan as LaunchPlan;
    if (!this.deps.runEval) throw new PhaseError("no accuracy eval is available on this agent", false);
    const concs = evalConcurrencies(a.deployment);
    const below: string[] = [];
    for (const conc of concs ?? [undefined]) {
      const result = await this.deps.runEval({
        baseUrl: plan.endpoint.baseUrl,
        model: plan.endpoint.model,
        modelPrefix: a.deployment.modelPrefix,
        api: plan.endpoint.api,
        limit: a.deployment.evalLimit,
        ...(conc !== undefined ? { concurrency: conc } : {}),
        emulated: a.emulated,
        signal,
      });
      this.deps.io.sendReliable({
        type: "eval-result",
        // one eval keeps the id it always had; several are told apart by their concurrency
        msgId: concs && concs.length > 1 ? `${safeId(a.attemptId)}.eval-c${conc}` : `${safeId(a.attemptId)}.eval`,
        attemptId: a.attemptId,
        fencingToken: a.fencingToken,
        result: conc !== undefined ? { ...result, concurrency: conc } : result,
      });
      if (!result.passed)
        below.push(
          `gsm8k ${result.strict.exactMatch.toFixed(3)} strict / ${result.flexible.exactMatch.toFixed(3)} flexible < ${result.threshold}${conc !== undefined ? ` at concurrency ${conc}` : ""}`,
        );
    }
    if (below.length) {
      return {
        status: "failed",
        retryable: false,
        phase: "eval",
        reason: `accuracy below threshold: ${below.join("; ")}`,
      };
    }
    return undefined;
  }

  private async serveUntilReleased(_signal: AbortSignal): Promise<void> {
    this.agentLog("serving until the leader finishes");
    await this.released.promise;
  }

  /** stops exactly what this attempt started, newest first, then checks the GPUs are free */
  private async teardown(): Promise<void> {
    const grace = this.deps.stopGraceMs ?? 10_000;
    const problems: string[] = [];
    for (const p of [...this.started].reverse()) {
      try {
        await this.deps.launcher.stop(p, grace);
        this.agentLog(`stopped ${p.name} (${p.handle})`);
      } catch (e) {
        problems.push(`cannot stop ${p.name} (${p.handle}): ${(e as Error).message}`);
      }
    }
    for (const s of this.nodeSamplers.values()) s.stop();
    try {
      await this.deps.launcher.release?.(this.ctx());
    } catch (e) {
      problems.push(`cannot release the allocation: ${(e as Error).message}`);
    }
    if (this.deps.verifyGpusFree) {
      const busy = await this.deps.verifyGpusFree();
      if (busy) problems.push(`GPUs not free after teardown: ${busy}`);
    }
    if (!this.deps.keepAttemptDir) rmSync(this.attemptDir, { recursive: true, force: true });
    if (problems.length) throw new PhaseError(problems.join("; "), true, "teardown");
  }
}

/** the process's exit, or the signal's reason when it aborts first */
function untilExit(proc: RunningProcess, signal: AbortSignal): Promise<ExitInfo> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void proc.exited.then((e) => {
      signal.removeEventListener("abort", onAbort);
      resolve(e);
    });
  });
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
