/** Deployments and placements built from a few fields, for tests of recipes and of their callers. */
export * from "./deployments.js";
export * from "./golden-cases.js";
