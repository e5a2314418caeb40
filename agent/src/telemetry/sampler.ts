/**
 * Telemetry sampler of one node: one long-lived GPU tool child (nvidia-smi `-lms`, or amd-smi
 * watch mode) parsed as a stream into a ring buffer per GPU, plus the host's CPU (kernel counters,
 * in-process) and memory (systeminformation) on demand. With no GPU tool it reports `gpuTelemetry: false`. An emulated
 * node's samples come from a GpuSampleSource instead (tool "emulated": the emulated GPU power model
 * over its emulated engines); its telemetry and energy are labelled emulated.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { EnergySummary, Telemetry } from "@benchfleet/shared";
import si from "systeminformation";
import { AmdSmiMetricParser, amdSmiMetricArgs } from "./amd-smi.js";
import { emulatedEnergy } from "./emulated-power.js";
import { type PowerPoint, summarizeEnergy } from "./energy.js";
import type { GpuSample } from "./gpu-sample.js";
import { HostCpu } from "./host-cpu.js";
import { LineSplitter } from "./line-splitter.js";
import { nvidiaStreamArgs, parseNvidiaSmiStreamLine } from "./nvidia-smi-stream.js";

/** a vendor tool run as a child process */
export type SmiTool = "nvidia-smi" | "amd-smi";
export type GpuTool = SmiTool | "emulated" | "none";

/** samples produced in-process rather than by a GPU tool child (the emulated GPU power model) */
export interface GpuSampleSource {
  start(add: (s: GpuSample) => void): void;
  stop(): void;
  /** wall seconds per emulated second of the engines sampled: energy is put on their clock */
  timeScale(): number;
}

export interface SamplerOptions {
  tool: GpuTool;
  intervalMs?: number;
  /** override the command (tests replay a recorded stream through a real child process) */
  command?: { file: string; args: string[]; env?: Record<string, string> };
  /** how long samples are kept (default 2 h) */
  retainMs?: number;
  /** read the host's CPU and memory (default true) */
  hostStats?: boolean;
  /** tool "emulated": where the samples come from */
  source?: GpuSampleSource;
  onError?: (message: string) => void;
  /** called with every sample as it arrives (the agent's telemetry log) */
  onSample?: (s: GpuSample) => void;
}

/** the long-lived command that streams a GPU tool's samples */
export function gpuToolCommand(tool: SmiTool, intervalMs: number): { file: string; args: string[] } {
  return tool === "nvidia-smi"
    ? { file: "nvidia-smi", args: nvidiaStreamArgs(intervalMs) }
    : { file: "amd-smi", args: amdSmiMetricArgs(intervalMs) };
}

export class TelemetrySampler {
  private child: ChildProcess | undefined;
  private readonly samples = new Map<number, GpuSample[]>();
  private stopped = false;
  /** newest sample time (epoch ms) */
  private latestT = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly hostCpu = new HostCpu();
  private readonly retainMs: number;
  /** why there is no GPU telemetry, when there is none */
  unavailable: string | undefined;

  constructor(private readonly opts: SamplerOptions) {
    this.intervalMs = opts.intervalMs ?? 500;
    this.retainMs = opts.retainMs ?? 2 * 3600_000;
    if (opts.tool === "none") this.unavailable = "no GPU tool (nvidia-smi / amd-smi) on this node";
    if (opts.tool === "emulated" && !opts.source) this.unavailable = "emulated GPU telemetry without a sample source";
  }

  /** the samples come from the emulated GPU power model */
  get emulated(): boolean {
    return this.opts.tool === "emulated";
  }

  get gpuTelemetry(): boolean {
    return this.opts.tool !== "none" && this.unavailable === undefined;
  }

