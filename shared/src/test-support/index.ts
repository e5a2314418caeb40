/** Test helpers other packages' tests use: the repo's SKU catalog and result rows built from a few fields. */

export * from "./agentic-results.js";
export { testCatalog } from "./catalog.js";
export * from "./result-rows.js";
