import { describe, expect, it } from "vitest";
import { isSameLiveProcess, type ProcIdentity, parseProcStat } from "./proc-identity.js";
import { planReap } from "./reap-plan.js";
import type { LeftoverEntry } from "./state-file.js";

const id = (pid: number, startTicks: string, over: Partial<ProcIdentity> = {}): ProcIdentity => ({
  pid,
  ppid: 1,
  pgid: pid,
  state: "S",
  startTicks,
  ...over,
});

const entry = (over: Partial<LeftoverEntry> = {}): LeftoverEntry => ({
  attemptId: "att-1",
  process: "worker-0",
  group: { pgid: 4242, startTicks: "1000" },
  ports: [8000],
  startedAt: "2025-01-01T00:00:00.000Z",
  ...over,
});

const plan = (entries: LeftoverEntry[], live: ProcIdentity[], extra: Partial<Parameters<typeof planReap>[0]> = {}) =>
  planReap({
    entries,
    recordedBoot: "boot-a",
    currentBoot: "boot-a",
    identity: (pid) => live.find((p) => p.pid === pid),
    marked: [],
    selfPid: 1,
    ...extra,
  });

describe("parseProcStat", () => {
  it("reads state, ppid, pgid and start time, even when the command has spaces and parentheses", () => {
    const text =
      "4242 (python3 -m (vllm) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 12 0 987654 1000 200 18446744073709551615\n";
    expect(parseProcStat(4242, text)).toEqual({ pid: 4242, ppid: 1, pgid: 4242, state: "S", startTicks: "987654" });
  });

  it("refuses text that is not a stat line", () => {
    expect(parseProcStat(1, "")).toBeUndefined();
    expect(parseProcStat(1, "1 (x) S 1 2")).toBeUndefined();
    expect(parseProcStat(1, "1 (x) S a b c d e f g h i j k l m n o p q r s t")).toBeUndefined();
  });

  it("reads this very process from /proc", async () => {
    const { procIdentity } = await import("./proc-identity.js");
    const me = procIdentity(process.pid);
    expect(me?.pid).toBe(process.pid);
    expect(me?.startTicks).toMatch(/^\d+$/);
  });
});

describe("start-time matching", () => {
  it("is the same process only with the same pid and start time, and not once it is a zombie", () => {
    expect(isSameLiveProcess({ pid: 5, startTicks: "10" }, id(5, "10"))).toBe(true);
    expect(isSameLiveProcess({ pid: 5, startTicks: "10" }, id(5, "11"))).toBe(false);
    expect(isSameLiveProcess({ pid: 5, startTicks: "10" }, id(6, "10"))).toBe(false);
    expect(isSameLiveProcess({ pid: 5, startTicks: "10" }, id(5, "10", { state: "Z" }))).toBe(false);
    expect(isSameLiveProcess({ pid: 5, startTicks: "10" }, undefined)).toBe(false);
  });
});

describe("planReap", () => {
  it("targets a recorded group whose leader is the recorded process", () => {
    const p = plan([entry()], [id(4242, "1000")]);
    expect(p.targets).toMatchObject([{ kind: "group", pgid: 4242, label: "worker-0 of attempt att-1, ports 8000" }]);
    expect(p.notes).toEqual([]);
    expect(p.ports).toEqual([8000]);
  });

  it("leaves a recycled pid alone and says so", () => {
    const p = plan([entry()], [id(4242, "2000")]);
    expect(p.targets).toEqual([]);
    expect(p.notes).toEqual([
      "skipped pid 4242 (worker-0 of attempt att-1, ports 8000): it is now another process (start time 2000, recorded 1000); not touched",
    ]);
  });

  it("notes a group that is gone (or a zombie) and pids recorded before a reboot", () => {
    expect(plan([entry()], []).notes).toEqual([
      "process group 4242 (worker-0 of attempt att-1, ports 8000) already gone",
    ]);
    expect(plan([entry()], [id(4242, "1000", { state: "Z" })]).targets).toEqual([]);
    const rebooted = plan([entry()], [id(4242, "1000")], { currentBoot: "boot-b" });
    expect(rebooted.targets).toEqual([]);
    expect(rebooted.notes[0]).toMatch(/^skipped pid 4242 .*recorded before the node rebooted/);
  });

  it("a recorded leader that left its group is stopped alone, not its new group", () => {
    expect(plan([entry()], [id(4242, "1000", { pgid: 77 })]).targets).toMatchObject([{ kind: "pid", pid: 4242 }]);
  });

  it("targets a recorded container whatever the processes", () => {
    const e = entry({ group: undefined, container: { name: "bf-att-1-worker-0", binary: "docker" } });
    expect(plan([e], []).targets).toMatchObject([{ kind: "container", name: "bf-att-1-worker-0", binary: "docker" }]);
  });

  it("targets the Slurm jobs a process submitted, on any boot, beside its group", () => {
    const e = entry({ slurmJobs: ["41", "42"] });
    const p = plan([e], [], { recordedBoot: "boot-a", currentBoot: "boot-b" });
    expect(p.targets).toMatchObject([
      { kind: "slurm-job", jobId: "41", entry: e },
      { kind: "slurm-job", jobId: "42", entry: e },
    ]);
    expect(p.notes).toEqual([expect.stringContaining("recorded before the node rebooted")]);
  });

  it("adds marked processes outside the recorded groups, never itself or zombies", () => {
    const marked = [
      { proc: id(4243, "1001", { pgid: 4242 }), attemptId: "att-1" }, // inside the recorded group
      { proc: id(5000, "3000"), attemptId: "att-1" }, // escaped, or never recorded
      { proc: id(1, "1"), attemptId: "att-1" }, // self
      { proc: id(6000, "1", { state: "Z" }), attemptId: "att-1" },
    ];
    const p = plan([entry()], [id(4242, "1000")], { marked });
    expect(p.targets.map((t) => (t.kind === "group" ? `g${t.pgid}` : t.kind === "pid" ? `p${t.pid}` : t.kind))).toEqual(
      ["g4242", "p5000"],
    );
  });
});
