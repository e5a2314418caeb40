/**
 * A vLLM worker launched with a Mooncake store (MooncakeStoreConnector, alone or in a MultiConnector)
 * and the store config its launch writes: the host-DRAM tier its ranks contribute, read as vLLM
 * reads the config (embedded: global_segment_size per rank, 1024-based units; standalone-store:
 * outside the process), and the emulated engine's tier following it instead of the row's budget.
 */
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { emulateArgs, flagValue } from "./emulated-args.js";
import { launchKvCache } from "./launch-kv-cache.js";

const PATH = "/logs/mooncake_store_config.json";
const multi = JSON.stringify({
  kv_connector: "MultiConnector",
  kv_role: "kv_both",
  kv_connector_extra_config: {
    connectors: [
      { kv_connector: "NixlConnector", kv_role: "kv_both" },
      { kv_connector: "MooncakeStoreConnector", kv_role: "kv_both" },
    ],
  },
});
const argv = ["python3", "-m", "dynamo.vllm", "--model", "m", "--kv-transfer-config", multi];
const spec = (config: unknown, env: Record<string, string> = { MOONCAKE_CONFIG_PATH: PATH }) =>
  processSpec({
    name: "prefill-0-rank0",
    role: "prefill",
    argv,
    env,
    files: [{ path: PATH, content: typeof config === "string" ? config : JSON.stringify(config, null, 2) }],
    ports: { http: 30000 },
  });

describe("the Mooncake store a vLLM worker's ranks contribute", () => {
  it("embedded: global_segment_size per rank, GB read as GiB as vLLM reads it", () => {
    expect(launchKvCache(spec({ mode: "embedded", global_segment_size: "96GB" }), 4)?.dram).toEqual({
      kind: "gb",
      gb: (96 * 2 ** 30 * 4) / 1e9,
      setting: `MooncakeStoreConnector global_segment_size "96GB" (per rank, ${PATH}) × 4 ranks`,
    });
    // a byte count, MB, and vLLM's defaults (embedded mode, 4 GiB a rank)
    expect(launchKvCache(spec({ global_segment_size: 2e9 }), 2)?.dram).toMatchObject({ kind: "gb", gb: 4 });
    expect(launchKvCache(spec({ global_segment_size: "512 mb" }), 1)?.dram).toMatchObject({ gb: 2 ** 29 / 1e9 });
    expect(launchKvCache(spec({}), 1)?.dram).toMatchObject({ kind: "gb", gb: 2 ** 32 / 1e9 });
  });

  it("standalone-store, or a config the launch does not carry: the store is outside the process", () => {
    expect(launchKvCache(spec({ mode: "standalone-store", global_segment_size: 0 }), 4)?.dram).toEqual({
      kind: "external",
      setting: "MooncakeStoreConnector (standalone-store)",
    });
    expect(launchKvCache(spec({ global_segment_size: "96GB" }, {}), 4)?.dram.kind).toBe("external");
    expect(
      launchKvCache(spec({ global_segment_size: "96GB" }, { MOONCAKE_CONFIG_PATH: "/elsewhere.json" }), 4)?.dram.kind,
    ).toBe("external");
  });

  it("a config vLLM would reject is an error naming the process and the setting", () => {
    expect(() => launchKvCache(spec("{"), 4)).toThrow(
      /^process prefill-0-rank0: MOONCAKE_CONFIG_PATH \/logs\/mooncake_store_config\.json is not JSON/,
    );
    expect(() => launchKvCache(spec({ global_segment_size: "lots" }), 4)).toThrow(
      `process prefill-0-rank0: ${PATH} global_segment_size "lots" is not a size (a byte count, or N with GB/MB/KB/B)`,
    );
    expect(() => launchKvCache(spec({ mode: "cluster" }), 4)).toThrow(
      `process prefill-0-rank0: ${PATH} mode "cluster": expected embedded or standalone-store`,
    );
  });

  it("the emulated engine's tier is the worker's contribution, not the row's DRAM budget", () => {
    const d: Deployment = {
      ...makeDeployment({ framework: "dynamo-vllm", tp: 4 }),
      scenario: "agentic-coding",
      agentic: { durationS: 60, kvOffloading: "dram", kvOffloadBackend: { name: "mooncake" }, dramOffloadGb: 183 },
    };
    const args = emulateArgs({
      spec: spec({ global_segment_size: "10GB" }),
      deployment: { ...d, tp: 4 },
    });
    expect(Number(flagValue(args, ["--dram-offload-gb"]))).toBeCloseTo((10 * 2 ** 30 * 4) / 1e9, 6);
    // without the config among its files: the budget, as for any store outside the process
    const outside = emulateArgs({ spec: spec({ global_segment_size: "10GB" }, {}), deployment: d });
    expect(flagValue(outside, ["--dram-offload-gb"])).toBe("183");
  });
});
