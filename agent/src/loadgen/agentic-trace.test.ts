import { describe, expect, it } from "vitest";
import { capGap, parseMooncakeJsonl, TraceError } from "./agentic-trace.js";
import { DEFAULT_SYNTHETIC_TRACE, syntheticTrace } from "./synthetic-trace.js";

const line = (o: object) => JSON.stringify(o);

describe("Mooncake-style JSONL traces", () => {
  it("chains requests into trajectories by shared-prefix hash ids, with context growth and gaps", () => {
    const text = [
      line({ timestamp: 0, input_length: 1000, output_length: 50, hash_ids: [1, 2] }),
      line({ timestamp: 10, input_length: 900, output_length: 20, hash_ids: [7] }),
      line({ timestamp: 3000, input_length: 1600, output_length: 40, hash_ids: [1, 2, 3] }),
      "",
      line({ timestamp: 3500, input_length: 1200, output_length: 10, hash_ids: [7, 8] }),
    ].join("\n");
    const t = parseMooncakeJsonl(text, "trace.jsonl");
    expect(t.trajectories.map((x) => x.turns.map((u) => [u.inputTokens, u.newTokens, u.gapMs]))).toEqual([
      [
        [1000, 1000, 0],
        [1600, 550, 3000],
      ],
      [
        [900, 900, 0],
        [1200, 280, 3490],
      ],
    ]);
  });

  it("groups by session_id when the lines give one", () => {
    const text = [
      line({ timestamp: 0, input_length: 10, output_length: 5, session_id: "a" }),
      line({ timestamp: 1, input_length: 10, output_length: 5, session_id: "b" }),
      line({ timestamp: 9, input_length: 30, output_length: 5, session_id: "a" }),
    ].join("\n");
    expect(parseMooncakeJsonl(text, "s.jsonl").trajectories.map((x) => [x.id, x.turns.length])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
  });

  it("names file:line for a malformed line, a bad field and an empty trace", () => {
    const bad = (text: string) => {
      try {
        parseMooncakeJsonl(text, "t.jsonl");
      } catch (e) {
        expect(e).toBeInstanceOf(TraceError);
        return (e as Error).message;
      }
      throw new Error("expected a TraceError");
    };
    expect(bad(`${line({ timestamp: 0, input_length: 5, output_length: 1 })}\n{"timestamp": 1,`)).toMatch(
      /^t\.jsonl:2: not JSON/,
    );
    expect(bad(`\n${line({ timestamp: 0, input_length: -5, output_length: 1 })}`)).toMatch(
      /^t\.jsonl:2: input_length: /,
    );
    expect(bad("\n\n")).toBe("t.jsonl:1: empty trace: no requests");
  });

  it("caps idle gaps", () => {
    expect(capGap(90_000, 60_000)).toBe(60_000);
    expect(capGap(1_000, 60_000)).toBe(1_000);
  });
});

describe("synthetic agentic traces", () => {
  const params = { ...DEFAULT_SYNTHETIC_TRACE, seed: 7, trajectories: 20 };

  it("is deterministic per seed and differs across seeds", () => {
    expect(syntheticTrace(params)).toEqual(syntheticTrace(params));
    expect(syntheticTrace({ ...params, seed: 8 }).trajectories[0]).not.toEqual(syntheticTrace(params).trajectories[0]);
  });

  it("grows each trajectory's context by the previous answer and the new tokens, sharing the system prefix", () => {
    const t = syntheticTrace(params);
    const sharedBlocks = Math.floor(params.sharedPrefixTokens / params.blockTokens);
    for (const traj of t.trajectories) {
      expect(traj.turns.length).toBeGreaterThanOrEqual(params.turns.min);
      expect(traj.turns.length).toBeLessThanOrEqual(params.turns.max);
      expect(traj.turns[0]!.gapMs).toBe(0);
      expect(traj.turns[0]!.hashIds!.slice(0, sharedBlocks)).toEqual([...Array(sharedBlocks).keys()]);
      for (let k = 1; k < traj.turns.length; k++) {
        const prev = traj.turns[k - 1]!;
        const cur = traj.turns[k]!;
        expect(cur.inputTokens).toBe(prev.inputTokens + prev.outputTokens + cur.newTokens);
        expect(cur.hashIds!.slice(0, prev.hashIds!.length)).toEqual(prev.hashIds);
      }
    }
    // trajectories share only the system prefix
    const [a, b] = t.trajectories;
    expect(a!.turns[0]!.hashIds![sharedBlocks]).not.toBe(b!.turns[0]!.hashIds![sharedBlocks]);
  });

  it("refuses impossible parameters", () => {
    expect(() => syntheticTrace({ ...params, trajectories: 0 })).toThrow(/trajectories must be a positive integer/);
    expect(() => syntheticTrace({ ...params, turns: { min: 5, max: 2 } })).toThrow(/1 <= min <= max/);
  });
});
