/**
 * @benchfleet/controller: the server that queues, allocates and supervises deployment jobs and stores
 * their results. Parts: scheduling/ (allocator, dispatch, attempts, failure policy, BullMQ queues),
 * jobs/ (job, attempt and sweep records), fleet/ (agents, nodes, telemetry), results/ (SQLite
 * results, analytics, import/export, reports), api/ (REST, event WebSocket, auth), infra/ (Redis,
 * bus, log files), config/ (lab config files read for plans).
 */
export { planFromFiles, REPO_ROOT, readSkuCatalog } from "./config/config-files.js";
export { gitTree } from "./config/git-tree.js";
export { formatScriptMode, labScriptResolver } from "./config/lab-scripts.js";
export { checkRecipes } from "./config/recipe-check.js";
export { scriptPresetsOf } from "./config/recipe-settings.js";
export { srtRefusal } from "./config/srt-refusal.js";
export { Bus } from "./infra/bus.js";
export { type HistogramSnapshot, quantileBetween } from "./infra/duration-histogram.js";
export { LogStore } from "./infra/log-store.js";
export { type RedisHandle, startRedis } from "./infra/redis-server.js";
export { connectRedis, RedisState } from "./infra/redis-state.js";
export { JobStore, newJobRecord } from "./jobs/jobs.js";
export { ResultsDb } from "./results/results-db.js";
export { toCsv } from "./results/results-export.js";
export { type ImportContext, ImportError, importPath } from "./results/results-import.js";
export { type AllocInput, type AllocJob, type AllocNode, allocate } from "./scheduling/allocator.js";
export type { NodeFailure } from "./scheduling/quarantine-policy.js";
export { type ControllerHandle, startController } from "./server.js";
export { ControllerConfig, type ControllerConfigInput, loadConfig } from "./settings.js";
