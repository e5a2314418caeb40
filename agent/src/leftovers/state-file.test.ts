import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reapLeftovers } from "./reaper.js";
import { LeftoverStore, parseState, STATE_FILE } from "./state-file.js";

const entry = {
  attemptId: "att-1",
  process: "worker-0",
  group: { pgid: 4242, startTicks: "1000" },
  ports: [8000],
  startedAt: "2025-01-01T00:00:00.000Z",
};

describe("state file", () => {
  it("parses a valid file and names what is wrong in a bad one", () => {
    expect(parseState(JSON.stringify({ version: 1, entries: [entry] }), "f.json")).toEqual({
      ok: true,
      state: { version: 1, entries: [entry] },
    });
    expect(parseState("{not json", "f.json")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^f\.json: not JSON/),
    });
    const badTicks = { version: 1, entries: [{ ...entry, group: { pgid: 4242, startTicks: "soon" } }] };
    expect(parseState(JSON.stringify(badTicks), "f.json")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^f\.json: entries\.0\.group\.startTicks: /),
    });
    expect(parseState(JSON.stringify({ version: 2, entries: [] }), "f.json")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^f\.json: version: /),
    });
    expect(parseState("[]", "f.json")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^f\.json: \(root\): /),
    });
  });

  it("is written on add, rewritten on remove and deleted once empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-leftovers-"));
    const store = new LeftoverStore(dir, "boot-a");
    const path = join(dir, STATE_FILE);
    store.add(entry);
    const second = { ...entry, process: "router" };
    store.add(second);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ version: 1, bootId: "boot-a", entries: [entry, second] });
    store.remove((e) => e === second);
    expect(store.read()).toEqual({ ok: true, state: { version: 1, bootId: "boot-a", entries: [entry] } });
    store.remove(() => true);
    expect(existsSync(path)).toBe(false);
    expect(store.read()).toBeUndefined();
  });

  it("an unreadable file is set aside with a log line, never a crash, and reaping goes on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-leftovers-"));
    writeFileSync(join(dir, STATE_FILE), '{"version": 1, "entries": [{"pid": ');
    const lines: string[] = [];
    const store = new LeftoverStore(dir, "boot-a");
    const r = await reapLeftovers({
      store,
      prefix: "nobody-here:000000000000:",
      boot: "boot-a",
      log: (l) => lines.push(l),
    });
    expect(r.reaped).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^leftovers: ignored the state file: .*running-processes\.json: not JSON .*; moved to .*\.corrupt$/,
    );
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
    expect(existsSync(join(dir, `${STATE_FILE}.corrupt`))).toBe(true);
  });
});
