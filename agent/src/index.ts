/**
 * @benchfleet/agent: what runs on a GPU node. Its own entry is `main.ts` (`benchfleet-agent start |
 * discover | emulate`); this index is what the CLI and the cross-package tests use.
 */
export { AGENT_VERSION, type AgentHandle, type AgentOptions, startAgent } from "./agent.js";
export { registerAgentCommands } from "./commands/agent.js";
export { registerEmulate } from "./commands/emulate.js";
export { type Discovery, discover } from "./discovery/discover.js";
export { discoverPartition } from "./discovery/slurm-partition.js";
export {
  EmulatorConfigError,
  type EmulatorControl,
  type EmulatorHandle,
  type EmulatorOptionsInput,
  FaultSpec,
  startEmulator,
} from "./emulator/index.js";
export { type EmulatorProcess, spawnEmulator } from "./emulator/spawn-emulator.js";
export { runGsm8k } from "./eval/run-gsm8k.js";
export { EmulatedLauncher } from "./launchers/emulated.js";
export { emulateArgs } from "./launchers/emulated-args.js";
export { launchKvCache } from "./launchers/launch-kv-cache.js";
export type { AllocatedNode, LaunchContext, Launcher, RunningProcess } from "./launchers/launcher.js";
export { SlurmLauncher } from "./launchers/slurm.js";
export { allocationJobName } from "./launchers/slurm-args.js";
export { MARK_ENV, markPrefix } from "./leftovers/marker.js";
export { groupMembers, isSameLiveProcess, procIdentity } from "./leftovers/proc-identity.js";
export { LeftoverState, STATE_FILE } from "./leftovers/state-file.js";
export {
  type AgenticTrace,
  capGap,
  parseMooncakeJsonl,
  TraceError,
  type TraceTurn,
  type Trajectory,
} from "./loadgen/agentic-trace.js";
export { dsv4Encoding } from "./loadgen/dsv4-encoding.js";
export { type FixtureProcess, spawnFixture } from "./loadgen/fixture-process.js";
export { labPrompt, templateTokens } from "./loadgen/lab-prompts.js";
export { percentile } from "./loadgen/metrics.js";
export { type LoadProgress, runLoadPoint } from "./loadgen/run-load-point.js";
export { type StreamCost, streamCost } from "./loadgen/stream-cost.js";
export { DEFAULT_SYNTHETIC_TRACE, type SyntheticTraceParams, syntheticTrace } from "./loadgen/synthetic-trace.js";
export { checkTiming, describeTiming } from "./loadgen/timing-check.js";
export { type TurnCost, turnCost } from "./loadgen/turn-cost.js";
export { type WaitCost, waitCost } from "./loadgen/wait-cost.js";
export { waitReady } from "./ready-check.js";
export { loadModelTokenizer } from "./tokenizer/model-tokenizer.js";
export { workersFor } from "./workloads.js";
