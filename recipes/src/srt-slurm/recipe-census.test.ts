import { describe, expect, it } from "vitest";
import { reasonKind } from "./recipe-census.js";

describe("reasonKind", () => {
  it("strips the location, the row and the variant, indexed or not, and counts alike", () => {
    const at = "/r/a.yaml:187:5: benchmark.command: cannot be honoured: custom";
    expect(reasonKind(`${at} [variant zip_override_x[0]] (row k-1)`)).toBe(
      "benchmark.command: cannot be honoured: custom",
    );
    expect(reasonKind(`${at} [variant lowlat] (row k-2)\nsecond line`)).toBe(
      "benchmark.command: cannot be honoured: custom",
    );
    expect(reasonKind("/r/b.yaml:3:1: gpus_per_node 8 but 4")).toBe("gpus_per_node N but N");
  });
});
