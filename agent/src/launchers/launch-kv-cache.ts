/**
 * The KV cache an engine process's launch sets up, read from its argv, environment and config
 * files as the engine reads them, so that the emulated engine standing in for it has the same
 * prefix cache and host-DRAM tier (and its hit rate and TTFT follow the launch, e.g. an srt-slurm
 * recipe's engine flags). Sizes are of the whole worker, whose `ranks` GPUs the emulated engine
 * stands for:
 *
 * - SGLang (`sglang.launch_server`, `sglang serve`, `dynamo.sglang`): the radix cache unless
 *   `--disable-radix-cache`; HiCache with `--enable-hierarchical-cache`: each rank's host pool is
 *   `--hicache-size` GB (decimal) when above 0, else `--hicache-ratio` (default 2) × its device pool.
 * - vLLM (`vllm serve`, `dynamo.vllm`): prefix caching unless `--no-enable-prefix-caching`;
 *   `--kv-offloading-size` GiB summed over the ranks; `--kv-transfer-config` connectors
 *   OffloadingConnector / SimpleCPUOffloadConnector with `cpu_bytes_to_use` (all ranks) or
 *   `cpu_bytes_to_use_per_rank`, LMCache with `LMCACHE_MAX_LOCAL_CPU_SIZE` GB per rank, any of
 *   them inside a MultiConnector. A Mooncake store: what the worker's ranks contribute to it, read
 *   from the store config the launch writes (mooncake-store-tier.ts), else (and for LMCache without a
 *   local CPU size) the KV is held outside the process: `external`.
 * - TensorRT-LLM (`dynamo.trtllm`, `trtllm-serve`): the YAML given by `--extra-engine-args` /
 *   `--extra-llm-api-options` / `--config` (either spelling; one of the process's files): block reuse unless
 *   `kv_cache_config.enable_block_reuse: false`; `kv_cache_config.host_cache_size` bytes per rank.
 *
 * Pure: bad settings come back as an error naming the process and the setting.
 */
import type { ProcessSpec } from "@benchfleet/shared";
import { parse as parseYaml } from "yaml";
import { engineArgv, flagValue } from "./engine-argv.js";
import { mooncakeStoreTier } from "./mooncake-store-tier.js";

export type DramTier =
  /** the launch keeps no KV in host DRAM */
  | { kind: "none" }
  /** the worker's host tier in GB (decimal) */
  | { kind: "gb"; gb: number; setting: string }
  /** the worker's host tier as a multiple of its GPU KV pool */
  | { kind: "ratio"; ratio: number; setting: string }
  /** KV offloaded to a store outside the process (its size is the store's) */
  | { kind: "external"; setting: string };

export interface LaunchKvCache {
  engine: "sglang" | "vllm" | "trtllm";
  /** the engine's prefix cache is on */
  prefixCache: boolean;
  dram: DramTier;
}

export class LaunchKvCacheError extends Error {}

const GIB = 2 ** 30;

function engineOf(argv: string[]): LaunchKvCache["engine"] | undefined {
  // python modules run with `-m` (after launchers such as `numactl -m 0,1 trtllm-llmapi-launch`), or a serve command
  const mods = new Set(argv.flatMap((a, i) => (a === "-m" && i + 1 < argv.length ? [argv[i + 1]!] : [])));
  const serve = (cmd: string) => argv.some((a, i) => a === cmd && argv[i + 1] === "serve");
  if (mods.has("sglang.launch_server") || mods.has("dynamo.sglang") || serve("sglang")) return "sglang";
  if (mods.has("dynamo.vllm") || serve("vllm")) return "vllm";
  if (mods.has("dynamo.trtllm") || argv.includes("trtllm-serve")) return "trtllm";
  return undefined;
}

/** `--a-b` and `--a_b` spellings of a flag */
const spellings = (name: string) => [`--${name}`, `--${name.replace(/-/g, "_")}`];
const present = (argv: string[], name: string) =>
  argv.some((a) => spellings(name).some((s) => a === s || a.startsWith(`${s}=`)));

/**
 * What `spec`'s launch sets; undefined for a process that is no engine (a router, infra, a
 * frontend). `ranks`: the worker's GPUs, over which per-rank sizes add up.
 */
