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
    const tail = store.tail("job1", "job1.a1-1", 3);
    expect(tail.map((l) => l.line.split(" ").slice(0, 3).join(" "))).toEqual([
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

  it("refuses path tricks in ids and process names", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-logs-"));
    dirs.push(dir);
    const store = new LogStore(dir, new Bus(), 4096, 1);
    expect(() => store.append("..", "a", "p", "stdout", ["x"])).toThrow();
    expect(() => store.append("j", "a", "../../evil", "stdout", ["x"])).toThrow();
    expect(existsSync(join(dir, "evil.log"))).toBe(false);
  });
});
