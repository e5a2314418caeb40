/** The emulated engine: an OpenAI-compatible server whose timing follows a roofline performance model. */

export { FaultSpec } from "./faults.js";
export { EmulatorConfigError } from "./model-spec.js";
export type { EmulatorOptionsInput } from "./options.js";
export { type EmulatorControl, type EmulatorHandle, startEmulator } from "./server.js";
