import { describe, expect, it } from "vitest";
import { testCatalog } from "../../../shared/src/test-support/catalog.js";
import { demoFleet } from "./demo-fleet.js";

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
