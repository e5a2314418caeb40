/**
 * Parser of `amd-smi metric -p -c -t -u -m -w <s> --csv` output. The column names differ between
 * amd-smi releases and are not pinned by AMD's docs, so columns are found by header name from a
 * list of known spellings; a header line may repeat in watch mode and resets the mapping.
 */
import type { GpuSample } from "./gpu-sample.js";

export function amdSmiMetricArgs(intervalMs: number): string[] {
  return ["metric", "-p", "-c", "-t", "-u", "-m", "-w", String(Math.max(1, Math.round(intervalMs / 1000))), "--csv"];
}

const COLUMNS: Record<keyof Omit<GpuSample, "t" | "index">, string[]> = {
  powerW: ["socket_power", "current_socket_power", "average_socket_power", "power_usage", "power"],
  utilPct: ["gfx_activity", "gfx_usage", "gfx_busy_percent", "usage"],
  memUsedMiB: ["used_vram", "vram_used", "mem_used"],
  tempC: ["hotspot", "temperature_hotspot", "hotspot_temperature", "edge", "temperature_edge"],
  smClockMHz: ["gfx_0_clk", "gfx_clk", "gfx_clock", "gfx_0_clock"],
};

export class AmdSmiMetricParser {
  private header: string[] | undefined;

  /** one CSV line → a sample (null for headers, blanks and unparsable lines) */
  line(line: string, receivedAt = Date.now()): GpuSample | null {
    const cols = line.split(",").map((s) => s.trim().replace(/^"|"$/g, ""));
    if (!line.trim()) return null;
    const lower = cols.map((c) => c.toLowerCase());
    if (lower.includes("gpu") && !/^\d+$/.test(lower[lower.indexOf("gpu")] ?? "")) {
      this.header = lower;
      return null;
    }
    if (!this.header) return null;
    const at = (names: string[]): number | null => {
      for (const n of names) {
        const i = this.header!.indexOf(n);
        if (i >= 0 && i < cols.length) {
          const v = Number.parseFloat(cols[i]);
          if (Number.isFinite(v)) return v;
        }
      }
      return null;
    };
    const gi = this.header.indexOf("gpu");
    const index = Number(cols[gi]);
    if (!Number.isInteger(index) || index < 0) return null;
    const tsi = this.header.indexOf("timestamp");
    const ts = tsi >= 0 ? Number(cols[tsi]) : Number.NaN;
    return {
      t: Number.isFinite(ts) ? (ts < 1e12 ? ts * 1000 : ts) : receivedAt,
      index,
      powerW: at(COLUMNS.powerW),
      utilPct: at(COLUMNS.utilPct),
      memUsedMiB: at(COLUMNS.memUsedMiB),
      tempC: at(COLUMNS.tempC),
      smClockMHz: at(COLUMNS.smClockMHz),
    };
  }
}
