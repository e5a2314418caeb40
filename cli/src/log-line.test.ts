import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus, LogStore } from "@benchfleet/controller";
import { afterEach, describe, expect, it } from "vitest";
import { describeFrame } from "./commands/events.js";
import { printedLiveLogLine, printedLogLine } from "./log-line.js";

describe("CLI log lines", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("prints a stored line and the same line arriving live identically, each tagged once", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-log-line-"));
    dirs.push(dir);
    const bus = new Bus();
    const live: string[] = [];
    bus.subscribe((e) => {
      if (e.kind === "log") for (const l of e.lines) live.push(printedLiveLogLine(e.process, e.stream, l));
    });
    const store = new LogStore(dir, bus, 1 << 20, 2);
    store.append("j", "j.a1-1", "agent", "agent", ["phase load started (timeout 3600 s)"]);
    store.append("j", "j.a1-1", "worker-0-rank0", "stdout", ["listening on http://127.0.0.12:10816"]);
    store.append("j", "j.a1-1", "worker-0-rank0", "stderr", ["CUDA out of memory"]);

    const tailed = store.tail("j", "j.a1-1", 10).map((l) => printedLogLine(l.process, l.line));
    expect(tailed).toEqual([
      "[agent] phase load started (timeout 3600 s)", // was "[agent] [agent] phase …" from the tail
      "[worker-0-rank0] listening on http://127.0.0.12:10816",
      "[worker-0-rank0] [stderr] CUDA out of memory", // live lines lost the [stderr] tag
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
          { process: "agent", line: "[agent] gang ready" },
          { process: "engine", line: "[stderr] warning" },
        ],
      },
    });
    const agentLive = describeFrame({
      type: "event",
      event: { kind: "log", jobId: "j", attemptId: "j.a1-1", process: "agent", stream: "agent", lines: ["gang ready"] },
    });
    const engineLive = describeFrame({
      type: "event",
      event: { kind: "log", jobId: "j", attemptId: "j.a1-1", process: "engine", stream: "stderr", lines: ["warning"] },
    });
    expect(snapshot).toBe(`${agentLive}\n${engineLive}`);
    expect(snapshot).toBe("[agent] gang ready\n[engine] [stderr] warning");
  });
});
