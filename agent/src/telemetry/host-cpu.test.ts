import { describe, expect, it } from "vitest";
import { busyPercent, HostCpu, totalCpuTimes } from "./host-cpu.js";

const core = (user: number, sys: number, idle: number, nice = 0, irq = 0) => ({
  times: { user, nice, sys, idle, irq },
});

describe("host CPU from the kernel's counters", () => {
  it("sums every core; idle apart from user, nice, sys and irq", () => {
    expect(totalCpuTimes([core(100, 50, 800, 10, 5), core(200, 0, 700)])).toEqual({ busy: 365, idle: 1500 });
  });

  it("is the busy share of the time between two readings", () => {
    const a = totalCpuTimes([core(1000, 0, 1000), core(1000, 0, 1000)]);
    // one core fully busy for 1 s, the other idle
    const b = totalCpuTimes([core(2000, 0, 1000), core(1000, 0, 2000)]);
    expect(busyPercent(a, b)).toBe(50);
    const c = totalCpuTimes([core(2300, 100, 1600), core(1000, 0, 3000)]);
    expect(busyPercent(b, c)).toBe(20);
  });

  it("gives null when no time passed or the counters went back", () => {
    const a = { busy: 10, idle: 10 };
    expect(busyPercent(a, a)).toBeNull();
    expect(busyPercent(a, { busy: 5, idle: 30 })).toBeNull();
  });

  it("reads this host: a percent between 0 and 100 after a moment of work", async () => {
    const h = new HostCpu();
    h.percent();
    const until = Date.now() + 60;
    while (Date.now() < until) Math.sqrt(Math.random());
    await new Promise((r) => setTimeout(r, 20));
    const pct = h.percent();
    expect(pct).not.toBeNull();
    expect(pct!).toBeGreaterThan(0);
    expect(pct!).toBeLessThanOrEqual(100);
  });
});
