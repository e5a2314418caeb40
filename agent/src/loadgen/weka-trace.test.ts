/** The lab's Weka trace format: turns, subagent branches, end-to-start gaps, per-trace hash ids, located errors. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TraceError } from "./agentic-trace.js";
import { loadTrace } from "./trace-source.js";
import { locateInJson, parseWekaTraces } from "./weka-trace.js";

const call = (t: number, i: number, o: number, hashIds: number[], apiTime = 1, type = "s") => ({
  t,
  type,
  model: "claude-opus-4-5",
  in: i,
  out: o,
  hash_ids: hashIds,
  api_time: apiTime,
});
const subagent = (t: number, id: string, requests: object[], durationMs: number | null = 4000) => ({
  t,
  type: "subagent",
  agent_id: id,
  subagent_type: "Explore",
  duration_ms: durationMs,
  status: "completed",
  requests,
  models: ["claude-haiku-4-5"],
});
const trace = (id: string, requests: object[], blockSize = 64) => ({
  id,
  models: ["claude-opus-4-5", "claude-haiku-4-5"],
  block_size: blockSize,
  hash_id_scope: "local",
  tool_tokens: 100,
  system_tokens: 200,
  requests,
});
const doc = (o: object, file = "trace.json") => ({ file, text: JSON.stringify(o, null, 2), line: 1 });

describe("the lab's Weka traces", () => {
  it("map API calls to turns and subagents to branches the next turn waits for", () => {
    const t = parseWekaTraces(
      [
        doc(
          trace("tr1", [
            // no parent turn before it: dropped, as the lab's loader drops it
            subagent(0, "agent_000", [call(0.5, 50, 5, [])]),
            call(1, 1000, 40, [1, 2], 2),
            // inner times before the spawn time are relative to it (older captures): 4.0 s and 5.5 s
            subagent(3.5, "agent_001", [call(0.5, 300, 10, [1, 9], 1), call(2, 420, 10, [1, 9, 10], 1)]),
            call(9, 5000, 20, [1, 2, 4], 0.5, "n"),
            call(12, 1200, 30, [1, 2, 3], 1),
            // after the last turn: a background branch
            subagent(14, "agent_002", [call(15, 100, 4, [])], null),
          ]),
        ),
      ],
      "trace.json",
    );
    expect(t.blockTokens).toBe(64);
    expect(t.droppedSubagents).toBe(1);
    const [traj] = t.trajectories;
    expect(traj!.id).toBe("tr1");
    expect(traj!.turns.map((u) => [u.inputTokens, u.newTokens, u.outputTokens, u.gapMs])).toEqual([
      [1000, 1000, 40, 0],
      // waits for agent_001, which ends at 3.5 s + its 4 s duration (after its last request's end, 6.5 s)
      [5000, 3960, 20, 1500],
      // a compacted context: no new tokens over the history; idles from the previous call's end (9.5 s)
      [1200, 0, 30, 2500],
    ]);
    expect(traj!.turns[1]!.spawns).toBeUndefined();
    const [branch] = traj!.turns[0]!.spawns!;
    expect(branch!.id).toBe("tr1::sa:agent_001");
    // the first request starts at its offset from the spawn (3.5 s), the second idles from the first's end
    expect(branch!.turns.map((u) => [u.inputTokens, u.newTokens, Math.round(u.gapMs)])).toEqual([
      [300, 300, 500],
      [420, 110, 500],
    ]);
    // hash ids are renumbered per trace: the branch shares its parent's block 1
    expect(branch!.turns[0]!.hashIds![0]).toBe(traj!.turns[0]!.hashIds![0]);
    expect(traj!.turns[2]!.spawns!.map((b) => b.id)).toEqual(["tr1::sa:agent_002"]);
  });

  it("split a subagent's parallel chains into branches that start at their recorded offsets", () => {
    const t = parseWekaTraces(
      [
        doc(
          trace("tr2", [
            call(1, 1000, 40, [1, 2], 2),
            // two workers fork the subagent's first call's context at 5 s and 5.5 s and carry on apart
            subagent(3, "agent_007", [
              call(3.5, 300, 10, [1, 9], 1),
              call(5, 400, 10, [1, 9, 20], 1),
              call(5.5, 420, 10, [1, 9, 30], 1),
              call(7, 600, 10, [1, 9, 30, 31], 1),
              call(7.2, 500, 10, [1, 9, 20, 21], 1),
            ]),
            call(12, 2000, 20, [1, 2, 3], 1),
          ]),
        ),
      ],
      "trace.json",
    );
    const [traj] = t.trajectories;
    const branches = traj!.turns[0]!.spawns!;
    expect(branches.map((b) => b.id)).toEqual(["tr2::sa:agent_007", "tr2::sa:agent_007:c000"]);
    // each chain's first request idles from the parent turn's end (3 s); the rest from their own chain's
    expect(branches.map((b) => b.turns.map((u) => [u.inputTokens, u.newTokens, Math.round(u.gapMs)]))).toEqual([
      [
        [300, 300, 500],
        [400, 90, 500],
        [500, 90, 1200],
      ],
      [
        [420, 420, 2500],
        [600, 170, 500],
      ],
    ]);
    // the parent's next turn waits for both chains: the subagent's 4 s duration ends at 7 s, its last request at 8.2 s
    expect(Math.round(traj!.turns[1]!.gapMs)).toBe(3800);
  });

  it("split parallel agents flattened among the top-level calls into branches joined where recorded", () => {
    const t = parseWekaTraces(
      [
        doc(
          trace("tr3", [
            // a leading title call sharing no block with the rest stays on the main chain
            call(0, 50, 10, [99], 0.5),
            call(1, 1000, 40, [1, 2], 2),
            // two agents fork the main context at 3 s and 3.1 s: the first carries the main chain on
            call(3, 1100, 20, [1, 2, 3], 1),
            call(3.1, 1150, 20, [1, 2, 4], 1),
            call(5, 1300, 20, [1, 2, 3, 5], 1),
            // the second agent's next call ends at 7.2 s, after the main chain's 5 s call started
            call(5.2, 1250, 20, [1, 2, 4, 6], 2),
            call(9, 1600, 20, [1, 2, 3, 5, 7], 1),
            // a disjoint one-shot call after the main chain's last one: nothing waits for it
            call(10, 300, 5, [80], 1),
          ]),
        ),
      ],
      "trace.json",
    );
    const [traj] = t.trajectories;
    expect(traj!.turns.map((u) => [u.inputTokens, u.newTokens, Math.round(u.gapMs)])).toEqual([
      [50, 50, 0],
      [1000, 940, 500],
      [1100, 60, 0],
      [1300, 180, 1000],
      // joins the fork recorded as ending at 7.2 s: idles from then
      [1600, 280, 1800],
    ]);
    // the main turn before the fork in the trace (the 3 s call) spawns it; recorded as starting
    // before that call ended, it starts when the call is sent, 0.1 s after it
    const [fork] = traj!.turns[2]!.spawns!;
    expect(fork!.id).toBe("tr3::c000");
    expect(fork!.joinTurn).toBe(4);
    expect(fork!.atSend).toBe(true);
    expect(fork!.turns.map((u) => [u.inputTokens, u.newTokens, Math.round(u.gapMs)])).toEqual([
      [1150, 1150, 100],
      [1250, 80, 1100],
    ]);
    expect(fork!.turns[0]!.hashIds!.slice(0, 2)).toEqual(traj!.turns[1]!.hashIds);
    const [oneShot] = traj!.turns[4]!.spawns!;
    expect(oneShot!.id).toBe("tr3::c001");
    expect(oneShot!.joinTurn).toBeNull();
    expect(oneShot!.atSend).toBeUndefined();
    expect(oneShot!.turns.map((u) => [u.inputTokens, Math.round(u.gapMs)])).toEqual([[300, 0]]);
    expect([1, 3].map((k) => traj!.turns[k]!.spawns)).toEqual([undefined, undefined]);
  });

  it("starts the branches one turn spawns and one joins at their offsets from the group's start", () => {
    const t = parseWekaTraces(
      [
        doc(
          trace("tr5", [
            call(0, 1000, 40, [1, 2], 1),
            // two agents share the first call's first block from 1.5 s and 2 s, both over by the 9 s call
            call(1.5, 1100, 10, [1, 3], 1),
            call(2, 1100, 10, [1, 4], 1),
            subagent(1.2, "agent_a", [call(1.4, 200, 5, [70], 1)], 2000),
            subagent(2.2, "agent_b", [call(3, 200, 5, [71], 1)], 2000),
            call(9, 1200, 20, [1, 2, 5], 1),
          ]),
        ),
      ],
      "trace.json",
    );
    const [traj] = t.trajectories;
    expect(traj!.turns).toHaveLength(2);
    const first = (id: string) => {
      const b = traj!.turns[0]!.spawns!.find((x) => x.id === id)!;
      return [b.joinTurn, b.atSend, Math.round(b.turns[0]!.gapMs)];
    };
    // the chains' group starts at the earliest first request (1.5 s); the subagents' at the earliest spawn (1.2 s)
    expect(first("tr5::c000")).toEqual([1, undefined, 0]);
    expect(first("tr5::c001")).toEqual([1, undefined, 500]);
    expect(first("tr5::sa:agent_a")).toEqual([1, undefined, 200]);
    expect(first("tr5::sa:agent_b")).toEqual([1, undefined, 1800]);
  });

  it("a subagent that outlives the parent's next call is joined by the first call after its end", () => {
    const t = parseWekaTraces(
      [
        doc(
          trace("tr4", [
            call(0, 1000, 40, [1, 2], 1),
            subagent(1.5, "agent_1", [call(2, 300, 10, [50], 1), call(6, 400, 10, [50, 51], 2)], 7000),
            call(3, 1100, 20, [1, 2, 3], 1),
            call(5, 1200, 20, [1, 2, 3, 4], 1),
            call(9, 1300, 20, [1, 2, 3, 4, 5], 1),
            // a subagent still running when the trace's last call starts: no call waits for it
            subagent(9.5, "agent_2", [call(10, 100, 4, [60], 1)], 20_000),
            call(12, 1400, 20, [1, 2, 3, 4, 5, 6], 1),
          ]),
        ),
      ],
      "trace.json",
    );
    const [traj] = t.trajectories;
    const [sa1] = traj!.turns[0]!.spawns!;
    // recorded end 1.5 + 7 = 8.5 s: the 3 s and 5 s calls run beside it, the 9 s call waits
    expect(sa1!.joinTurn).toBe(3);
    expect(traj!.turns.map((u) => Math.round(u.gapMs))).toEqual([0, 2000, 1000, 500, 2000]);
    expect(traj!.turns[3]!.spawns!.map((b) => [b.id, b.joinTurn])).toEqual([["tr4::sa:agent_2", null]]);
  });

  it("two traces never share hash-id blocks; every trace must share one block size", () => {
    const a = trace("a", [call(0, 100, 5, [1, 2])]);
    const b = trace("b", [call(0, 100, 5, [1, 2])]);
    const t = parseWekaTraces([doc(a, "a.json"), doc(b, "b.json")], "dir");
    const [ha, hb] = t.trajectories.map((x) => x.turns[0]!.hashIds!);
    expect(ha).toEqual([0, 1]);
    expect(hb).toEqual([2, 3]);
    expect(() =>
      parseWekaTraces([doc(a, "a.json"), doc(trace("c", [call(0, 1, 1, [])], 32), "c.json")], "dir"),
    ).toThrow(/^c\.json:7: block_size 32 differs from the other traces' 64$/);
  });

  it("names file:line:col of bad JSON, a bad value, an unknown key, and a trace without calls", () => {
    const fail = (text: string, file = "t.json") => {
      try {
        parseWekaTraces([{ file, text, line: 1 }], file);
      } catch (e) {
        expect(e).toBeInstanceOf(TraceError);
        return (e as Error).message;
      }
      throw new Error("expected a TraceError");
    };
    const good = trace("x", [call(0, 10, 2, [1])]);
    expect(fail(JSON.stringify(good, null, 2).replace('"in": 10', '"in": 10,,'))).toMatch(/^t\.json:\d+:\d+: not JSON/);
    const neg = JSON.stringify(trace("x", [call(0, 10, 2, [1]), call(1, -3, 2, [1])]), null, 2);
    const negAt = locateInJson(neg, ["requests", 1, "in"]);
    expect(neg.split("\n")[negAt.line - 1]!.slice(negAt.col - 1)).toBe("-3,");
    expect(fail(neg)).toBe(`t.json:${negAt.line}:${negAt.col}: requests[1].in: Too small: expected number to be >=0`);
    const extra = JSON.stringify({ ...good, requests: [{ ...call(0, 10, 2, []), cache: 1 }] }, null, 2);
    const cacheLine = extra.split("\n").findIndex((l) => l.includes('"cache"')) + 1;
    expect(fail(extra)).toMatch(
      new RegExp(`^t\\.json:${cacheLine}:\\d+: requests\\[0\\]\\.cache: Unrecognized key: "cache"$`),
    );
    expect(fail(JSON.stringify(trace("x", [subagent(0, "a", [call(0, 1, 1, [])])]), null, 2))).toMatch(
      /^t\.json:\d+: trace x has no API call$/,
    );
    expect(fail(JSON.stringify({ ...good, hash_id_scope: "global" }))).toMatch(/^t\.json:1:\d+: hash_id_scope: /);
  });

  it("loads a directory of .json traces, one .json trace, and JSONL with a trace per line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weka-"));
    const traces = join(dir, "traces");
    mkdirSync(traces);
    writeFileSync(join(traces, "b.json"), JSON.stringify(trace("b", [call(0, 10, 2, [1])])));
    writeFileSync(join(traces, "a.json"), JSON.stringify(trace("a", [call(0, 10, 2, [1]), call(5, 20, 2, [1])])));
    writeFileSync(join(traces, "notes.txt"), "not a trace");
    const fromDir = loadTrace({ file: traces });
    expect(fromDir.trajectories.map((t) => [t.id, t.turns.length])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    expect(loadTrace({ file: join(traces, "a.json") }).trajectories).toHaveLength(1);
    const jsonl = join(dir, "rows.jsonl");
    writeFileSync(
      jsonl,
      [JSON.stringify(trace("r1", [call(0, 10, 2, [])])), "", JSON.stringify(trace("r2", [call(0, -1, 2, [])]))].join(
        "\n",
      ),
    );
    expect(() => loadTrace({ file: jsonl })).toThrow(/rows\.jsonl:3:\d+: requests\[0\]\.in: /);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => loadTrace({ file: empty })).toThrow(/empty:1: empty trace: no \.json trace files in the directory$/);
    // a Mooncake line still reads as Mooncake
    const mc = join(dir, "mc.jsonl");
    writeFileSync(mc, JSON.stringify({ timestamp: 0, input_length: 10, output_length: 2 }));
    expect(loadTrace({ file: mc }).trajectories).toHaveLength(1);
  });
});
