/**
 * Client saturation: a point whose client could not send on time (or whose event loop stalled)
 * measured the client, not the server. Such a point is marked `saturated` with the figures, so
 * nobody publishes a number the client limited.
 *
 * Rule: saturated when
 *   p99 send lag after the first wave > limit = max(floorMs, min(sendLagP99Ms, sendLagTtftFraction * mean TTFT)), or
 *   the first wave took longer than max(limit, firstWaveFraction * the run's duration), or
 *   p99 event-loop delay > eventLoopDelayP99Ms.
 * i.e. send lag above 5 ms, or above 2 % of the mean TTFT, counts; but never below a 1 ms floor
 * (timer granularity: a lag under 1 ms cannot distort a millisecond metric).
 * The first wave (the `concurrency` requests due at once at the start of a closed-loop run) is judged
 * apart: no client sends them all at the same instant, so their lag is the time to issue them; it
 * matters only when that ramp is a noticeable part of the run (it lowers the early concurrency).
 */
export interface SaturationThresholds {
  sendLagP99Ms: number;
  sendLagTtftFraction: number;
  floorMs: number;
  eventLoopDelayP99Ms: number;
  firstWaveFraction: number;
}

export const DEFAULT_SATURATION: SaturationThresholds = {
  sendLagP99Ms: 5,
  sendLagTtftFraction: 0.02,
  floorMs: 1,
  eventLoopDelayP99Ms: 20,
  firstWaveFraction: 0.02,
};

export interface SaturationInput {
  /** p99 send lag of the requests after the first wave */
  sendLagP99Ms: number;
  eventLoopDelayP99Ms: number;
  meanTtftMs: number;
  /** start of the run → the last first-wave request sent, and the run's duration */
  firstWaveMs?: number;
  durationMs?: number;
}

export function assessSaturation(
  m: SaturationInput,
  t: SaturationThresholds = DEFAULT_SATURATION,
): { saturated: boolean; reason?: string; sendLagLimitMs: number } {
  const relative = m.meanTtftMs > 0 ? t.sendLagTtftFraction * m.meanTtftMs : Number.POSITIVE_INFINITY;
  const limit = Math.max(t.floorMs, Math.min(t.sendLagP99Ms, relative));
  const reasons: string[] = [];
  if (m.sendLagP99Ms > limit) {
    reasons.push(
      `p99 send lag ${m.sendLagP99Ms.toFixed(2)} ms > ${limit.toFixed(2)} ms ` +
        `(limit: max(${t.floorMs}, min(${t.sendLagP99Ms} ms, ${(t.sendLagTtftFraction * 100).toFixed(0)} % of mean TTFT ${m.meanTtftMs.toFixed(2)} ms)))`,
    );
  }
  if (m.firstWaveMs !== undefined && m.durationMs !== undefined) {
    const waveLimit = Math.max(limit, t.firstWaveFraction * m.durationMs);
    if (m.firstWaveMs > waveLimit)
      reasons.push(
        `the first wave took ${m.firstWaveMs.toFixed(2)} ms to send > ${waveLimit.toFixed(2)} ms ` +
          `(${(t.firstWaveFraction * 100).toFixed(0)} % of the run's ${m.durationMs.toFixed(0)} ms)`,
      );
  }
  if (m.eventLoopDelayP99Ms > t.eventLoopDelayP99Ms) {
    reasons.push(`p99 event-loop delay ${m.eventLoopDelayP99Ms.toFixed(2)} ms > ${t.eventLoopDelayP99Ms} ms`);
  }
  return reasons.length
    ? { saturated: true, reason: `client saturated: ${reasons.join("; ")}`, sendLagLimitMs: limit }
    : { saturated: false, sendLagLimitMs: limit };
}
