/**
 * KV-offload backends with servers of their own (Mooncake, LMCache): the servers start before the
 * engine, every engine process finds them, and the DRAM budget is split per GPU as the lab's
 * scripts split it (the golden plans pin the whole argv; these pin the facts).
 */
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";
import { goldenCases } from "./test-support/golden-cases.js";

const golden = (name: string) => {
  const c = goldenCases().find((x) => x.name === name)!;
  return buildLaunchPlan(c.deployment, c.placement);
};
const all = (p: LaunchPlan): ProcessSpec[] => p.nodes.flatMap((n) => n.processes);
const engines = (p: LaunchPlan) => all(p).filter((x) => x.role !== "infra" && x.role !== "frontend");
function flag(a: string[], name: string): string | undefined {
  const i = a.indexOf(name);
  return i < 0 ? undefined : a[i + 1];
}

function withBackend(d: Deployment, name: string, dramOffloadGb: number): Deployment {
  return {
    ...d,
    scenario: "agentic-coding",
    isl: 0,
    osl: 0,
    agentic: { durationS: 3600, kvOffloading: "dram", kvOffloadBackend: { name }, dramOffloadGb },
  };
}

describe("Mooncake store beside vLLM", () => {
  it("starts one master on the leader before the engine, which reads its store config", () => {
    const p = golden("vllm-h100-agentic-mooncake");
    const master = all(p).find((x) => x.name === "infra-mooncake-master")!;
    expect(master.stage).toBeLessThan(engines(p)[0]!.stage);
    expect(master.argv.slice(0, 3)).toEqual(["mooncake_master", "--port", String(master.ports.rpc)]);
    expect(master.argv).toContain("--eviction_high_watermark_ratio=0.80");
    expect(master.argv).toContain("--eviction_ratio=0.10");
    expect(master.health).toEqual([{ kind: "tcp", host: "10.0.0.1", port: master.ports.rpc }]);
    const [w] = engines(p);
    expect(JSON.parse(flag(w!.argv, "--kv-transfer-config")!)).toEqual({
      kv_connector: "MooncakeStoreConnector",
      kv_role: "kv_both",
      kv_connector_extra_config: { load_async: true },
    });
    expect(w!.env).toMatchObject({
      MOONCAKE_CONFIG_PATH: "mooncake/worker-0-rank0.json",
      PYTHONHASHSEED: "0",
      MC_SLICE_SIZE: "1048576",
      MC_WORKERS_PER_CTX: "4",
      MC_ENABLE_DEST_DEVICE_AFFINITY: "1",
    });
    const file = w!.files.find((f) => f.path === w!.env.MOONCAKE_CONFIG_PATH)!;
    expect(JSON.parse(file.content)).toEqual({
      mode: "embedded",
      metadata_server: "P2PHANDSHAKE",
      master_server_address: `10.0.0.1:${master.ports.rpc}`,
      // 1731 GB over TP 8: one segment per GPU rank (no script preset here: the default sizing)
      global_segment_size: "216GB",
      local_buffer_size: "4GB",
      protocol: "rdma",
      device_name: "mlx5_0,mlx5_1,mlx5_2,mlx5_3",
      enable_offload: false,
    });
  });

  it("aggregated dynamo-vllm across nodes: every node's process joins the leader's master", () => {
    const p = golden("dynamo-vllm-gb200-agg-tp16-agentic-mooncake");
    expect(all(p).filter((x) => x.name === "infra-mooncake-master")).toHaveLength(1);
    const ws = engines(p);
    expect(ws).toHaveLength(4);
    for (const w of ws) {
      const cfg = JSON.parse(w.files.find((f) => f.path === w.env.MOONCAKE_CONFIG_PATH)!.content);
      expect(cfg.master_server_address).toBe(
        `10.0.0.1:${p.nodes[0]!.processes.find((x) => x.name === "infra-mooncake-master")!.ports.rpc}`,
      );
      // 384 GB of a node over its 4 GPUs, as the lab's recipe sizes it (96GB)
      expect(cfg.global_segment_size).toBe("96GB");
      expect(flag(w.argv, "--kv-transfer-config")).toContain("MooncakeStoreConnector");
    }
    expect(new Set(ws.map((w) => w.env.MOONCAKE_CONFIG_PATH)).size).toBe(4);
  });

  it("without RDMA devices the store picks its own; a budget under 1 GB per GPU is refused", () => {
    const d = withBackend(
      makeDeployment({
        configKey: "mm-h200",
        sku: "h200",
        framework: "vllm",
        model: "m",
        modelPrefix: "mm",
        precision: "fp8",
        image: "img",
        concs: [4],
        tp: 8,
      }),
      "mooncake",
      800,
    );
    const w = engines(buildLaunchPlan(d, makePlacement(d)))[0]!;
    expect(JSON.parse(w.files[0]!.content).device_name).toBe("");
    const tiny = withBackend(d, "mooncake", 7);
    expect(() => buildLaunchPlan(tiny, makePlacement(tiny))).toThrow(
      /mm-h200: .*"mooncake": 7 GB over 8 GPUs is under 1 GB per GPU/,
    );
  });
});

