import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus, LogStore } from "@benchfleet/controller";
import { printedLogLine } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { describeFrame } from "./commands/events.js";
import { printedLiveLogLine } from "./log-line.js";

const T = ["2026-12-04T18:00:00.000Z", "2026-12-04T18:00:01.250Z", "2026-12-04T18:00:02.500Z"];

describe("CLI log lines", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("prints a stored line and the same line arriving live identically: time first, tagged once", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-log-line-"));
    dirs.push(dir);
    const bus = new Bus();
    const live: string[] = [];
    bus.subscribe((e) => {
      if (e.kind === "log")
        e.lines.forEach((l, i) => {
          live.push(printedLiveLogLine(e.process, e.stream, l, e.times[i]!));
        });
    });
    const store = new LogStore(dir, bus, 1 << 20, 2);
    store.append("j", "j.a1-1", "agent", "agent", ["phase load started (timeout 3600 s)"], [T[0]!]);
    store.append("j", "j.a1-1", "worker-0-rank0", "stdout", ["listening on http://127.0.0.12:10816"], [T[1]!]);
    store.append("j", "j.a1-1", "node-b/prefill-0", "stderr", ["CUDA out of memory"], [T[2]!]);
    store.append("j", "j.a1-1", "node-b/agent", "agent", ["phase load finished"], [T[2]!]);

    const tailed = store.tail("j", "j.a1-1", 10).lines.map((l) => printedLogLine(l.process, l.line));
    expect(tailed).toEqual([
      `${T[0]} [agent] phase load started (timeout 3600 s)`,
      `${T[2]} [node-b agent] phase load finished`,
      `${T[2]} [node-b prefill-0] [stderr] CUDA out of memory`,
      `${T[1]} [worker-0-rank0] listening on http://127.0.0.12:10816`,
    ]);
    expect([...live].sort()).toEqual([...tailed].sort());
  });

  it("events --job --logs: the snapshot and live frames print the same lines", () => {
    const snapshot = describeFrame({
      type: "snapshot",
      topic: "job-logs",
      data: {
        attemptId: "j.a1-1",
        lines: [
          { process: "node-a/agent", at: T[0], line: "[agent] gang ready" },
          { process: "engine", at: T[1], line: "[stderr] warning" },
        ],
      },
    });
    const agentLive = describeFrame({
      type: "event",
      event: {
        kind: "log",
        jobId: "j",
        attemptId: "j.a1-1",
        process: "node-a/agent",
        stream: "agent",
        lines: ["gang ready"],
        times: [T[0]],
      },
    });
    const engineLive = describeFrame({
      type: "event",
      event: {
        kind: "log",
        jobId: "j",
        attemptId: "j.a1-1",
        process: "engine",
        stream: "stderr",
        lines: ["warning"],
        times: [T[1]],
      },
    });
    expect(snapshot).toBe(`${agentLive}\n${engineLive}`);
    expect(snapshot).toBe(`${T[0]} [node-a agent] gang ready\n${T[1]} [engine] [stderr] warning`);
  });

  it("a line stored without a time prints as before", () => {
    expect(printedLogLine("agent", "[agent] old line")).toBe("[agent] old line");
  });
});
