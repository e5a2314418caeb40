import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type LogBatch, LogForwarder } from "./log-forwarder.js";
import { agentWsUrl } from "./protocol-client.js";
import { reconnectDelay } from "./reconnect-delay.js";
import { Spool, type SpooledMessage } from "./spool.js";

const fin = (msgId: string): SpooledMessage => ({
  type: "attempt-finished",
  msgId,
  attemptId: "a",
  fencingToken: 1,
  status: "succeeded",
  phaseDurationsMs: {},
});

describe("spool", () => {
  it("keeps messages on disk in order until acked, across instances", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-spool-"));
    const s = new Spool(dir);
    s.put(fin("m1"));
    s.put(fin("m2"));
    s.put(fin("m1")); // idempotent
    expect(s.size).toBe(2);
    const again = new Spool(dir);
    expect(again.pending().map((m) => m.msgId)).toEqual(["m1", "m2"]);
    expect(again.ack("m1")).toBe(true);
    expect(again.ack("m1")).toBe(false);
    again.put(fin("m3"));
    expect(new Spool(dir).pending().map((m) => m.msgId)).toEqual(["m2", "m3"]);
  });
  it("drops half-written temp files and sets corrupt ones aside", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-spool-"));
    writeFileSync(join(dir, "000000000001-x.json.tmp"), "{");
    writeFileSync(join(dir, "000000000002-y.json"), "{not json");
    const s = new Spool(dir);
    expect(s.pending()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(["000000000002-y.json.corrupt"]);
    expect(() => s.put(fin("bad/id"))).toThrow(/not allowed in a file name/);
  });
});

describe("reconnect delay", () => {
  it("doubles up to the cap, with jitter in [half, full)", () => {
    const o = { initialMs: 100, maxMs: 1000 };
    const top = 1 - 1e-9;
    expect([0, 1, 2, 3, 4, 10].map((n) => reconnectDelay(n, o, () => top))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([0, 1, 2, 3, 4].map((n) => reconnectDelay(n, o, () => 0))).toEqual([50, 100, 200, 400, 500]);
  });
});

describe("log forwarder", () => {
  it("batches per process and stream, flushes on size and on time, cuts long lines, stamps each line", async () => {
    const batches: LogBatch[] = [];
    let now = Date.parse("2026-12-04T18:00:00.000Z");
    const f = new LogForwarder({
      send: (b) => batches.push(b),
      flushMs: 30,
      maxLines: 3,
      maxLineBytes: 10,
      now: () => now++,
    });
    f.line("w0", "stdout", "a");
    f.line("w0", "stderr", "b");
    f.line("w0", "stdout", "c");
    f.line("w0", "stdout", "0123456789abc");
    expect(batches).toEqual([
      {
        process: "w0",
        stream: "stdout",
        lines: ["a", "c", "0123456789…[cut]"],
        times: ["2026-12-04T18:00:00.000Z", "2026-12-04T18:00:00.002Z", "2026-12-04T18:00:00.003Z"],
      },
    ]);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches[1]).toEqual({ process: "w0", stream: "stderr", lines: ["b"], times: ["2026-12-04T18:00:00.001Z"] });
    expect(f.forwarded).toBe(4);
  });
});

describe("controller URL", () => {
  it("adds the agent path and refuses other schemes", () => {
    expect(agentWsUrl("ws://c:8080")).toBe("ws://c:8080/api/v1/agents/ws");
    expect(agentWsUrl("wss://c/custom")).toBe("wss://c/custom");
    expect(() => agentWsUrl("http://c")).toThrow(/ws:\/\/ or wss:\/\//);
  });
});
