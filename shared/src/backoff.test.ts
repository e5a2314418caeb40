import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, backoffStrategy } from "./backoff.js";

const fixed = (r: number) => () => r;

describe("backoffDelay", () => {
  it("grows exponentially without jitter and stops at maxMs", () => {
    const o = { baseMs: 1000, jitter: 0, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, o, fixed(0.7)))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    expect(backoffDelay(3, { baseMs: 100, factor: 3, jitter: 0 }, fixed(0))).toBe(900);
    expect(backoffDelay(100_000, { baseMs: 1000, jitter: 0 }, fixed(0))).toBe(3_600_000); // default cap, no overflow
  });

  it("puts the jittered fraction of the delay at random", () => {
    const o = { baseMs: 1000, jitter: 0.5 };
    expect(backoffDelay(2, o, fixed(0))).toBe(1000); // 2000 * 0.5
    expect(backoffDelay(2, o, fixed(0.5))).toBe(1500);
    expect(backoffDelay(2, o, fixed(0.999))).toBe(1999);
    expect(backoffDelay(2, { baseMs: 1000, jitter: 1 }, fixed(0.25))).toBe(500); // full jitter
  });

  it("stays within [raw*(1-jitter), raw] and is monotone in the random draw (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, jitter, r1, r2) => {
          const o = { baseMs, jitter, maxMs: 3_600_000 + baseMs };
          const raw = Math.min(o.maxMs, baseMs * 2 ** (attempt - 1));
          const d1 = backoffDelay(attempt, o, fixed(r1));
          expect(d1).toBeGreaterThanOrEqual(Math.floor(raw * (1 - jitter)));
          expect(d1).toBeLessThanOrEqual(Math.ceil(raw));
          const d2 = backoffDelay(attempt, o, fixed(r2));
          if (r1 <= r2) expect(d1).toBeLessThanOrEqual(d2);
        },
      ),
    );
  });

  it("spreads the retries of jobs that failed together", () => {
    let seed = 42;
    const lcg = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 100 }, () => backoffDelay(3, { baseMs: 1000, jitter: 1 }, lcg));
    expect(new Set(delays).size).toBeGreaterThan(80);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(4000);
  });

  it("rejects bad options, attempts and random sources", () => {
    expect(() => backoffDelay(0, { baseMs: 1000 }, fixed(0))).toThrow(/attempt must be an integer >= 1/);
    expect(() => backoffDelay(1, { baseMs: 0 }, fixed(0))).toThrow(/baseMs must be > 0/);
    expect(() => backoffDelay(1, { baseMs: 10, factor: 0.5 }, fixed(0))).toThrow(/factor must be >= 1/);
    expect(() => backoffDelay(1, { baseMs: 10, jitter: 2 }, fixed(0))).toThrow(/jitter must be within 0..1/);
    expect(() => backoffDelay(1, { baseMs: 10, maxMs: 5 }, fixed(0))).toThrow(/maxMs \(5\) must be >= baseMs/);
    expect(() => backoffDelay(1, { baseMs: 10 }, fixed(1))).toThrow(/random source returned 1/);
  });
});

describe("backoffStrategy (BullMQ settings.backoffStrategy)", () => {
  it("maps attemptsMade to the retry number", () => {
    const s = backoffStrategy({ baseMs: 500, jitter: 0 }, fixed(0));
    expect([s(1), s(2), s(3)]).toEqual([500, 1000, 2000]);
    expect(() => backoffStrategy({ baseMs: -1 })).toThrow(/baseMs/);
  });
});