export function launchKvCache(spec: Pick<ProcessSpec, "name" | "argv" | "env" | "files">, ranks: number) {
  const argv = engineArgv(spec.argv);
  const engine = engineOf(argv);
  if (!engine) return undefined;
  const where = `process ${spec.name}`;
  const number = (name: string, min: number): number | undefined => {
    const v = flagValue(argv, spellings(name));
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min)
      throw new LaunchKvCacheError(`${where}: --${name} ${v} is not a number ≥ ${min}`);
    return n;
  };
  if (engine === "sglang") {
    const prefixCache = !present(argv, "disable-radix-cache");
    if (!present(argv, "enable-hierarchical-cache")) return { engine, prefixCache, dram: { kind: "none" } } as const;
    const size = number("hicache-size", 0) ?? 0;
    const dram: DramTier =
      size > 0
        ? { kind: "gb", gb: size * ranks, setting: `--hicache-size ${size} (GB per rank) × ${ranks} ranks` }
        : {
            kind: "ratio",
            ratio: number("hicache-ratio", 0) ?? 2,
            setting: `--hicache-ratio ${number("hicache-ratio", 0) ?? "2 (default)"}`,
          };
    return { engine, prefixCache, dram } satisfies LaunchKvCache;
  }
  if (engine === "vllm") {
    const prefixCache = !present(argv, "no-enable-prefix-caching");
    const size = number("kv-offloading-size", 0);
    if (size !== undefined && size > 0)
      return {
        engine,
        prefixCache,
        dram: { kind: "gb", gb: (size * GIB) / 1e9, setting: `--kv-offloading-size ${size} (GiB, all ranks)` },
      } satisfies LaunchKvCache;
    const raw = flagValue(argv, spellings("kv-transfer-config"));
    let config: unknown;
    if (raw !== undefined) {
      try {
        config = JSON.parse(raw);
      } catch (err) {
        throw new LaunchKvCacheError(`${where}: --kv-transfer-config is not JSON: ${(err as Error).message}`);
      }
    }
    return { engine, prefixCache, dram: connectorTier(config, spec, ranks, where) } satisfies LaunchKvCache;
  }
  return trtllm(spec, argv, ranks, where);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** the host tier of a vLLM KV connector config (MultiConnector: the sum of its connectors') */
function connectorTier(
  config: unknown,
  spec: Pick<ProcessSpec, "env" | "files">,
  ranks: number,
  where: string,
): DramTier {
  const env = spec.env;
  if (!isObject(config)) return { kind: "none" };
  const name = String(config.kv_connector ?? "");
  const extra = isObject(config.kv_connector_extra_config) ? config.kv_connector_extra_config : {};
  if (name === "MultiConnector") {
    const tiers = (Array.isArray(extra.connectors) ? extra.connectors : []).map((c) =>
      connectorTier(c, spec, ranks, where),
    );
    const external = tiers.find((t) => t.kind === "external");
    const gb = tiers.filter((t): t is Extract<DramTier, { kind: "gb" }> => t.kind === "gb");
    if (gb.length)
      return { kind: "gb", gb: gb.reduce((a, t) => a + t.gb, 0), setting: gb.map((t) => t.setting).join(" + ") };
    return external ?? { kind: "none" };
  }
  const bytes = (key: string): number | undefined => {
    const v = extra[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0)
      throw new LaunchKvCacheError(`${where}: ${name} ${key} ${JSON.stringify(v)} is not a byte count`);
    return n;
  };
  if (name === "OffloadingConnector" || name === "SimpleCPUOffloadConnector") {
    const total = bytes("cpu_bytes_to_use");
    if (total !== undefined) return { kind: "gb", gb: total / 1e9, setting: `${name} cpu_bytes_to_use ${total}` };
    const perRank = bytes("cpu_bytes_to_use_per_rank");
    if (perRank !== undefined)
      return {
        kind: "gb",
        gb: (perRank * ranks) / 1e9,
        setting: `${name} cpu_bytes_to_use_per_rank ${perRank} × ${ranks} ranks`,
      };
    throw new LaunchKvCacheError(`${where}: ${name} without cpu_bytes_to_use or cpu_bytes_to_use_per_rank`);
  }
  if (/^LMCache/.test(name)) {
    const v = env.LMCACHE_MAX_LOCAL_CPU_SIZE;
    if (v === undefined) return { kind: "external", setting: `${name} (no LMCACHE_MAX_LOCAL_CPU_SIZE)` };
    const gb = Number(v);
    if (!Number.isFinite(gb) || gb < 0)
      throw new LaunchKvCacheError(`${where}: LMCACHE_MAX_LOCAL_CPU_SIZE=${v} is not a size in GB`);
    return { kind: "gb", gb: gb * ranks, setting: `LMCACHE_MAX_LOCAL_CPU_SIZE ${v} (GB per rank) × ${ranks} ranks` };
  }
  if (/Mooncake.*Store|MooncakeStore/.test(name))
    return mooncakeStoreTier(spec, ranks, name, (m) => new LaunchKvCacheError(`${where}: ${m}`));
  return { kind: "none" };
}

function trtllm(spec: Pick<ProcessSpec, "files">, argv: string[], ranks: number, where: string): LaunchKvCache {
  const path = flagValue(argv, ["extra-engine-args", "extra-llm-api-options", "config"].flatMap(spellings));
  if (path === undefined) return { engine: "trtllm", prefixCache: true, dram: { kind: "none" } };
  const file = spec.files.find((f) => f.path === path || path.endsWith(`/${f.path}`) || f.path.endsWith(`/${path}`));
  if (!file) throw new LaunchKvCacheError(`${where}: its engine config ${path} is none of the process's files`);
  let config: unknown;
  try {
    config = parseYaml(file.content);
  } catch (err) {
    throw new LaunchKvCacheError(`${where}: ${path} is not YAML: ${(err as Error).message}`);
  }
  const kv = isObject(config) && isObject(config.kv_cache_config) ? config.kv_cache_config : {};
  const prefixCache = kv.enable_block_reuse !== false;
  const size = kv.host_cache_size;
  if (size === undefined || size === 0) return { engine: "trtllm", prefixCache, dram: { kind: "none" } };
  if (typeof size !== "number" || !Number.isFinite(size) || size < 0)
    throw new LaunchKvCacheError(
      `${where}: ${path} kv_cache_config.host_cache_size ${JSON.stringify(size)} is not a byte count`,
    );
  return {
    engine: "trtllm",
    prefixCache,
    dram: {
      kind: "gb",
      gb: (size * ranks) / 1e9,
      setting: `kv_cache_config.host_cache_size ${size} (bytes per rank) × ${ranks} ranks`,
    },
  };
}
