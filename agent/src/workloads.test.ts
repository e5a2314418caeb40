import { describe, expect, it } from "vitest";
import { workersFor } from "./workloads.js";

describe("load generator threads per point", () => {
  it("one thread per 64 streams, at most a quarter of the node's cores", () => {
    expect(workersFor(1, 64)).toBe(1);
    expect(workersFor(64, 64)).toBe(1);
    expect(workersFor(127, 64)).toBe(1);
    expect(workersFor(256, 64)).toBe(4);
    expect(workersFor(256, 16)).toBe(4);
    expect(workersFor(1024, 16)).toBe(4);
    expect(workersFor(1024, 224)).toBe(16);
    expect(workersFor(4096, 8)).toBe(2);
    expect(workersFor(1024, 2)).toBe(1);
    expect(workersFor(1024, 1)).toBe(1);
  });
});
