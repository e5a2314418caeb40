/** A load worker's young generation: larger than V8's default, so that it scavenges less often. */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { LOAD_WORKER_RESOURCE_LIMITS } from "./load-worker-heap.js";

// churns short-lived objects while keeping a window of them alive, then reports the new space's size
const CHURN = `
const { parentPort } = require("node:worker_threads");
const v8 = require("node:v8");
let live = [];
for (let i = 0; i < 3e6; i++) {
  live.push({ i, s: "chunk " + i });
  if (live.length > 100000) live = [];
}
const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
parentPort.postMessage(ns.space_size / 1048576);
`;

async function newSpaceMb(resourceLimits?: typeof LOAD_WORKER_RESOURCE_LIMITS): Promise<number> {
  const w = new Worker(CHURN, { eval: true, ...(resourceLimits ? { resourceLimits } : {}) });
  try {
    return await new Promise<number>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
  } finally {
    await w.terminate();
  }
}

describe("load worker heap", () => {
  it("gives a worker a young generation past V8's default, grown under churn", async () => {
    const dflt = await newSpaceMb();
    const load = await newSpaceMb(LOAD_WORKER_RESOURCE_LIMITS);
    // the default caps the new space at two 16 MB semi-spaces
    expect(dflt).toBeLessThanOrEqual(32);
    expect(load).toBeGreaterThan(32);
    expect(load).toBeLessThanOrEqual(LOAD_WORKER_RESOURCE_LIMITS.maxYoungGenerationSizeMb);
  }, 30_000);
});
