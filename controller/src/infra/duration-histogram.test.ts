import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { BUCKET_BOUNDS_MS, DurationMetric, emptySnapshot, quantileBetween } from "./duration-histogram.js";

describe("DurationMetric", () => {
  it("puts each value in the first bucket whose bound is at or above it", async () => {
    const h = new DurationMetric("t_round", "test", new Registry());
    for (const v of [0, 0.05, 0.051, 1, BUCKET_BOUNDS_MS[10]!, 1e9]) h.observe(v);
    const s = await h.snapshot();
    expect(s.count).toBe(6);
    expect(s.maxMs).toBe(1e9);
    expect(s.counts).toHaveLength(BUCKET_BOUNDS_MS.length + 1);
    expect(s.counts[0]).toBe(2); // 0 and 0.05
    expect(s.counts[1]).toBe(1); // 0.051 ≤ 0.0625
    expect(s.counts[10]).toBe(1); // exactly on a bound
    expect(s.counts.at(-1)).toBe(1); // overflow
    const i1 = BUCKET_BOUNDS_MS.findIndex((b) => b >= 1);
    expect(s.counts[i1]).toBe(1);
  });

  it("answers quantiles of what was observed between two snapshots, within one bucket", async () => {
    const h = new DurationMetric("t_round", "test", new Registry());
    for (let i = 0; i < 1000; i++) h.observe(1000); // before the window: must not count
    const before = await h.snapshot();
    for (let i = 1; i <= 100; i++) h.observe(i); // 1..100 ms
    const after = await h.snapshot();
    const p50 = quantileBetween(before, after, 0.5)!;
    const p99 = quantileBetween(before, after, 0.99)!;
    expect(p50).toBeGreaterThanOrEqual(50);
    expect(p50).toBeLessThanOrEqual(50 * 1.25);
    expect(p99).toBeGreaterThanOrEqual(99);
    expect(p99).toBeLessThanOrEqual(99 * 1.25);
    expect(quantileBetween(after, after, 0.5)).toBeUndefined();
    expect(quantileBetween(emptySnapshot(), after, 1)).toBeGreaterThanOrEqual(1000);
    expect(after.sumMs - before.sumMs).toBeCloseTo(5050, 6);
  });

  it("serves the same figures to Prometheus as seconds", async () => {
    const reg = new Registry();
    const h = new DurationMetric("t_round", "test", reg);
    h.observe(250);
    h.observe(1500);
    const text = await reg.metrics();
    expect(text).toMatch(/^t_round_seconds_count 2$/m);
    expect(text).toMatch(/^t_round_seconds_sum 1\.75$/m);
    expect(text).toMatch(/^t_round_max_seconds 1\.5$/m);
  });
});
