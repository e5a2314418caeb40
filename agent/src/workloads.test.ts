import { describe, expect, it } from "vitest";
import { workersFor } from "./workloads.js";

describe("load generator threads per point", () => {
  it("one event loop below 256 streams; one worker per 256 streams where cores are spare", () => {
    expect(workersFor(64, 64)).toBe(1);
    expect(workersFor(256, 64)).toBe(1);
    expect(workersFor(1024, 64)).toBe(4);
    expect(workersFor(4096, 8)).toBe(7);
    expect(workersFor(1024, 2)).toBe(1);
    expect(workersFor(1024, 1)).toBe(1);
  });
});
