/**
 * @benchfleet/cli: the operator CLI (`benchfleet …`, main.ts) and `benchfleet up`. Its index names what
 * the repo tests use: the local Slurm test cluster, the dashboard build and the marked-process finder.
 */

export { formatAgenticClientSummary, summarizeAgenticClient } from "./lab-agentic-client.js";
export {
  checkAgenticRows,
  formatAgenticSummary,
  summarizeAgenticChecks,
} from "./lab-agentic-scripts.js";
export { scriptClientOptions } from "./lab-script-client.js";
export { checkLabRows, formatChecks, labSingleNodeRows } from "./lab-scripts.js";
export { buildDashboard } from "./up/dashboard-build.js";
export { findMarkedProcesses } from "./up/fleet-processes.js";
export { type SlurmCluster, startSlurmCluster } from "./up/slurm-cluster.js";
