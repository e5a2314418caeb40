/**
 * Hook point for the analytics routes (issue 8): Pareto frontiers, cost and energy views over the
 * results DB. server.ts calls this once at start with the API helper and the controller context.
 */
import type { ControllerContext } from "../context.js";
import type { Api } from "./route.js";

export function registerResultsAnalyticsRoutes(_api: Api, _c: ControllerContext): void {
  // TODO(issue 8): add analytics routes here (queries in controller/src/results-analytics.ts).
}
