import { describe, expect, it } from "vitest";
import { combineRepeats, PointRepeats, relativeRange, spreadOf } from "./point-repeats.js";

const run = (tput: number, tpot: number | null = 10) => ({
  id: tput,
  bench: { total_token_throughput: tput, output_throughput: tput / 2, median_tpot_ms: tpot, median_ttft_ms: 100 },
});

describe("repeated load points", () => {
  it("the median-throughput run stands for the point; the spread covers every run", () => {
    const { run: chosen, repeats } = combineRepeats([run(1100), run(900), run(1000, 12)]);
    expect(chosen.id).toBe(1000);
    expect(PointRepeats.parse(repeats)).toEqual(repeats);
    expect(repeats).toMatchObject({ n: 3, totalTokenThroughput: { min: 900, max: 1100, mean: 1000 } });
    expect(repeats!.totalTokenThroughput.stdev).toBeCloseTo(100, 9);
    expect(repeats!.outputThroughput.max).toBe(550);
    expect(repeats!.medianTpotMs).toMatchObject({ min: 10, max: 12 });
    expect(relativeRange(repeats!.totalTokenThroughput)).toBeCloseTo(0.2, 9);
    // an even count: the lower middle run
    expect(combineRepeats([run(4), run(1), run(3), run(2)]).run.id).toBe(2);
  });

  it("one run: no spread; a missing figure has no spread; no runs is an error", () => {
    expect(combineRepeats([run(5)])).toEqual({ run: run(5) });
    expect(combineRepeats([run(5, null), run(6)]).repeats!.medianTpotMs).toBeNull();
    expect(spreadOf([])).toBeNull();
    expect(() => combineRepeats([])).toThrow(/at least one run/);
  });
});
