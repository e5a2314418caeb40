/**
 * What the dashboard (a browser bundle) may take from this package: record types, analytics and
 * summaries that import nothing from Node.
 */
export * from "./analytics/agentic-frontier.js";
export * from "./analytics/agentic-role-hit-rates.js";
export * from "./analytics/compare.js";
export * from "./analytics/explorer-point.js";
export * from "./analytics/interpolate.js";
export * from "./analytics/pareto.js";
export * from "./api-records.js";
export * from "./engine-metrics-brief.js";
export * from "./job-layout.js";
export * from "./job-live.js";
export * from "./job-logs.js";
export * from "./log-line.js";
export * from "./plan-timing.js";
export * from "./telemetry-summary.js";
export * from "./unlaunchable.js";
