/** The emulated engine: an OpenAI-compatible server whose timing follows a roofline performance model. */

export { BatchEngine, defaultEngineOptions, type EngineOptions } from "./batch-engine.js";
export { FaultSpec } from "./faults.js";
export { Gsm8kOracle, normaliseQuestion, toOracleItems } from "./gsm8k-oracle.js";
export {
  configsDir,
  EmulatorConfigError,
  findModel,
  findSku,
  loadModelCatalog,
  loadSkuCatalog,
  ModelCatalog,
  ModelSpec,
  parsePrecision,
} from "./model-spec.js";
export {
  type EmulatorHooks,
  type EmulatorOptions,
  type EmulatorOptionsInput,
  EmulatorOptionsSchema,
  parseEmulatorOptions,
  Role,
} from "./options.js";
export { DEFAULT_CONSTANTS, type Parallelism, type PerfConstants, PerfModel, type StepWork } from "./perf-model.js";
export { type EmulatorControl, type EmulatorHandle, startEmulator } from "./server.js";
export { type SimPoint, type SimResult, simulatePoint } from "./simulate.js";
export { countTextTokens } from "./tokens.js";
export { EMULATED_HEADER, OWNED_BY, PREFILLED_HEADER, TIME_SCALE_HEADER } from "./wire.js";
