/**
 * Parser of the long-lived nvidia-smi telemetry stream
 * (`--query-gpu=timestamp,index,power.draw,utilization.gpu,memory.used,temperature.gpu,clocks.sm
 * --format=csv,noheader,nounits -lms 500`). Lines look like
 * `2026/11/28 03:22:16.520, 0, 71.29, 0, 0, 31, 345` (timestamp in the host's local time).
 */
import type { GpuSample } from "./gpu-sample.js";

export const NVIDIA_STREAM_FIELDS = [
  "timestamp",
  "index",
  "power.draw",
  "utilization.gpu",
  "memory.used",
  "temperature.gpu",
  "clocks.sm",
] as const;

export function nvidiaStreamArgs(intervalMs: number): string[] {
  return [`--query-gpu=${NVIDIA_STREAM_FIELDS.join(",")}`, "--format=csv,noheader,nounits", `-lms`, String(intervalMs)];
}

function num(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const v = raw.trim();
  if (v === "" || /^\[?(n\/a|not supported|unknown error)\]?$/i.test(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** `2026/11/28 03:22:16.520` (local time) → epoch ms, or undefined when it is not that format. */
export function parseSmiTimestamp(ts: string): number | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(ts.trim());
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].padEnd(3, "0")) : 0;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms).getTime();
}

/**
 * One stream line → a sample; null for blank lines, headers and lines that are not samples
 * (nvidia-smi prints error text on the same stream when a GPU falls off the bus).
 * `receivedAt` is used when the timestamp cannot be read.
 */
export function parseNvidiaSmiStreamLine(line: string, receivedAt = Date.now()): GpuSample | null {
  if (!line.trim()) return null;
  const cols = line.split(",").map((s) => s.trim());
  if (cols.length !== NVIDIA_STREAM_FIELDS.length) return null;
  const index = Number(cols[1]);
  if (!Number.isInteger(index) || index < 0) return null;
  return {
    t: parseSmiTimestamp(cols[0]) ?? receivedAt,
    index,
    powerW: num(cols[2]),
    utilPct: num(cols[3]),
    memUsedMiB: num(cols[4]),
    tempC: num(cols[5]),
    smClockMHz: num(cols[6]),
  };
}
