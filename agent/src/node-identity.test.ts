/** Who an agent is to the controller (node-identity.ts), decided from its options and discovery. */
import { describe, expect, it } from "vitest";
import type { AgentOptions } from "./agent-options.js";
import type { Discovery } from "./discovery/discover.js";
import { agentInfo, nodeIdentity, type SlurmPartition, telemetryTool } from "./node-identity.js";

const found: Discovery = {
  host: {
    hostname: "login-1",
    os: "test",
    kernel: "test",
    cpu: { model: "cpu", cores: 2, physicalCores: 2 },
    memTotalMiB: 1024,
    interfaces: [],
    primaryIp: "10.0.0.5",
  },
  vendor: "nvidia",
  gpuTool: "nvidia-smi",
  gpus: Array.from({ length: 8 }, (_, index) => ({
    vendor: "nvidia" as const,
    index,
    name: "NVIDIA H100 80GB HBM3",
    memoryMiB: 81559,
  })),
  sku: { sku: "h100", reason: "test" },
  runtimes: ["docker"],
  slurm: { present: false },
  rdmaDevices: [],
  problems: [],
};
const base: AgentOptions = { controller: "ws://c", token: "t", dataDir: "/tmp/x" };
const partition: SlurmPartition = {
  info: { partition: "gb200", nodes: [], gpusPerNode: 4, problems: [] },
  sku: "gb200",
  gpusPerNode: 4,
};

describe("nodeIdentity", () => {
  it("a GPU node is its host: id, GPUs, vendor; its telemetry is the vendor's tool", () => {
    const id = nodeIdentity(base, "process", found, undefined);
    expect(id).toMatchObject({ agentId: "login-1", gpuCount: 8, vendor: "nvidia", emulated: false });
    expect(id.emulatedEngines).toBe(false);
    expect(telemetryTool(base, id, undefined, false)).toBe("nvidia-smi");
  });

  it("an emulated node is named for its SKU; with the emulated launcher its engines and GPUs are emulated", () => {
    const o = { ...base, emulate: { sku: "h200" as const, gpus: 8 } };
    const id = nodeIdentity(o, "emulated", found, undefined);
    expect(id).toMatchObject({ agentId: "login-1-h200", emulated: true, emulatedEngines: true });
    expect(telemetryTool(o, id, undefined, true)).toBe("emulated");
    expect(telemetryTool(o, id, undefined, false)).toBe("none");
  });

  it("a Slurm agent stands for its partition: its SKU, GPUs per node, vendor and node telemetry", () => {
    const o: AgentOptions = { ...base, launcher: "slurm", slurm: { partition: "gb200" } };
    const id = nodeIdentity(o, "slurm", found, partition);
    expect(id).toMatchObject({ agentId: "login-1-slurm-gb200", gpuCount: 4, vendor: "nvidia" });
    expect(id.discovery.sku).toEqual({ sku: "gb200", reason: "nodes of Slurm partition gb200" });
    expect(id.nodeTelemetry).toBe("nvidia-smi");
    // the login node's own GPUs are not sampled
    expect(telemetryTool(o, id, partition, false)).toBe("none");
    const amd = nodeIdentity(o, "slurm", found, { ...partition, sku: "mi355x" });
    expect(amd).toMatchObject({ vendor: "amd", nodeTelemetry: "amd-smi" });
  });

  it("an agent id is made of the characters ids allow", () => {
    expect(nodeIdentity({ ...base, agentId: "rack 7/node:3" }, "process", found, undefined).agentId).toBe(
      "rack-7-node-3",
    );
  });
});

describe("agentInfo", () => {
  it("registers the node's record: labels, domain (the partition for Slurm), launcher, version", () => {
    const o: AgentOptions = { ...base, labels: ["h100-multinode"] };
    const info = agentInfo(o, nodeIdentity(o, "docker", found, undefined), undefined);
    expect(info).toMatchObject({
      agentId: "login-1",
      hostname: "login-1",
      ip: "10.0.0.5",
      sku: "h100",
      gpuCount: 8,
      labels: ["h100-multinode"],
      domain: "default",
      launcher: "docker",
      emulated: false,
    });
    expect(info.gpus).toHaveLength(8);
    const so: AgentOptions = { ...base, launcher: "slurm", slurm: { partition: "gb200" } };
    const slurmInfo = agentInfo(so, nodeIdentity(so, "slurm", found, partition), partition);
    expect(slurmInfo).toMatchObject({ domain: "slurm:gb200", slurm: { partition: "gb200", nodes: 0 }, gpuCount: 4 });
  });
});
