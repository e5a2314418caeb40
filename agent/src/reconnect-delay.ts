/**
 * The agent's reconnect delay: the shared backoff (factor 2, half of each delay random) counted from
 * the connection failures in a row, `initialMs` after the first, doubling up to `maxMs`. Pure.
 */
import { backoffDelay, type RandomSource } from "@benchfleet/shared";

export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
}

/** Delay before reconnecting after `failures` failed connections in a row (0 after a registered session ends). */
export function reconnectDelay(failures: number, o: ReconnectBackoff, random: RandomSource = Math.random): number {
  return backoffDelay(failures + 1, { baseMs: o.initialMs, maxMs: o.maxMs, factor: 2, jitter: 0.5 }, random);
}
