import { describe, expect, it } from "vitest";
import { commaList } from "./comma-list.js";

describe("commaList", () => {
  it("splits on commas, trims, drops empty items", () => {
    expect(commaList(" a, b ,,c ")).toEqual(["a", "b", "c"]);
    expect(commaList(",")).toEqual([]);
  });
  it("appends to the values of earlier occurrences of the flag", () => {
    expect(commaList("c", commaList("a,b"))).toEqual(["a", "b", "c"]);
  });
});
