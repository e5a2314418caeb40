/** What an agent is started with (`startAgent`): the controller, its node, its launcher, and seams for tests. */
import type { Assignment, LauncherKind, LaunchPlan, Placement, SkuName } from "@benchfleet/shared";
import type { Discovery } from "./discovery/discover.js";
import type { EvalRunner, PointRunner } from "./executor.js";
import type { Launcher } from "./launchers/launcher.js";
import type { GpuTool, SmiTool } from "./telemetry/sampler.js";

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
  /** append every GPU sample, one JSON line each, to this file */
  telemetryLog?: string;
  /** agentic points replay this trace file (Mooncake JSONL); default: the synthetic generator */
  agenticTrace?: string;
  /** a lab (InferenceX) checkout: script-mode deployments run its benchmark scripts */
  labDir?: string;
  /**
   * the host's HF hub cache: where lab prompts find a model's tokenizer first (then HF_HUB_CACHE,
   * HF_HOME/hub, ~/.cache/huggingface/hub); the docker launcher mounts it into lab scripts' containers
   */
  hfCache?: string;
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
