/**
 * Pure parsers of AMD GPU health facts for preflight, from `amd-smi … --json`:
 *  - `amd-smi process --json`: `[{ gpu, process_list: [{ process_info: {name, pid, mem_usage…} | "No running processes detected" }] }]`;
 *  - `amd-smi metric --ecc --json`: `{ gpu_data: [{ gpu, ecc: { total_uncorrectable_count, total_deferred_count, … } }] }`
 *    (older releases print the list without the `gpu_data` wrapper).
 * Unknown shapes fail closed: an unrecognised `process_info` string counts as a process, a GPU
 * entry that cannot be read is an error naming what was expected.
 */
import type { GpuErrorState, GpuProcess } from "./gpu-health.js";

export const AMD_PROCESS_ARGS = ["process", "--json"];
export const AMD_ECC_ARGS = ["metric", "--ecc", "--json"];

export class AmdSmiParseError extends Error {
  override name = "AmdSmiParseError";
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** the per-GPU entries of an amd-smi JSON document (a list, or `{gpu_data: [...]}`) */
function gpuEntries(doc: unknown, what: string): Record<string, unknown>[] {
  const list = Array.isArray(doc) ? doc : isObj(doc) && Array.isArray(doc.gpu_data) ? doc.gpu_data : undefined;
  if (!list) throw new AmdSmiParseError(`${what}: expected a list of GPUs (or {"gpu_data": [...]})`);
  return list.map((e, i) => {
    if (!isObj(e)) throw new AmdSmiParseError(`${what}: GPU entry ${i} is not an object`);
    return e;
  });
}

/** `{value, unit}` or a bare number, in bytes → MiB */
function mib(v: unknown): number | undefined {
  const o = isObj(v) ? v : { value: v, unit: "B" };
  const n = typeof o.value === "number" ? o.value : Number(o.value);
  if (!Number.isFinite(n)) return undefined;
  const unit = String(o.unit ?? "B").toUpperCase();
  const scale: Record<string, number> = {
    B: 2 ** -20,
    KB: 2 ** -10,
    KIB: 2 ** -10,
    MB: 1,
    MIB: 1,
    GB: 2 ** 10,
    GIB: 2 ** 10,
  };
  return scale[unit] === undefined ? undefined : Math.round(n * scale[unit]);
}

export function parseAmdProcesses(doc: unknown): GpuProcess[] {
  const out: GpuProcess[] = [];
  for (const g of gpuEntries(doc, "amd-smi process")) {
    const list = g.process_list;
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw new AmdSmiParseError(`amd-smi process: GPU ${String(g.gpu)}: process_list is not a list`);
    for (const item of list) {
      const info = isObj(item) ? item.process_info : undefined;
      if (typeof info === "string") {
        if (/no running processes/i.test(info)) continue;
        out.push({
          pid: -1,
          name: `(amd-smi: "${info.slice(0, 80)}")`,
          usedMiB: undefined,
          busId: `gpu ${String(g.gpu)}`,
        });
        continue;
      }
      if (!isObj(info)) continue;
      const pid = Number(info.pid);
      const memUsage = isObj(info.memory_usage) ? info.memory_usage.vram_mem : undefined;
      out.push({
        pid: Number.isInteger(pid) ? pid : -1,
        name: typeof info.name === "string" && info.name.trim() ? info.name.trim() : "(unnamed)",
        usedMiB: mib(info.mem_usage ?? memUsage ?? info.mem),
        busId: `gpu ${String(g.gpu)}`,
      });
    }
  }
  return out;
}

export function parseAmdEcc(doc: unknown): GpuErrorState[] {
  return gpuEntries(doc, "amd-smi metric --ecc").map((g) => {
    const index = Number(g.gpu);
    if (!Number.isInteger(index)) throw new AmdSmiParseError(`amd-smi metric --ecc: GPU entry without a "gpu" index`);
    const ecc = isObj(g.ecc) ? g.ecc : undefined;
    const count = (k: string) => {
      const v = ecc?.[k];
      return typeof v === "number" ? v : undefined;
    };
    const uncorrectable = count("total_uncorrectable_count");
    const deferred = count("total_deferred_count");
    return {
      index,
      // deferred errors are uncorrectable errors the hardware poisoned instead of raising at once
      eccUncorrectedVolatile:
        uncorrectable === undefined && deferred === undefined ? undefined : (uncorrectable ?? 0) + (deferred ?? 0),
      retiredPagesPending: false,
      remappedRowsPending: false,
      remappedRowsFailure: false,
    };
  });
}
