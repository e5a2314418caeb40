/**
 * The KV cache a launch sets up, as each engine sizes it: SGLang HiCache (per-rank GB, or a ratio
 * of the device pool), vLLM offloading (GiB over all ranks, connectors' byte counts, LMCache per
 * rank, a store outside the process), TensorRT-LLM's host cache from its engine-config file; argv
 * inside a `bash -c '… && exec …'` preamble; and how the emulated engine's arguments follow them.
 */
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { emulateArgs, emulatedRole, flagValue } from "./emulated-args.js";
import { engineArgv, shellWords } from "./engine-argv.js";
import { launchKvCache } from "./launch-kv-cache.js";

const sglang = (...flags: string[]) => ["python3", "-m", "dynamo.sglang", "--model-path", "m", ...flags];
const vllm = (...flags: string[]) => ["vllm", "serve", "m", ...flags];
const spec = (
  argv: string[],
  over: { env?: Record<string, string>; files?: { path: string; content: string }[] } = {},
) => processSpec({ name: "prefill-0-rank0", role: "prefill", argv, ports: { http: 30000 }, ...over });

describe("engine argv", () => {
  it("splits a shell command as the shell does and finds the command a wrapper execs", () => {
    expect(shellWords(`a 'b c' "d \\"e\\"" f\\ g 'it'\\''s'`)).toEqual(["a", "b c", 'd "e"', "f g", "it's"]);
    expect(() => shellWords("a 'b")).toThrow(/unterminated '/);
    const script = `echo 'exec nothing' && pip install x && exec python3 -m dynamo.sglang --served-model-name 'a b' --hicache-size 4`;
    expect(engineArgv(["bash", "-c", script])).toEqual([
      "python3",
      "-m",
      "dynamo.sglang",
      "--served-model-name",
      "a b",
      "--hicache-size",
      "4",
    ]);
    // not a wrapper: unchanged
    expect(engineArgv(["vllm", "serve", "m"])).toEqual(["vllm", "serve", "m"]);
    expect(engineArgv(["bash", "-c", "echo hi"])).toEqual(["bash", "-c", "echo hi"]);
  });

  it("a worker's later ranks that serve nothing stand in as headless, wrapped or not", () => {
    const rank = (name: string, argv: string[], ports: Record<string, number> = {}) =>
      processSpec({ name, role: "prefill", argv, ports });
    const wrapped = ["bash", "-c", "pip install x && exec python3 -m dynamo.vllm --model m --headless"];
    expect(emulatedRole(rank("prefill-0-rank1", wrapped, { http: 30001 }))).toBe("headless");
    const mpi = ["trtllm-llmapi-launch", "python3", "-m", "dynamo.trtllm", "--model-path", "m"];
    expect(emulatedRole(rank("prefill-0-rank1", mpi))).toBe("headless");
    // rank 0 serves; a later rank with a port of its own is an engine
    expect(emulatedRole(rank("prefill-0-rank0", mpi, { http: 30000 }))).toBe("prefill");
    expect(emulatedRole(rank("prefill-0-rank1", sglang("--port", "30001"), { http: 30001 }))).toBe("prefill");
  });
});

describe("the KV cache a launch sets up", () => {
  it("SGLang HiCache: --hicache-size GB per rank, else --hicache-ratio of the device pool", () => {
    expect(launchKvCache(spec(sglang("--enable-hierarchical-cache", "--hicache-size", "4")), 4)).toEqual({
      engine: "sglang",
      prefixCache: true,
      dram: { kind: "gb", gb: 16, setting: "--hicache-size 4 (GB per rank) × 4 ranks" },
    });
    expect(launchKvCache(spec(sglang("--enable-hierarchical-cache", "--hicache-ratio", "0.9")), 4)?.dram).toEqual({
      kind: "ratio",
      ratio: 0.9,
      setting: "--hicache-ratio 0.9",
    });
    // a size of 0 leaves the ratio in force; neither: SGLang's default ratio 2
    expect(
      launchKvCache(spec(sglang("--enable-hierarchical-cache", "--hicache-size=0", "--hicache-ratio=1.5")), 2)?.dram,
    ).toMatchObject({ kind: "ratio", ratio: 1.5 });
    expect(launchKvCache(spec(sglang("--enable-hierarchical-cache")), 8)?.dram).toMatchObject({
      kind: "ratio",
      ratio: 2,
    });
    // HiCache sizes without --enable-hierarchical-cache set nothing; a disabled radix cache caches nothing
    expect(launchKvCache(spec(sglang("--hicache-size", "4", "--disable-radix-cache")), 4)).toEqual({
      engine: "sglang",
      prefixCache: false,
      dram: { kind: "none" },
    });
    expect(() => launchKvCache(spec(sglang("--enable-hierarchical-cache", "--hicache-size", "x")), 4)).toThrow(
      "process prefill-0-rank0: --hicache-size x is not a number ≥ 0",
    );
  });

  it("reads the engine's flags inside srtctl's preamble", () => {
    const script = `bash /configs/setup.sh && exec python3 -m dynamo.sglang --model-path m --enable-hierarchical-cache --hicache-size 4 --page-size 64`;
    expect(launchKvCache(spec(["bash", "-c", script]), 4)?.dram).toMatchObject({ kind: "gb", gb: 16 });
  });

  it("vLLM: --kv-offloading-size GiB over all ranks, and the offload connectors' sizes", () => {
    expect(launchKvCache(spec(vllm("--kv_offloading_backend", "native", "--kv_offloading_size", "100")), 8)).toEqual({
      engine: "vllm",
      prefixCache: true,
      dram: { kind: "gb", gb: 107.3741824, setting: "--kv-offloading-size 100 (GiB, all ranks)" },
    });
    const connector = (c: unknown) => vllm("--kv-transfer-config", JSON.stringify(c));
    const simple = {
      kv_connector: "SimpleCPUOffloadConnector",
      kv_role: "kv_both",
      kv_connector_extra_config: { cpu_bytes_to_use_per_rank: 137438953472, lazy_offload: false },
    };
    expect(launchKvCache(spec(connector(simple)), 4)?.dram).toMatchObject({ kind: "gb", gb: 549.755813888 });
    // the total wins over the per-rank figure where a config gives both
    const both = {
      ...simple,
      kv_connector_extra_config: { cpu_bytes_to_use: 549755813888, cpu_bytes_to_use_per_rank: 1 },
    };
    expect(launchKvCache(spec(connector(both)), 4)?.dram).toMatchObject({ kind: "gb", gb: 549.755813888 });
    const offloading = { kv_connector: "OffloadingConnector", kv_connector_extra_config: { cpu_bytes_to_use: 8e9 } };
    const multi = {
      kv_connector: "MultiConnector",
      kv_connector_extra_config: { connectors: [{ kv_connector: "NixlConnector", kv_role: "kv_both" }, offloading] },
    };
    expect(launchKvCache(spec(connector(multi)), 4)?.dram).toMatchObject({ kind: "gb", gb: 8 });
    // P2P transfer alone offloads nothing; prefix caching off
    expect(
      launchKvCache(spec(connector({ kv_connector: "NixlConnector" }).concat("--no-enable-prefix-caching")), 4),
    ).toEqual({ engine: "vllm", prefixCache: false, dram: { kind: "none" } });
  });

  it("vLLM: LMCache's local CPU size per rank; a Mooncake store is outside the process", () => {
    const lmcache = vllm("--kv-transfer-config", '{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}');
    expect(launchKvCache(spec(lmcache, { env: { LMCACHE_MAX_LOCAL_CPU_SIZE: "20" } }), 2)?.dram).toMatchObject({
      kind: "gb",
      gb: 40,
    });
    expect(launchKvCache(spec(lmcache), 2)?.dram.kind).toBe("external");
    const mooncake = vllm("--kv-transfer-config", '{"kv_connector":"MooncakeStoreConnector","kv_role":"kv_both"}');
    expect(launchKvCache(spec(mooncake), 2)?.dram).toEqual({ kind: "external", setting: "MooncakeStoreConnector" });
    expect(() => launchKvCache(spec(vllm("--kv-transfer-config", "{oops")), 2)).toThrow(
      /^process prefill-0-rank0: --kv-transfer-config is not JSON/,
    );
    expect(() =>
      launchKvCache(spec(vllm("--kv-transfer-config", '{"kv_connector":"OffloadingConnector"}')), 2),
    ).toThrow("process prefill-0-rank0: OffloadingConnector without cpu_bytes_to_use or cpu_bytes_to_use_per_rank");
  });

  it("TensorRT-LLM: kv_cache_config.host_cache_size bytes per rank from its engine-config file", () => {
    // as srtctl starts a worker on GB200: under numactl and the MPI launcher
    const argv = [
      ...["numactl", "-m", "0,1", "trtllm-llmapi-launch", "python3", "-m", "dynamo.trtllm", "--model-path", "m"],
      ...["--extra-engine-args", "srt/trtllm_config_prefill.yaml"],
    ];
    const file = (content: string) => ({ files: [{ path: "srt/trtllm_config_prefill.yaml", content }] });
    expect(
      launchKvCache(
        spec(argv, file("kv_cache_config:\n  host_cache_size: 137438953472\n  free_gpu_memory_fraction: 0.8\n")),
        4,
      ),
    ).toEqual({
      engine: "trtllm",
      prefixCache: true,
      dram: {
        kind: "gb",
        gb: 549.755813888,
        setting: "kv_cache_config.host_cache_size 137438953472 (bytes per rank) × 4 ranks",
      },
    });
    expect(
      launchKvCache(spec(argv, file("kv_cache_config:\n  host_cache_size: 0\n  enable_block_reuse: false\n")), 4),
    ).toEqual({ engine: "trtllm", prefixCache: false, dram: { kind: "none" } });
    expect(() => launchKvCache(spec(argv), 4)).toThrow(
      "process prefill-0-rank0: its engine config srt/trtllm_config_prefill.yaml is none of the process's files",
    );
    expect(() => launchKvCache(spec(argv, file("kv_cache_config:\n  host_cache_size: lots\n")), 4)).toThrow(
      'process prefill-0-rank0: srt/trtllm_config_prefill.yaml kv_cache_config.host_cache_size "lots" is not a byte count',
    );
  });

  it("is undefined for processes that are no engine", () => {
    expect(launchKvCache(spec(["python3", "-m", "dynamo.frontend", "--http-port=8000"]), 1)).toBeUndefined();
    expect(launchKvCache(spec(["nginx", "-c", "nginx/nginx.conf"]), 1)).toBeUndefined();
  });
});

describe("the emulated engine's cache follows the launch", () => {
  const agentic = (d: Deployment, dramOffloadGb: number): Deployment => ({
    ...d,
    scenario: "agentic-coding",
    agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "hicache" }, dramOffloadGb },
  });
  const dep = agentic(makeDeployment({ framework: "dynamo-sglang", tp: 4 }), 183);

  it("takes the tier the engine flags set, not the deployment's budget", () => {
    const script =
      "pip install x && exec python3 -m dynamo.sglang --model-path m --tensor-parallel-size 4 --enable-hierarchical-cache --hicache-size 4";
    const args = emulateArgs({ spec: spec(["bash", "-c", script]), deployment: dep });
    expect(args).toContain("--prefix-cache");
    expect(flagValue(args, ["--dram-offload-gb"])).toBe("16");
    expect(flagValue(args, ["--tp"])).toBe("4");
    const ratio = emulateArgs({
      spec: spec(sglang("--enable-hierarchical-cache", "--hicache-ratio", "0.9")),
      deployment: dep,
    });
    expect(flagValue(ratio, ["--dram-offload-ratio"])).toBe("0.9");
    expect(flagValue(ratio, ["--dram-offload-gb"])).toBeUndefined();
  });

  it("keeps no tier, and no prefix cache, where the launch keeps none", () => {
    const args = emulateArgs({ spec: spec(sglang("--disable-radix-cache")), deployment: dep });
    expect(args).not.toContain("--prefix-cache");
    expect(args).not.toContain("--dram-offload-gb");
    expect(args).not.toContain("--dram-offload-ratio");
  });

  it("falls back to the budget for a store outside the process and for engines it cannot read", () => {
    const mooncake = vllm("--kv-transfer-config", '{"kv_connector":"MooncakeStoreConnector","kv_role":"kv_both"}');
    expect(flagValue(emulateArgs({ spec: spec(mooncake), deployment: dep }), ["--dram-offload-gb"])).toBe("183");
    const other = emulateArgs({ spec: spec(["atom-serve", "--port", "30000"]), deployment: dep });
    expect(other).toContain("--prefix-cache");
    expect(flagValue(other, ["--dram-offload-gb"])).toBe("183");
  });
});
