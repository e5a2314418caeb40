import { Rng } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { warmStart } from "./agentic-replay-run.js";
import type { Trajectory } from "./agentic-trace.js";
import { TrajectoryContext } from "./trace-context.js";

const words = (msgs: { content: string }[]) => msgs.flatMap((m) => m.content.split(" "));

const traj = (id: string, hashIds: number[]): Trajectory => ({
  id,
  turns: [
    { inputTokens: 100, newTokens: 100, outputTokens: 10, gapMs: 0, hashIds: hashIds.slice(0, 1) },
    { inputTokens: 150, newTokens: 40, outputTokens: 10, gapMs: 5, hashIds },
    { inputTokens: 200, newTokens: 40, outputTokens: 10, gapMs: 5, hashIds },
  ],
});

describe("trajectory history", () => {
  it("grows turn by turn: each prompt extends the previous one by the recorded answer and the new tokens", () => {
    const c = new TrajectoryContext(traj("a", [1, 2]), 64, 7);
    const t0 = c.messagesFor(0);
    const t1 = c.messagesFor(1);
    const t2 = c.messagesFor(2);
    expect(t1.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(t2).toHaveLength(5);
    expect(t1.slice(0, 1)).toEqual(t0);
    expect(t2.slice(0, 3)).toEqual(t1);
    expect([t0, t1, t2].map((m) => words(m).length)).toEqual([100, 150, 200]);
    expect(() => c.messagesFor(0)).toThrow(/turn 0 asked for after turn 2/);
  });

  it("shares text where hash ids are shared and nowhere else; a new replay of the same trajectory differs", () => {
    const a = words(new TrajectoryContext(traj("a", [1, 2]), 64, 1).messagesFor(2));
    const b = words(new TrajectoryContext(traj("b", [1, 3]), 64, 2).messagesFor(2));
    const a2 = words(new TrajectoryContext(traj("a", [1, 2]), 64, 3).messagesFor(2));
    expect(b.slice(0, 64)).toEqual(a.slice(0, 64));
    expect(b.slice(64, 128)).not.toEqual(a.slice(64, 128));
    expect(a2.slice(0, 128)).toEqual(a.slice(0, 128));
    expect(a2.slice(128)).not.toEqual(a.slice(128));
  });

  it("another point's keyspace shares nothing, its shared blocks included; within one keyspace they are shared", () => {
    const at = (id: string, ids: number[], key: number, keyspace: number) =>
      words(new TrajectoryContext(traj(id, ids), 64, key, 1, undefined, keyspace).messagesFor(2));
    const a = at("a", [1, 2], 1, 11);
    const b = at("b", [1, 3], 2, 11);
    const other = at("a", [1, 2], 1, 12);
    expect(b.slice(0, 64)).toEqual(a.slice(0, 64));
    expect(other.slice(0, 64)).not.toEqual(a.slice(0, 64));
    expect(other.slice(128)).not.toEqual(a.slice(128));
  });

  it("restarts the history when the trace's input shrinks (a compacted context)", () => {
    const t: Trajectory = {
      id: "c",
      turns: [
        { inputTokens: 300, newTokens: 300, outputTokens: 20, gapMs: 0 },
        { inputTokens: 120, newTokens: 0, outputTokens: 20, gapMs: 0 },
      ],
    };
    const c = new TrajectoryContext(t, 64, 1);
    c.messagesFor(0);
    const m = c.messagesFor(1);
    expect(m).toHaveLength(1);
    expect(words(m)).toHaveLength(120);
  });

  it("keeps the history's JSON bytes turn by turn, across a compacted context and any words", () => {
    const t: Trajectory = {
      id: "j",
      turns: [
        { inputTokens: 100, newTokens: 100, outputTokens: 10, gapMs: 0, hashIds: [1] },
        { inputTokens: 180, newTokens: 70, outputTokens: 12, gapMs: 0, hashIds: [1, 2] },
        { inputTokens: 90, newTokens: 0, outputTokens: 8, gapMs: 0 },
        { inputTokens: 5000, newTokens: 4900, outputTokens: 8, gapMs: 0 },
      ],
    };
    // words a tokenizer may give: quotes, backslashes, non-ASCII
    const odd = ['say"', "back\\", "é", "漢字", "plain"];
    const a = new TrajectoryContext(t, 64, 3, 1, odd);
    const b = new TrajectoryContext(t, 64, 3, 1, odd);
    for (let k = 0; k < t.turns.length; k++) {
      const bytes = Buffer.concat([a.jsonFor(k), Buffer.from("]")]);
      expect(bytes.toString("utf8")).toBe(JSON.stringify(b.messagesFor(k)));
    }
  });

  it("turns tokens into words by the server's tokens per word", () => {
    const m = new TrajectoryContext(traj("a", [1]), 64, 1, 2).messagesFor(0);
    expect(words(m)).toHaveLength(50);
  });
});

describe("warm-up start positions", () => {
  it("fall inside the ratio window and leave the warm-up turns plus one measured turn", () => {
    for (let i = 0; i < 200; i++) {
      const { start, warmTurns } = warmStart(20, Rng.forStream(3, i), [0.25, 0.75], 2);
      expect(warmTurns).toBe(2);
      expect(start).toBeGreaterThanOrEqual(5);
      expect(start).toBeLessThanOrEqual(15);
    }
    expect(warmStart(3, new Rng(1), [0.75, 0.75], 5)).toEqual({ start: 0, warmTurns: 2 });
    expect(warmStart(1, new Rng(1), [0.25, 0.75], 1)).toEqual({ start: 0, warmTurns: 0 });
  });
});
