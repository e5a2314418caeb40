import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Bus } from "./bus.js";
import { LogStore } from "./log-store.js";

describe("log store", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("appends, tails, ranges, fans out live, and stays bounded by rotation", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-logs-"));
    dirs.push(dir);
    const bus = new Bus();
    const seen: string[] = [];
    bus.subscribe((e) => {
      if (e.kind === "log") seen.push(...e.lines);
    });
    const store = new LogStore(dir, bus, 4096, 2);
    for (let i = 0; i < 500; i++)
      store.append("job1", "job1.a1-1", "server", i % 2 ? "stderr" : "stdout", [`line ${i} ${"x".repeat(40)}`]);
    expect(seen).toHaveLength(500);
    const { lines: tail, older } = store.tail("job1", "job1.a1-1", 3);
    expect(older).toEqual(["server"]);
    for (const l of tail) expect(l.line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    expect(tail.map((l) => l.line.split(" ").slice(1, 4).join(" "))).toEqual([
      "[stderr] line 497",
      "line 498 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
      "[stderr] line 499",
    ]);
    const files = readdirSync(join(dir, "logs", "job1", "job1.a1-1")).sort();
    expect(files).toEqual(["server.log", "server.log.1", "server.log.2"]);
    for (const f of files) expect(statSync(join(dir, "logs", "job1", "job1.a1-1", f)).size).toBeLessThanOrEqual(4096);
    const r = store.range("job1", "job1.a1-1", "server", 0, 10);
    expect(r.text).toHaveLength(10);
    expect(store.processes("job1", "job1.a1-1")).toEqual(["server"]);
  });

  it("names the processes with lines stored before their tail", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-logs-"));
    dirs.push(dir);
    const store = new LogStore(dir, new Bus(), 1024 * 1024, 2);
    store.append("j", "j.a1", "agent", "agent", ["one", "two", "three"]);
    store.append("j", "j.a1", "decode-0", "stdout", ["only"]);
    expect(store.tail("j", "j.a1", 3).older).toEqual([]);
    const t = store.tail("j", "j.a1", 2);
    expect(t.older).toEqual(["agent"]);
    expect(t.lines.map((l) => `${l.process} ${l.line.split(" ").slice(1).join(" ")}`)).toEqual([
      "agent [agent] two",
      "agent [agent] three",
      "decode-0 only",
    ]);
    expect(store.tail("j", "j.a1", 0, "decode-0")).toEqual({ lines: [], older: ["decode-0"] });
  });

  it("keeps each node's processes apart and reads the whole log back, rotated files and sources merged by time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-logs-"));
    dirs.push(dir);
    const store = new LogStore(dir, new Bus(), 600, 3);
    const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 18, 0, s)).toISOString();
    // node-a's agent writes even seconds, node-b's odd ones: enough lines to rotate each file
    for (let s = 0; s < 40; s += 2) {
      store.append("j", "j.a1-1", "node-a/agent", "agent", [`a ${s} ${"x".repeat(30)}`], [at(s)]);
      store.append("j", "j.a1-1", "node-b/agent", "agent", [`b ${s + 1} ${"x".repeat(30)}`], [at(s + 1)]);
    }
    expect(store.processes("j", "j.a1-1")).toEqual(["node-a/agent", "node-b/agent"]);
    expect(readdirSync(join(dir, "logs", "j", "j.a1-1", "node-a")).length).toBeGreaterThan(1);
    const whole: string[] = [];
    for await (const l of store.whole("j", "j.a1-1"))
      whole.push(`${l.process} ${l.line.split(" ").slice(0, 4).join(" ")}`);
    // 600-byte files, 3 rotations: the oldest lines are gone, every line kept is there in time order
    const kept = whole.map((w) => Number(w.split(" ")[4]));
    expect(kept).toEqual([...kept].sort((x, y) => x - y));
    expect(kept.at(-1)).toBe(39);
    expect(kept.length).toBeGreaterThan(20);
    expect(new Set(kept).size).toBe(kept.length);
    expect(kept.at(-1)! - kept[0]! + 1).toBe(kept.length);
    expect(whole.at(-1)).toBe(`node-b/agent ${at(39)} [agent] b 39`);
    const onlyA: string[] = [];
    for await (const l of store.whole("j", "j.a1-1", ["node-a/agent"])) onlyA.push(l.process);
    expect(new Set(onlyA)).toEqual(new Set(["node-a/agent"]));
  });

  it("refuses path tricks in ids and process names", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-logs-"));
    dirs.push(dir);
    const store = new LogStore(dir, new Bus(), 4096, 1);
    expect(() => store.append("..", "a", "p", "stdout", ["x"])).toThrow();
    expect(() => store.append("j", "a", "../../evil", "stdout", ["x"])).toThrow();
    expect(() => store.append("j", "a", "../evil", "stdout", ["x"])).toThrow();
    expect(() => store.append("j", "a", "node/..", "stdout", ["x"])).toThrow();
    expect(existsSync(join(dir, "evil.log"))).toBe(false);
  });
});