describe("Mooncake store beside disaggregated vLLM", () => {
  it("prefill stores and looks up, decode only loads, each inside a MultiConnector with NIXL", () => {
    const p = golden("dynamo-vllm-gb300-1p1d-agentic-mooncake");
    expect(all(p).filter((x) => x.name === "infra-mooncake-master")).toHaveLength(1);
    const cfg = (role: string) => {
      const w = engines(p).find((x) => x.role === role)!;
      expect(w.env.MOONCAKE_CONFIG_PATH).toBe(`mooncake/${w.name}.json`);
      expect(w.env.PYTHONHASHSEED).toBe("0");
      return JSON.parse(flag(w.argv, "--kv-transfer-config")!);
    };
    const nixl = { kv_connector: "NixlConnector", kv_role: "kv_both" };
    expect(cfg("prefill")).toEqual({
      kv_connector: "MultiConnector",
      kv_role: "kv_both",
      kv_load_failure_policy: "recompute",
      kv_connector_extra_config: {
        connectors: [
          nixl,
          {
            kv_connector: "MooncakeStoreConnector",
            kv_role: "kv_both",
            kv_connector_extra_config: { lookup_async: true },
          },
        ],
      },
    });
    expect(cfg("decode")).toEqual({
      kv_connector: "MultiConnector",
      kv_role: "kv_both",
      kv_load_failure_policy: "fail",
      kv_connector_extra_config: {
        connectors: [
          nixl,
          {
            kv_connector: "MooncakeStoreConnector",
            kv_role: "kv_consumer",
            kv_connector_extra_config: { enable_lookup: false },
          },
        ],
      },
    });
  });
});

describe("LMCache servers beside vLLM", () => {
  it("one server per GPU with its share of the budget; the connector names every server", () => {
    const p = golden("vllm-mi300x-agentic-lmcache");
    const servers = all(p).filter((x) => x.name.startsWith("infra-lmcache-"));
    expect(servers).toHaveLength(4);
    const urls: string[] = [];
    for (const s of servers) {
      expect(s.stage).toBe(0);
      expect(s.argv.slice(0, 2)).toEqual(["lmcache", "server"]);
      expect(flag(s.argv, "--l1-size-gb")).toBe("300");
      expect(flag(s.argv, "--l1-init-size-gb")).toBe("10");
      expect(flag(s.argv, "--chunk-size")).toBe("256");
      expect(flag(s.argv, "--eviction-policy")).toBe("LRU");
      expect(flag(s.argv, "--supported-transfer-mode")).toBe("lmcache_driven");
      expect(flag(s.argv, "--port")).toBe(String(s.ports.rpc));
      expect(s.health).toEqual([
        { kind: "http", url: `http://10.0.0.1:${s.ports.http}/healthcheck`, expectStatus: 200 },
      ]);
      urls.push(`tcp://10.0.0.1:${s.ports.rpc}`);
    }
    // no two servers share a port, nor with the engine
    const ports = all(p).flatMap((x) => Object.values(x.ports));
    expect(new Set(ports).size).toBe(ports.length);
    const cfg = flag(engines(p)[0]!.argv, "--kv-transfer-config")!;
    expect(cfg).toContain('"lmcache.mp.mq_timeout":6000.0');
    expect(JSON.parse(cfg)).toEqual({
      kv_connector: "LMCacheMPConnector",
      kv_connector_module_path: "lmcache.integration.vllm.lmcache_mp_connector",
      kv_role: "kv_both",
      kv_connector_extra_config: { "lmcache.mp.server_urls": urls.join(","), "lmcache.mp.mq_timeout": 6000 },
    });
  });

  it("refuses disaggregated serving, whose store would need vLLM's MultiConnector", () => {
    const d = withBackend(
      makeDeployment({
        configKey: "mm-gb300-dynamo-vllm-disagg",
        sku: "gb300",
        framework: "dynamo-vllm",
        model: "m",
        modelPrefix: "mm",
        precision: "fp4",
        image: "img",
        concs: [8],
        prefill: { numWorker: 1, tp: 4, ep: 1, dpAttn: false },
        decode: { numWorker: 1, tp: 4, ep: 1, dpAttn: false },
      }),
      "lmcache",
      400,
    );
    expect(() => buildLaunchPlan(d, makePlacement(d))).toThrow(/mm-gb300-dynamo-vllm-disagg: .*MultiConnector/);
  });
});
