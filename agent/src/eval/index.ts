/** The accuracy eval's entry points (the executor loads this module lazily). */
export {
  AccuracyBelowThreshold,
  assertEvalPassed,
  type Gsm8kOptions,
  type Gsm8kSample,
  runGsm8k,
} from "./run-gsm8k.js";
export { loadThresholds, thresholdFor } from "./thresholds.js";
