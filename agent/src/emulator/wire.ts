/** Names on the wire that mark emulated traffic and carry the emulator's internal hand-offs. */

/** `owned_by` of every model an emulated engine lists */
export const OWNED_BY = "benchfleet-emulator";
/** header on every response of an emulated engine or router: "1" */
export const EMULATED_HEADER = "x-benchfleet-emulated";
/** header on every response: wall seconds per emulated second (divide measured times by it) */
export const TIME_SCALE_HEADER = "x-benchfleet-time-scale";
/** router → decode worker: the prompt's KV arrived from a prefill worker (value: prompt tokens) */
export const PREFILLED_HEADER = "x-benchfleet-prefilled";
/**
 * client → engine: "1" when the client sends its next request as soon as this one completes (a
 * closed loop); the engine holds its clock for that request (see scheduler.ts)
 */
export const FOLLOW_UP_HEADER = "x-benchfleet-follow-up";
/** client → engine: the first request of a closed loop's first wave: how many it sends at once, itself included */
export const WAVE_HEADER = "x-benchfleet-wave";
