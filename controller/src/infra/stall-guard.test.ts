import { describe, expect, it } from "vitest";
import { StallGuard, stallGuardOptions } from "./stall-guard.js";

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

  it("a stall is never allowed to outlast half the heartbeat timeout unseen", () => {
    // production: a 1 s tick, 20 s timeout; `benchfleet up`: 1 s, 6 s; the tests: 200 ms, 1 s
    expect(stallGuardOptions(1000, 20_000)).toEqual({ probeMs: 1000, maxLagMs: 2000 });
    expect(stallGuardOptions(1000, 6000)).toEqual({ probeMs: 1000, maxLagMs: 2000 });
    expect(stallGuardOptions(200, 1000)).toEqual({ probeMs: 200, maxLagMs: 500 });
    // with the tests' timings a 1.1 s stall, longer than the heartbeat timeout, is a stall
    const g = new StallGuard(stallGuardOptions(200, 1000), 0);
    g.probe(200);
    g.probe(1300);
    expect(g.resumedAt).toBe(1300);
    expect(g.silentSince(250)).toBe(1300);
  });
});
