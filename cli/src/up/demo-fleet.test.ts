import { testCatalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { demoFleet, parseSlurmSpec } from "./demo-fleet.js";

describe("demo fleet", () => {
  it("spreads agents over SKUs; GB200 nodes have 4 GPUs and share an NVL72 rack", () => {
    const f = demoFleet(12, ["h100", "h200", "b200", "gb200", "mi300x", "mi355x"], testCatalog);
    expect(f).toHaveLength(12);
    expect(new Set(f.map((m) => m.agentId)).size).toBe(12);
    const gb = f.filter((m) => m.sku === "gb200");
    expect(gb).toHaveLength(2);
    expect(gb.every((m) => m.gpus === 4 && m.domain === "gb200-nvl72-rack0")).toBe(true);
    expect(f.find((m) => m.sku === "h100")).toMatchObject({ gpus: 8, domain: "h100-fabric0", ip: "127.0.0.11" });
    expect(new Set(f.map((m) => m.ip)).size).toBe(12);
  });
  it("starts a new rack after 18 GB200 nodes", () => {
    const f = demoFleet(19, ["gb200"], testCatalog);
    expect(f[17]!.domain).toBe("gb200-nvl72-rack0");
    expect(f[18]!.domain).toBe("gb200-nvl72-rack1");
  });
  it("rejects a bad count", () => {
    expect(() => demoFleet(0, ["h100"], testCatalog)).toThrow(/--agents/);
  });
});

describe("--slurm sku:nodes", () => {
  const catalog = testCatalog;
  it("parses a SKU and a node count", () => {
    expect(parseSlurmSpec("mi300x:2", catalog)).toEqual({ sku: "mi300x", nodes: 2 });
    expect(parseSlurmSpec(" GB200:4 ", catalog)).toEqual({ sku: "gb200", nodes: 4 });
  });
  it("refuses a bad form, an unknown SKU and node counts one host cannot hold, naming the flag", () => {
    expect(() => parseSlurmSpec("h200", catalog)).toThrow('--slurm: expected <sku>:<nodes> (e.g. h200:3), got "h200"');
    expect(() => parseSlurmSpec("a100:2", catalog)).toThrow(/--slurm: unknown SKU "a100" \(known: .*h100/);
    expect(() => parseSlurmSpec("h200:0", catalog)).toThrow("--slurm: 1 to 8 nodes on one host, got 0");
    expect(() => parseSlurmSpec("h200:9", catalog)).toThrow("--slurm: 1 to 8 nodes on one host, got 9");
  });
});
