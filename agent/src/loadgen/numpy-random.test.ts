import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NumpyRandomState } from "./numpy-random.js";

/** numpy's own draws, when python3 with numpy is on this machine */
function numpyDraws(seed: number, calls: Array<[number, number, number]>): number[][] | undefined {
  try {
    const out = execFileSync(
      "python3",
      [
        "-c",
        "import json, sys, numpy as np; a = json.loads(sys.argv[1]); np.random.seed(a['seed']); " +
          "print(json.dumps([np.random.randint(lo, hi, size=n).tolist() for lo, hi, n in a['calls']]))",
        JSON.stringify({ seed, calls }),
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    return JSON.parse(out) as number[][];
  } catch {
    return undefined;
  }
}

describe("numpy's legacy generator", () => {
  it("draws what numpy 2.4.6 drew for np.random.seed(0) and seed(12345)", () => {
    const r = new NumpyRandomState(0);
    expect(r.randint(819, 1025, 5)).toEqual([991, 866, 936, 1011, 886]);
    expect(r.randint(0, 128000, 5)).toEqual([21243, 95939, 97639, 41993, 122579]);
    expect(r.randint(3, 4, 2)).toEqual([3, 3]);
    expect(r.randint(0, 7, 5)).toEqual([5, 2, 4, 6, 0]);
    const r2 = new NumpyRandomState(12345);
    expect(r2.randint(0, 2 ** 32, 3)).toEqual([3992670690, 3823185381, 1358822685]);
    expect(r2.randint(100, 101 + 2 ** 31, 3)).toEqual([561383653, 789925384, 170765837]);
  });

  const calls: Array<[number, number, number]> = [
    [6553, 8193, 700],
    [819, 1025, 700],
    [0, 129280, 700],
    [1, 2, 3],
    [0, 65536, 50],
  ];
  const live = numpyDraws(7, calls);
  it.skipIf(!live)("draws what the installed numpy draws: lengths and offsets of 700 prompts", () => {
    const r = new NumpyRandomState(7);
    expect(calls.map(([lo, hi, n]) => r.randint(lo, hi, n))).toEqual(live);
  });

  it("refuses seeds and ranges numpy's legacy path does not take", () => {
    expect(() => new NumpyRandomState(-1)).toThrow(/\[0, 2\^32\)/);
    expect(() => new NumpyRandomState(0).randint(5, 5, 1)).toThrow(/low < high/);
  });
});
