/**
 * `backend.kv_events_config` as srtctl renders it (pure; backends/sglang.py and backends/vllm.py
 * get_kv_events_config_for_mode, the same from v1.0.45 to main): `true` turns KV-event publishing
 * on for prefill and decode workers (not aggregated ones); a mapping turns it on per mode
 * (`prefill`, `decode`, `aggregated`), a mode's mapping merged over the defaults. The defaults are
 * `{"publisher": "zmq", "topic": "kv-events"}`, and vLLM's add `"enable_kv_cache_events": true`.
 * Each worker process gets `--kv-events-config` with `"endpoint": "tcp://*:<port>"` added, written
 * by Python's json.dumps.
 *
 * srtctl hands out one port per process from a global counter (5200+), and a vLLM process launched
 * per node for a data-parallel role a block of one port per GPU of the node, one ZMQ publisher per
 * local DP rank. Here the port is the process's worker slot's `kvEvents` (ports.ts): unique on its
 * node within the attempt's block, and a block of `KV_EVENTS_PORTS_PER_SLOT` from it.
 */
import { RecipeError } from "@benchfleet/shared";
import { pyJsonDumps } from "./render-config.js";
import type { Mode } from "./srt-process.js";

/** ports from a slot's `kvEvents` before its dist-init port (ports.ts: slot base + 4 .. + 7) */
const KV_EVENTS_PORTS_PER_SLOT = 4;

type KvEvents = boolean | Record<string, unknown> | null | undefined;

/** The role's kv-events payload without its endpoint, or undefined when publishing is off for it. */
export function kvEventsFor(kv: KvEvents, mode: Mode, backend: "sglang" | "vllm"): Record<string, unknown> | undefined {
  if (!kv) return undefined;
  const defaults: Record<string, unknown> = { publisher: "zmq", topic: "kv-events" };
  if (backend === "vllm") defaults.enable_kv_cache_events = true;
  if (kv === true) return mode === "agg" ? undefined : defaults;
  const m = kv[mode === "agg" ? "aggregated" : mode];
  if (m === true) return defaults;
  if (m && typeof m === "object" && !Array.isArray(m)) return { ...defaults, ...(m as Record<string, unknown>) };
  return undefined;
}

/**
 * `--kv-events-config JSON` for a process publishing from `port` (and, for `publishers` local DP
 * ranks, the ports after it), and those ports by name for the process record; nothing when
 * publishing is off for the role.
 */
export function kvEventsLaunch(
  payload: Record<string, unknown> | undefined,
  port: number,
  publishers = 1,
  where = "backend.kv_events_config",
): { args: string[]; ports: Record<string, number> } {
  if (!payload) return { args: [], ports: {} };
  if (publishers > KV_EVENTS_PORTS_PER_SLOT)
    throw new RecipeError(
      `${where}: ${publishers} local data-parallel ranks publish KV events on ${publishers} consecutive ports; a worker slot holds ${KV_EVENTS_PORTS_PER_SLOT}`,
    );
  const cfg = { ...payload };
  cfg.endpoint = `tcp://*:${port}`;
  const ports: Record<string, number> = {};
  for (let i = 0; i < publishers; i++) ports[i ? `kvEvents${i}` : "kvEvents"] = port + i;
  return { args: ["--kv-events-config", pyJsonDumps(cfg)], ports };
}
