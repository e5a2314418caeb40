import type { NodeDetail } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { describeNode } from "./nodes.js";

const base: NodeDetail = {
  id: "h100-node-07",
  state: "quarantined",
  adminState: "quarantine",
  adminReason: "3 jobs failed within 1 h",
  healthy: false,
  connected: true,
  registeredAt: "2025-06-01T09:00:00Z",
  lastSeenAt: Date.now() - 2000,
  info: {
    agentId: "h100-node-07",
    sku: "h100",
    hostname: "gpu07",
    ip: "10.0.0.7",
    gpus: [],
    gpuCount: 8,
    runtimes: ["docker"],
    rdmaDevices: [],
    domain: "ib-fabric-1",
    labels: ["h100", "h100-multinode"],
    launcher: "docker",
    emulated: false,
    version: "0.1.0",
  },
  health: {
    ok: false,
    reasons: ["GPU 3: uncorrected ECC errors", "Xid 79 in dmesg"],
    checkedAt: "2025-06-01T11:59:00Z",
  },
  failures: [
    { nodeId: "h100-node-07", jobId: "s1.aaaa", at: Date.UTC(2025, 5, 1, 10, 0, 0), reason: "engine exited (code 1)" },
    { nodeId: "h100-node-07", jobId: "s1.bbbb", at: Date.UTC(2025, 5, 1, 11, 0, 0), reason: "ready timeout" },
  ],
};

describe("nodes show (text)", () => {
  it("names state, host, GPUs, health reasons and each failure instead of dumping JSON", () => {
    const text = describeNode(base);
    expect(text.split("\n")).toEqual([
      "h100-node-07  h100  quarantined (3 jobs failed within 1 h)",
      "host      gpu07 (10.0.0.7), seen 2s ago",
      "gpus      8; domain ib-fabric-1; launcher docker",
      "labels    h100, h100-multinode",
      "health    BAD: GPU 3: uncorrected ECC errors; Xid 79 in dmesg",
      "attempt   (none)",
      "failures",
      "  2025-06-01T10:00:00Z  s1.aaaa  engine exited (code 1)",
      "  2025-06-01T11:00:00Z  s1.bbbb  ready timeout",
      "",
    ]);
  });

  it("a Slurm partition agent shows its nodes; a healthy idle node has no failures", () => {
    const text = describeNode({
      ...base,
      state: "busy",
      adminReason: undefined,
      healthy: true,
      attemptId: "s2.cccc.a1-4",
      health: { ok: true, reasons: [], checkedAt: "2025-06-01T11:59:00Z" },
      failures: [],
      info: { ...base.info, sku: "gb200", gpuCount: 4, slurm: { partition: "gb200", nodes: 18 }, launcher: "slurm" },
    });
    expect(text).toContain("gpus      4 × 18 nodes (Slurm partition gb200); domain ib-fabric-1; launcher slurm\n");
    expect(text).toContain("health    ok\n");
    expect(text).toContain("attempt   s2.cccc.a1-4\n");
    expect(text).toContain("failures  (none)\n");
  });
});
