import { describe, expect, it } from "vitest";
import { arrivalTimes } from "./arrivals.js";
import { fitCalibration, wordsForTokens } from "./chat-calibration.js";
import { lengthRange, sampleLengths, textPrompt, tokenIdPrompt } from "./prompts.js";

describe("length ranges", () => {
  it("floor convention: [floor(L*r), L]", () => {
    expect(lengthRange(1024, 0.8)).toEqual({ min: 819, max: 1024 });
    expect(lengthRange(1024, 1)).toEqual({ min: 1024, max: 1024 });
    expect(lengthRange(10, 0)).toEqual({ min: 1, max: 10 });
  });
  it("vLLM convention: [floor(L(1-r)), ceil(L(1+r))]", () => {
    expect(lengthRange(1024, 0.2, "vllm")).toEqual({ min: 819, max: 1229 });
    expect(lengthRange(1024, 0, "vllm")).toEqual({ min: 1024, max: 1024 });
    expect(() => lengthRange(1024, 1, "vllm")).toThrow(/\[0, 1\)/);
  });
  it("rejects bad input with the value named", () => {
    expect(() => lengthRange(0, 0.5)).toThrow(/positive integer \(got 0\)/);
    expect(() => lengthRange(10, 1.5)).toThrow(/range ratio/);
  });
  it("draws lengths uniformly inside the range, deterministic from the seed", () => {
    const a = sampleLengths(5000, 1000, 200, 0.8, "floor", 42);
    expect(sampleLengths(5000, 1000, 200, 0.8, "floor", 42)).toEqual(a);
    expect(sampleLengths(5000, 1000, 200, 0.8, "floor", 43)).not.toEqual(a);
    const ins = a.map((s) => s.inputLen);
    expect(Math.min(...ins)).toBe(800);
    expect(Math.max(...ins)).toBe(1000);
    const m = ins.reduce((x, y) => x + y, 0) / ins.length;
    expect(Math.abs(m - 900)).toBeLessThan(3);
    expect(Math.min(...a.map((s) => s.outputLen))).toBeGreaterThanOrEqual(160);
  });
});

describe("prompt content", () => {
  it("token-id prompts have the exact length, ids in the vocabulary range, and do not depend on build order", () => {
    const p = tokenIdPrompt(7, 3, 1234, { lo: 100, hi: 200 });
    expect(p).toHaveLength(1234);
    expect(p.every((x) => Number.isInteger(x) && x >= 100 && x <= 200)).toBe(true);
    tokenIdPrompt(7, 4, 50);
    expect(tokenIdPrompt(7, 3, 1234, { lo: 100, hi: 200 })).toEqual(p);
    expect(tokenIdPrompt(7, 5, 1234, { lo: 100, hi: 200 })).not.toEqual(p);
  });
  it("text prompts have the requested number of words", () => {
    expect(textPrompt(1, 2, 300).split(" ")).toHaveLength(300);
  });
  it("calibration maps a token target to words through the measured line", () => {
    const cal = fitCalibration(64, 64 + 7, 512, 512 + 7);
    expect(cal).toEqual({ overhead: 7, tokensPerWord: 1 });
    expect(wordsForTokens(1024, cal)).toBe(1017);
    expect(wordsForTokens(3, cal)).toBe(1);
    expect(() => fitCalibration(64, 10, 512, 10)).toThrow(/did not grow/);
  });
});

describe("arrival times", () => {
  it("infinite rate: everything at t = 0", () => {
    expect(arrivalTimes(4, Number.POSITIVE_INFINITY, 1, 0)).toEqual([0, 0, 0, 0]);
  });
  it("finite rate: increasing, last arrival exactly at N / rate (vLLM's rescaling)", () => {
    const t = arrivalTimes(1000, 50, 1, 9);
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThanOrEqual(t[i - 1]);
    expect(t[t.length - 1]).toBeCloseTo(20, 9);
    // Poisson: coefficient of variation of gaps ~ 1; burstier with burstiness 0.25 (CV ~ 2)
    const cv = (xs: number[]) => {
      const g = xs.map((x, i) => x - (i ? xs[i - 1] : 0));
      const m = g.reduce((a, b) => a + b, 0) / g.length;
      return Math.sqrt(g.reduce((a, b) => a + (b - m) ** 2, 0) / g.length) / m;
    };
    expect(cv(t)).toBeGreaterThan(0.85);
    expect(cv(t)).toBeLessThan(1.15);
    expect(cv(arrivalTimes(1000, 50, 0.25, 9))).toBeGreaterThan(1.6);
  });
});
