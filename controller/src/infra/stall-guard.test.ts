import { describe, expect, it } from "vitest";
import { StallGuard } from "./stall-guard.js";

describe("stall guard", () => {
  it("an event loop probe far behind schedule marks a resume; silence counts from then", () => {
    const g = new StallGuard({ probeMs: 100, maxLagMs: 1000 }, 0);
    g.probe(100);
    g.probe(1150);
    expect(g.resumedAt).toBe(0);
    g.probe(5000);
    expect(g.resumedAt).toBe(5000);
    expect(g.silentSince(1000)).toBe(5000);
    expect(g.silentSince(6000)).toBe(6000);
  });

  it("Redis down is a stall until it is back", () => {
    const g = new StallGuard({ probeMs: 100, maxLagMs: 1000 }, 0);
    g.redisUp(10);
    expect(g.resumedAt).toBe(0);
    g.redisDown(20);
    expect(g.stalled).toBe(true);
    g.redisUp(9000);
    expect(g.stalled).toBe(false);
    expect(g.resumedAt).toBe(9000);
    expect(g.stalls).toBe(1);
  });
});
