export * from "./config-error.js";
export * from "./yaml-source.js";
export * from "./skus.js";
export * from "./master-config.js";
export * from "./deployment.js";
export * from "./results.js";
export * from "./protocol.js";
export * from "./launch-plan.js";
