/**
 * Fault: an agent (`benchfleet agent start`, a real process) is SIGKILLed while the emulated
 * engine of its attempt runs. The engine outlives it. A new agent process on the same data dir
 * reaps that engine before it registers, logs it, and leaves alone a recorded pid whose start time
 * shows it is now another process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { groupMembers, isSameLiveProcess, LeftoverState, procIdentity, STATE_FILE } from "@benchfleet/agent";
import { FakeController, makeAssignment } from "@benchfleet/agent/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { until } from "./helpers/controller.js";

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const killGroup = (pgid: number | undefined) => {
  try {
    if (pgid) process.kill(-pgid, "SIGKILL");
  } catch {
    /* gone */
  }
};

function startAgentProcess(o: { controller: string; agentId: string; ip: string; dataDir: string }) {
  const child = spawnCli(
    [
      "agent",
      "start",
      "--controller",
      o.controller,
      "--token",
      "t0k",
      "--agent-id",
      o.agentId,
      "--emulate-sku",
      "h100",
      "--emulate-gpus",
      "8",
      "--emulate-ip",
      o.ip,
      "--data-dir",
      o.dataDir,
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  const out = { stderr: "" };
  child.stderr?.on("data", (b: Buffer) => (out.stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  cleanups.push(() => killGroup(child.pid));
  return { child, out, exited };
}

const stopped = async (c: ChildProcess, exited: Promise<number | null>) => {
  c.kill("SIGTERM");
  return exited;
};

describe("an agent restarted after SIGKILL", () => {
  it("reaps the engine its dead predecessor left running, before it registers, and nothing else", async () => {
    const c = new FakeController({ token: "t0k", heartbeatIntervalMs: 100 });
    await c.start();
    cleanups.push(() => void c.kill());
    const ip = `127.0.0.${100 + Math.floor(Math.random() * 150)}`;
    const agentId = `reap-h100-${process.pid}`;
    const dataDir = mkdtempSync(join(tmpdir(), "bf-agent-reap-"));
    const first = startAgentProcess({ controller: c.url, agentId, ip, dataDir });
    await c.waitFor(() => c.hellos[0], 20_000, "first agent registered");

    const assignment = makeAssignment(
      {
        attemptId: "att-reap-1",
        gang: [{ agentId, hostname: "localhost", ip, rank: 0, gpuCount: 8, rdmaDevices: [] }],
        portBase: 31_000 + 512 * Math.floor(Math.random() * 30),
      },
      {
        framework: "vllm",
        image: "vllm/vllm-openai:v0.11.0",
        // a load far longer than this test: the engine is busy when the agent dies
        points: [{ concurrency: 2, isl: 128, osl: 1024 }],
        promptsPerConc: 500,
        timeouts: { prepare: 30, launch: 30, ready: 30, warmup: 60, load: 600, eval: 30, teardown: 10 },
      },
    );
    c.send(agentId, { type: "assign", assignment });
    await c.waitFor(() => c.of("member-ready")[0], 20_000, "engine ready");
    const startedLine = await c.waitFor(
      () => c.of("log").flatMap((l) => l.lines.filter((x) => /^started \S+ \(pgid \d+\)$/.test(x)))[0],
      5000,
      "engine start logged",
    );
    const pgid = Number(/pgid (\d+)/.exec(startedLine)?.[1]);
    cleanups.push(() => killGroup(pgid));
    const engine = procIdentity(pgid);
    expect(engine?.state).not.toBe("Z");

    first.child.kill("SIGKILL");
    await first.exited;
    await new Promise((r) => setTimeout(r, 200));
    // the engine outlived its agent, and the state file says so
    expect(isSameLiveProcess({ pid: pgid, startTicks: engine?.startTicks ?? "" }, procIdentity(pgid))).toBe(true);
    const state = LeftoverState.parse(JSON.parse(readFileSync(join(dataDir, STATE_FILE), "utf8")));
    expect(state.entries.map((e) => e.group)).toContainEqual({ pgid, startTicks: engine?.startTicks });

    // a recorded pid that is now someone else's process (same pid, other start time): must survive
    const decoy = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    cleanups.push(() => killGroup(decoy.pid));
    const decoyId = await until(() => procIdentity(decoy.pid as number), 2000, "decoy started");
    const wrongTicks = String(Number(decoyId.startTicks) + 13);
    state.entries.push({
      attemptId: "att-old",
      process: "router",
      group: { pgid: decoyId.pid, startTicks: wrongTicks },
      ports: [],
      startedAt: new Date().toISOString(),
    });
    writeFileSync(join(dataDir, STATE_FILE), JSON.stringify(state));

    const second = startAgentProcess({ controller: c.url, agentId, ip, dataDir });
    const hello = await c.waitFor(() => c.hellos[1], 30_000, "second agent registered");
    const log = await until(
      () => (second.out.stderr.includes(`registered as ${agentId}`) ? second.out.stderr : undefined),
      5000,
      "registered logged",
    );
    expect(log.indexOf("leftovers: stopped")).toBeLessThan(log.indexOf(`registered as ${agentId}`));
    // reaped before it registered, one line per thing
    expect(log).toMatch(
      new RegExp(
        `leftovers: stopped process group ${pgid} \\(\\S+ of attempt att-reap-1, ports [\\d,]+\\) with SIGTERM`,
      ),
    );
    expect(log).toContain(
      `leftovers: skipped pid ${decoyId.pid} (router of attempt att-old): it is now another process (start time ${decoyId.startTicks}, recorded ${wrongTicks}); not touched`,
    );
    expect(groupMembers(pgid)).toEqual([]);
    expect(isSameLiveProcess(decoyId, procIdentity(decoyId.pid))).toBe(true);
    expect(hello.health).toMatchObject({ ok: true, reasons: [] });
    expect(() => readFileSync(join(dataDir, STATE_FILE))).toThrow(/ENOENT/);
    expect(await stopped(second.child, second.exited)).toBe(0);
  }, 60_000);
});
