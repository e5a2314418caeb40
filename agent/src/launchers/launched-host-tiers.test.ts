/**
 * The host-DRAM KV tier recorded per engine process of a plan: per-rank sizes over the process's
 * GPUs on its node, no tier, a ratio, a store outside the process, and settings that cannot be
 * read recorded with the reason; routers, frontends and infra are no engines.
 */
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { processSpec } from "../test-support/assignment.js";
import { launchedHostTiers } from "./launched-host-tiers.js";

const sglang = (...flags: string[]) => ["python3", "-m", "dynamo.sglang", "--model-path", "m", ...flags];

const plan = (...nodes: ProcessSpec[][]): LaunchPlan => ({
  framework: "dynamo-sglang",
  nodes: nodes.map((processes, rank) => ({ rank, hostname: `n${rank}`, ip: `10.0.0.${rank + 1}`, processes })),
  endpoint: { baseUrl: "http://10.0.0.1:8000", model: "m", api: "chat" },
  gangHealth: [],
  notes: [],
});

describe("launched host tiers", () => {
  it("records each engine process's tier as its launch sets it, per node", () => {
    const hicache = sglang("--enable-hierarchical-cache", "--hicache-size", "4");
    const tiers = launchedHostTiers(
      plan(
        [
          processSpec({ name: "infra-etcd", role: "infra", argv: ["etcd"], gpus: [] }),
          processSpec({ name: "prefill-0-rank0", role: "prefill", argv: hicache, gpus: [0, 1, 2, 3] }),
          processSpec({ name: "frontend", role: "frontend", argv: ["python3", "-m", "dynamo.frontend"], gpus: [] }),
        ],
        [
          processSpec({ name: "prefill-0-rank1", role: "prefill", argv: hicache, gpus: [0, 1] }),
          processSpec({ name: "decode-0-rank0", role: "decode", argv: sglang("--disable-radix-cache"), gpus: [2, 3] }),
          processSpec({ name: "decode-1-rank0", role: "decode", argv: sglang("--enable-hierarchical-cache") }),
        ],
      ),
    );
    expect(tiers).toEqual([
      {
        process: "prefill-0-rank0",
        role: "prefill",
        kind: "gb",
        gb: 16,
        setting: "--hicache-size 4 (GB per rank) × 4 ranks",
      },
      {
        process: "prefill-0-rank1",
        role: "prefill",
        kind: "gb",
        gb: 8,
        setting: "--hicache-size 4 (GB per rank) × 2 ranks",
      },
      { process: "decode-0-rank0", role: "decode", kind: "none" },
      { process: "decode-1-rank0", role: "decode", kind: "ratio", ratio: 2, setting: "--hicache-ratio 2 (default)" },
    ]);
  });

  it("records a store outside the process, and settings it cannot read with the reason", () => {
    const tiers = launchedHostTiers(
      plan([
        processSpec({
          name: "worker-0",
          argv: ["vllm", "serve", "m", "--kv-transfer-config", '{"kv_connector":"LMCacheConnectorV1"}'],
        }),
        processSpec({ name: "worker-1", argv: ["vllm", "serve", "m", "--kv-transfer-config", "{oops"] }),
        // a lab script run as it is: no engine argv to read
        processSpec({ name: "worker-2", argv: ["bash", "benchmarks/single_node/agentic/x.sh"] }),
      ]),
    );
    expect(tiers).toHaveLength(2);
    expect(tiers[0]).toMatchObject({
      process: "worker-0",
      kind: "external",
      setting: expect.stringMatching(/LMCache/),
    });
    expect(tiers[1]).toMatchObject({ process: "worker-1", kind: "unread" });
    expect(tiers[1]!.setting).toMatch(/^process worker-1: --kv-transfer-config is not JSON/);
  });
});
