/** The emulated engine: an OpenAI-compatible server whose timing follows a roofline performance model. */
export { startEmulator, type EmulatorControl, type EmulatorHandle } from "./server.js";
export { EmulatorOptionsSchema, parseEmulatorOptions, Role, type EmulatorHooks, type EmulatorOptions, type EmulatorOptionsInput } from "./options.js";
export { FaultSpec } from "./faults.js";
export { PerfModel, DEFAULT_CONSTANTS, type Parallelism, type PerfConstants, type StepWork } from "./perf-model.js";
export { BatchEngine, defaultEngineOptions, type EngineOptions } from "./batch-engine.js";
export { simulatePoint, type SimPoint, type SimResult } from "./simulate.js";
export { Gsm8kOracle, normaliseQuestion, parseGsm8k } from "./gsm8k-oracle.js";
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
export { countTextTokens } from "./tokens.js";
export { EMULATED_HEADER, OWNED_BY, PREFILLED_HEADER, TIME_SCALE_HEADER } from "./wire.js";