  start(): void {
    if (this.opts.tool === "none" || this.child) return;
    if (this.opts.tool === "emulated") {
      this.opts.source?.start((s) => this.add(s));
      return;
    }
    const cmd = this.opts.command ?? gpuToolCommand(this.opts.tool, this.intervalMs);
    const splitter = new LineSplitter();
    const amd = new AmdSmiMetricParser();
    const env = "env" in cmd && cmd.env ? { ...process.env, ...cmd.env } : process.env;
    const child = spawn(cmd.file, cmd.args, { stdio: ["ignore", "pipe", "pipe"], env });
    this.child = child;
    child.on("error", (e) => {
      this.unavailable = `${cmd.file}: ${e.message}`;
      this.opts.onError?.(this.unavailable);
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      const now = Date.now();
      for (const line of splitter.push(chunk)) {
        const s = this.opts.tool === "nvidia-smi" ? parseNvidiaSmiStreamLine(line, now) : amd.line(line, now);
        if (s) this.add(s);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => this.opts.onError?.(`${cmd.file}: ${chunk.toString().trim()}`));
    child.on("exit", () => {
      this.child = undefined;
      if (!this.stopped && this.unavailable === undefined) {
        // the tool died (driver reload, GPU fell off the bus): restart it after a pause
        this.restartTimer = setTimeout(() => this.start(), 2000);
        this.restartTimer.unref();
      }
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.opts.source?.stop();
    this.child?.kill("SIGTERM");
    this.child = undefined;
  }

  /** adds a sample (the stream parsers call this; tests may too) */
  add(s: GpuSample): void {
    this.opts.onSample?.(s);
    if (s.t > this.latestT) this.latestT = s.t;
    let list = this.samples.get(s.index);
    if (!list) {
      list = [];
      this.samples.set(s.index, list);
    }
    list.push(s);
    const cutoff = s.t - this.retainMs;
    if (list.length > 64 && list[0].t < cutoff) {
      const keep = list.findIndex((x) => x.t >= cutoff);
      list.splice(0, keep < 0 ? list.length : keep);
    }
  }

  /** latest sample of each GPU */
  latest(): GpuSample[] {
    return [...this.samples.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, list]) => list[list.length - 1])
      .filter((s): s is GpuSample => s !== undefined);
  }

  powerSeries(index: number): PowerPoint[] {
    return (this.samples.get(index) ?? [])
      .filter((s) => s.powerW !== null)
      .map((s) => ({ t: s.t, w: s.powerW as number }));
  }

  /**
   * Resolves once a sample at or after `t` has arrived (so a window ending at `t` is closed by a
   * real sample, not cut at the last one before it), or after about two intervals without one.
   */
  async sampledPast(t: number): Promise<void> {
    if (!this.gpuTelemetry) return;
    const deadline = Date.now() + 2 * this.intervalMs + 500;
    while (this.latestT < t && Date.now() < deadline && this.gpuTelemetry) await new Promise((r) => setTimeout(r, 25));
  }

  /** energy of [t0, t1] on the given GPUs */
  energy(gpuIndices: number[], t0: number, t1: number, outputTokens: number, totalTokens: number): EnergySummary {
    const samplesByGpu = new Map<number, PowerPoint[]>();
    for (const i of gpuIndices) samplesByGpu.set(i, this.powerSeries(i));
    const summary = summarizeEnergy({
      telemetry: this.gpuTelemetry,
      samplesByGpu,
      gpuIndices,
      t0,
      t1,
      outputTokens,
      totalTokens,
      maxGapMs: Math.max(2000, this.intervalMs * 4),
    });
    return this.emulated && this.opts.source ? emulatedEnergy(summary, this.opts.source.timeScale()) : summary;
  }

  /** the summary a heartbeat carries */
  async snapshot(): Promise<Telemetry> {
    let cpuPct: number | null = null;
    let memUsedMiB: number | null = null;
    let memTotalMiB: number | null = null;
    if (this.opts.hostStats !== false) {
      try {
        cpuPct = this.hostCpu.percent();
        const mem = await si.mem();
        memUsedMiB = Math.round(mem.active / 1048576);
        memTotalMiB = Math.round(mem.total / 1048576);
      } catch {
        // host stats are best effort
      }
    }
    const gpus = this.gpuTelemetry
      ? this.latest().map((s) => ({
          index: s.index,
          powerW: s.powerW,
          utilPct: s.utilPct,
          memUsedMiB: s.memUsedMiB,
          tempC: s.tempC,
          smClockMHz: s.smClockMHz,
        }))
      : [];
    return {
      at: new Date().toISOString(),
      gpuTelemetry: this.gpuTelemetry,
      gpus,
      cpuPct,
      memUsedMiB,
      memTotalMiB,
      ...(this.emulated ? { emulated: true } : {}),
    };
  }
}
