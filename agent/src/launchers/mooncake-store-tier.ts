/**
 * The host-DRAM share of a Mooncake store a vLLM worker adds, read from the store config its launch
 * writes (MOONCAKE_CONFIG_PATH, one of the process's files), as vLLM reads it
 * (vllm/distributed/mooncake_store.py MooncakeStoreConfig.from_file): in `embedded` mode (the
 * default) every rank contributes `global_segment_size` (default 4 GiB; a byte count, or a size
 * with GB/MB/KB/B units, 1024-based) to the store; in `standalone-store` mode the ranks contribute
 * nothing and the pool is an external client's. The store is shared by every worker that joins
 * it; the emulated engine standing in for one worker gets that worker's contribution as its tier.
 * A config the launch does not carry (written by someone else) is the store's business: `external`.
 * Pure.
 */
import type { ProcessSpec } from "@benchfleet/shared";
import type { DramTier } from "./launch-kv-cache.js";

const GIB = 2 ** 30;
const UNITS: Record<string, number> = { gb: GIB, mb: 2 ** 20, kb: 2 ** 10, b: 1 };

/** `setting` names the connector; `fail` builds the error naming the process */
export function mooncakeStoreTier(
  spec: Pick<ProcessSpec, "env" | "files">,
  ranks: number,
  setting: string,
  fail: (message: string) => Error,
): DramTier {
  const path = spec.env.MOONCAKE_CONFIG_PATH;
  const file = path === undefined ? undefined : spec.files.find((f) => f.path === path);
  if (!file) return { kind: "external", setting };
  let config: unknown;
  try {
    config = JSON.parse(file.content);
  } catch (err) {
    throw fail(`MOONCAKE_CONFIG_PATH ${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config))
    throw fail(`MOONCAKE_CONFIG_PATH ${path} is not a JSON object`);
  const c = config as Record<string, unknown>;
  const mode = c.mode ?? "embedded";
  if (mode === "standalone-store") return { kind: "external", setting: `${setting} (standalone-store)` };
  if (mode !== "embedded") throw fail(`${path} mode ${JSON.stringify(mode)}: expected embedded or standalone-store`);
  const raw = c.global_segment_size ?? 4 * GIB;
  const bytes = parseSize(raw);
  if (bytes === undefined || bytes <= 0)
    throw fail(`${path} global_segment_size ${JSON.stringify(raw)} is not a size (a byte count, or N with GB/MB/KB/B)`);
  return {
    kind: "gb",
    gb: (bytes * ranks) / 1e9,
    setting: `${setting} global_segment_size ${JSON.stringify(raw)} (per rank, ${path}) × ${ranks} ranks`,
  };
}

/** vLLM's _parse_size; undefined for what it rejects */
function parseSize(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v !== "string") return undefined;
  const m = /^\s*([\d.]+)\s*(gb|mb|kb|b)?\s*$/.exec(v.trim().toLowerCase());
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isFinite(n) ? Math.trunc(n * UNITS[m[2] ?? "b"]!) : undefined;
}
