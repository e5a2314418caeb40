/**
 * Engine timing: latencies as the engine itself timed them instead of as the client saw them.
 * Only for the benchfleet emulator, which reports each request's TTFT and E2E latency on its
 * emulated clock in the usage trailer. On a compressed clock (`--time-scale`) and a busy host the
 * emulator's wall-clock emission can bunch tokens together when its event loop runs late; its own
 * timeline stays exact, so emulated results use it. Pure.
 *
 * TTFT and E2EL come from the engine; the chunk gaps are spread evenly over (E2EL − TTFT) so that
 * `(e2el − ttft) − Σ ITL = 0` still holds; the duration runs from the first request the engine
 * queued to the last one it finished. Where some request carries no queue time, the client's wall
 * duration is used, put on the engine's clock (÷ its time scale): latencies and duration must be on
 * one clock, or throughput comes out 1/time-scale too high (seen once in the demo: 5,523 tok/s/GPU
 * where its own latencies allowed ≈ 1,700).
 */
import type { RequestRecord } from "./request-record.js";

export class MissingEngineTimingError extends Error {
  constructor(count: number) {
    super(
      `engine timing asked for, but ${count} successful request(s) carried none (is this the benchfleet emulator?)`,
    );
    this.name = "MissingEngineTimingError";
  }
}

export function applyEngineTiming(
  records: RequestRecord[],
  wallDurationS: number,
): { records: RequestRecord[]; durationS: number } {
  const ok = records.filter((r) => r.success);
  const missing = ok.filter((r) => !r.engineTiming).length;
  if (missing) throw new MissingEngineTimingError(missing);
  const out = records.map((r) => {
    if (!r.success || !r.engineTiming) return r;
    const ttftNs = Math.round(r.engineTiming.ttftMs * 1e6);
    const latencyNs = Math.max(ttftNs, Math.round(r.engineTiming.e2elMs * 1e6));
    const gaps = r.itlNs.length;
    const itlNs: number[] = [];
    if (gaps > 0) {
      const total = latencyNs - ttftNs;
      const each = Math.floor(total / gaps);
      for (let i = 0; i < gaps; i++) itlNs.push(i === gaps - 1 ? total - each * (gaps - 1) : each);
    }
    return { ...r, ttftNs, latencyNs, itlNs };
  });
  const timed = ok.map((r) => r.engineTiming!).filter((t) => t.queuedAtMs !== undefined);
  const scales = new Set(ok.map((r) => r.engineTiming!.timeScale));
  const scale = scales.size === 1 ? [...scales][0] : undefined;
  let durationS = scale ? wallDurationS / scale : wallDurationS;
  if (timed.length && timed.length === ok.length) {
    const start = Math.min(...timed.map((t) => t.queuedAtMs!));
    const end = Math.max(...timed.map((t) => t.queuedAtMs! + t.e2elMs));
    if (end > start) durationS = (end - start) / 1000;
  }
  return { records: out, durationS };
}
