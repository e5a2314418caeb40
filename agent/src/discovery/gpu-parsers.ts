/**
 * Pure parsers of GPU tool output: nvidia-smi CSV, amd-smi static JSON, rocm-smi product JSON.
 * Each returns GPUs with the fields discovery reports; malformed input throws a GpuParseError
 * naming the tool and the line or key.
 */
import type { GpuInfo } from "@benchfleet/shared";

export type Vendor = "nvidia" | "amd";

export interface ParsedGpu extends GpuInfo {
  vendor: Vendor;
  /** AMD gfx target (gfx942, gfx950) where the tool reports it */
  gfxVersion?: string;
  driver?: string;
}

export class GpuParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuParseError";
  }
}

/** The query the parser below expects, in this column order. */
export const NVIDIA_QUERY_FIELDS = [
  "index",
  "name",
  "uuid",
  "memory.total",
  "driver_version",
  "pci.bus_id",
  "power.limit",
  "clocks.max.sm",
] as const;
export const NVIDIA_QUERY_ARGS = [`--query-gpu=${NVIDIA_QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"];

/** `[N/A]`, `N/A`, `[Not Supported]`, `` → undefined; else a number (throws on garbage). */
export function smiNumber(raw: string, what: string): number | undefined {
  const v = raw.trim();
  if (v === "" || /^\[?(n\/a|not supported|unknown error|insufficient permissions)\]?$/i.test(v)) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new GpuParseError(`${what}: "${raw}" is not a number`);
  return n;
}

/** Splits one nvidia-smi CSV line (", " separated; names never contain commas). */
export function splitSmiCsv(line: string): string[] {
  return line.split(",").map((s) => s.trim());
}

export function parseNvidiaSmiQuery(text: string): ParsedGpu[] {
  const gpus: ParsedGpu[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const cols = splitSmiCsv(line);
    const where = `nvidia-smi line ${i + 1}`;
    if (cols.length !== NVIDIA_QUERY_FIELDS.length) {
      throw new GpuParseError(
        `${where}: expected ${NVIDIA_QUERY_FIELDS.length} columns (${NVIDIA_QUERY_FIELDS.join(",")}), got ${cols.length}: "${line}"`,
      );
    }
    const [index, name, uuid, mem, driver, bus, plimit, maxClock] = cols;
    const idx = smiNumber(index, `${where} index`);
    if (idx === undefined || !Number.isInteger(idx))
      throw new GpuParseError(`${where}: index "${index}" is not an integer`);
    const gpu: ParsedGpu = {
      vendor: "nvidia",
      index: idx,
      name,
      memoryMiB: smiNumber(mem, `${where} memory.total`) ?? 0,
    };
    if (uuid && !/^\[?n\/a\]?$/i.test(uuid)) gpu.uuid = uuid;
    if (bus) gpu.busId = bus;
    const pl = smiNumber(plimit, `${where} power.limit`);
    if (pl !== undefined) gpu.powerLimitW = pl;
    const mc = smiNumber(maxClock, `${where} clocks.max.sm`);
    if (mc !== undefined) gpu.maxSmClockMHz = mc;
    if (driver) gpu.driver = driver;
    gpus.push(gpu);
  });
  return gpus;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** amd-smi prints values either bare or as `{ "value": 192, "unit": "GB" }`; converts sizes to MiB. */
function amdSize(v: unknown, defaultUnit: string): number | undefined {
  let value: unknown = v;
  let unit = defaultUnit;
  if (isObj(v)) {
    value = v.value;
    if (typeof v.unit === "string") unit = v.unit;
  }
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  switch (unit.toUpperCase()) {
    case "GB":
    case "GIB":
      return n * 1024;
    case "KB":
    case "KIB":
      return n / 1024;
    case "B":
      return n / 1048576;
    default:
      // amd-smi's "MB" is 2^20 bytes (196592 MB on an MI300X = 192 GiB)
      return n;
  }
}

function amdNumber(v: unknown): number | undefined {
  const x = isObj(v) ? v.value : v;
  const n = typeof x === "number" ? x : typeof x === "string" ? Number.parseFloat(x) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `amd-smi static --json`: an array of per-GPU objects (ROCm 6.0–6.2) or `{ "gpu_data": [...] }`
 * (later releases). Identity from `asic.market_name` / `asic.target_graphics_version`, memory from
 * `vram.size`. The exact nesting is not pinned by AMD's docs, so missing keys are tolerated and
 * only a missing GPU index or name is an error.
 */
export function parseAmdSmiStatic(text: string): ParsedGpu[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new GpuParseError(`amd-smi static --json: not valid JSON (${(e as Error).message})`);
  }
  const list = Array.isArray(data) ? data : isObj(data) && Array.isArray(data.gpu_data) ? data.gpu_data : undefined;
  if (!list) throw new GpuParseError("amd-smi static --json: expected an array of GPUs or { gpu_data: [...] }");
  return list.map((entry, i) => {
    if (!isObj(entry)) throw new GpuParseError(`amd-smi static --json: entry ${i} is not an object`);
    const asic = isObj(entry.asic) ? entry.asic : {};
    const vram = isObj(entry.vram) ? entry.vram : {};
    const bus = isObj(entry.bus) ? entry.bus : {};
    const driver = isObj(entry.driver) ? entry.driver : {};
    const limit = isObj(entry.limit) ? entry.limit : {};
    const board = isObj(entry.board) ? entry.board : {};
    const index = amdNumber(entry.gpu);
    if (index === undefined) throw new GpuParseError(`amd-smi static --json: entry ${i} has no "gpu" index`);
    const name =
      (typeof asic.market_name === "string" && asic.market_name) ||
      (typeof board.product_name === "string" && board.product_name) ||
      "";
    if (!name) throw new GpuParseError(`amd-smi static --json: gpu ${index} has no asic.market_name`);
    const gpu: ParsedGpu = { vendor: "amd", index, name, memoryMiB: amdSize(vram.size, "MB") ?? 0 };
    if (typeof asic.target_graphics_version === "string") gpu.gfxVersion = asic.target_graphics_version;
    if (typeof bus.bdf === "string") gpu.busId = bus.bdf;
    if (typeof asic.asic_serial === "string") gpu.uuid = asic.asic_serial;
    if (typeof driver.version === "string") gpu.driver = driver.version;
    const maxPower = amdNumber(limit.max_power) ?? amdNumber(limit.ppt0_max_power);
    if (maxPower !== undefined) gpu.powerLimitW = maxPower;
    return gpu;
  });
}

/**
 * `rocm-smi --showproductname --json`: `{ "card0": { "Card Series": "AMD Instinct MI300X", "GFX Version": "gfx942", ... } }`.
 * Memory is not part of this output (pass `vramMiB` from `--showmeminfo vram` where read).
 */
export function parseRocmSmiProduct(text: string, vramMiB: Record<number, number> = {}): ParsedGpu[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new GpuParseError(`rocm-smi --showproductname --json: not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(data)) throw new GpuParseError("rocm-smi --showproductname --json: expected an object keyed by card");
  const gpus: ParsedGpu[] = [];
  for (const [key, value] of Object.entries(data)) {
    const m = /^card(\d+)$/.exec(key);
    if (!m) continue; // "system" and other keys
    if (!isObj(value)) throw new GpuParseError(`rocm-smi: ${key} is not an object`);
    const index = Number(m[1]);
    const series = typeof value["Card Series"] === "string" ? value["Card Series"] : "";
    const model = typeof value["Card Model"] === "string" ? value["Card Model"] : "";
    const name = series || model;
    if (!name) throw new GpuParseError(`rocm-smi: ${key} has no "Card Series"`);
    const gpu: ParsedGpu = { vendor: "amd", index, name, memoryMiB: vramMiB[index] ?? 0 };
    const gfx = value["GFX Version"];
    if (typeof gfx === "string") gpu.gfxVersion = gfx;
    gpus.push(gpu);
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/** `rocm-smi --showmeminfo vram --json`: `{ "card0": { "VRAM Total Memory (B)": "205822885888", ... } }` → MiB per card. */
export function parseRocmSmiVram(text: string): Record<number, number> {
  const out: Record<number, number> = {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return out;
  }
  if (!isObj(data)) return out;
  for (const [key, value] of Object.entries(data)) {
    const m = /^card(\d+)$/.exec(key);
    if (!m || !isObj(value)) continue;
    const total = Number(value["VRAM Total Memory (B)"]);
    if (Number.isFinite(total)) out[Number(m[1])] = Math.round(total / 1048576);
  }
  return out;
}
