/**
 * The reaper against real processes: what a dead agent's state file records is stopped (SIGTERM,
 * then SIGKILL), a recorded pid now owned by another process is not touched, marked processes that
 * were never recorded are found, containers are removed with the docker launcher's rm argv (run by
 * a stand-in CLI script: there is no docker engine here), and a refused signal (EPERM) is reported.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { dockerRemoveArgs } from "../launchers/docker.js";
import { MARK_ENV, markPrefix } from "./marker.js";
import { bootId, isSameLiveProcess, procIdentity } from "./proc-identity.js";
import { reapLeftovers, unreapedReasons } from "./reaper.js";
import { type LeftoverEntry, LeftoverStore, STATE_FILE } from "./state-file.js";

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      if (c.pid) process.kill(-c.pid, "SIGKILL");
    } catch {
      try {
        c.kill("SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
});

/** a detached process (its own group) that prints its pids once ready; optionally with a child and deaf to SIGTERM */
async function engine(o: { child?: boolean; deaf?: boolean; env?: Record<string, string>; uid?: number } = {}) {
  const script = `
    ${o.deaf ? 'process.on("SIGTERM", () => {});' : ""}
    const pids = [process.pid];
    if (${!!o.child}) pids.push(require("node:child_process").spawn("sleep", ["60"], { stdio: "ignore" }).pid);
    console.log(pids.join(" "));
    setInterval(() => {}, 1000);`;
  const c = spawn(process.execPath, ["-e", script], {
    detached: true,
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, ...o.env },
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}),
  });
  started.push(c);
  const line = await new Promise<string>((resolve) => c.stdout?.once("data", (b: Buffer) => resolve(b.toString())));
  const pids = line.trim().split(" ").map(Number);
  const id = procIdentity(pids[0]);
  if (!id) throw new Error("engine exited at once");
  return { pid: pids[0], childPid: pids[1], startTicks: id.startTicks };
}

const alive = (pid: number, startTicks?: string) => {
  const now = procIdentity(pid);
  return startTicks ? isSameLiveProcess({ pid, startTicks }, now) : now !== undefined && now.state !== "Z";
};

const entryOf = (e: { pid: number; startTicks: string }, over: Partial<LeftoverEntry> = {}): LeftoverEntry => ({
  attemptId: "att-1",
  process: "worker-0",
  group: { pgid: e.pid, startTicks: e.startTicks },
  ports: [8000],
  startedAt: new Date().toISOString(),
  ...over,
});

function recorded(entries: LeftoverEntry[]): string {
  const dir = mkdtempSync(join(tmpdir(), "bf-reap-"));
  const before = new LeftoverStore(dir, bootId());
  for (const e of entries) before.add(e);
  return dir;
}

async function reap(dir: string, prefix = markPrefix("node-a", dir), graceMs = 2000) {
  const lines: string[] = [];
  const report = await reapLeftovers({
    store: new LeftoverStore(dir, bootId()),
    prefix,
    boot: bootId(),
    graceMs,
    log: (l) => lines.push(l),
  });
  return { report, lines };
}

describe("reapLeftovers", () => {
  it("stops a recorded group with its children; a recorded pid with another start time is not touched", async () => {
    const eng = await engine({ child: true });
    const unrelated = await engine();
    const dir = recorded([
      entryOf(eng),
      entryOf({ pid: unrelated.pid, startTicks: String(Number(unrelated.startTicks) + 7) }, { process: "router" }),
    ]);
    const { report, lines } = await reap(dir);
    expect(alive(eng.pid)).toBe(false);
    expect(alive(eng.childPid)).toBe(false);
    expect(alive(unrelated.pid, unrelated.startTicks)).toBe(true);
    expect(report.reaped).toEqual([
      `stopped process group ${eng.pid} (worker-0 of attempt att-1, ports 8000) with SIGTERM`,
    ]);
    expect(lines).toContain(
      `leftovers: skipped pid ${unrelated.pid} (router of attempt att-1, ports 8000): it is now another process (start time ${unrelated.startTicks}, recorded ${Number(unrelated.startTicks) + 7}); not touched`,
    );
    expect(lines.at(-1)).toBe("leftovers of a previous run: 1 reaped, 0 could not be");
    expect(report.ports).toEqual([8000]);
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it("SIGKILLs what ignores SIGTERM once the grace is over", async () => {
    const eng = await engine({ deaf: true });
    const t0 = Date.now();
    const { report } = await reap(recorded([entryOf(eng)]), undefined, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(alive(eng.pid)).toBe(false);
    expect(report.reaped).toEqual([
      `stopped process group ${eng.pid} (worker-0 of attempt att-1, ports 8000) with SIGKILL after 300 ms`,
    ]);
  });

  it("finds processes carrying this agent's marker that were never recorded, not another agent's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-reap-"));
    const prefix = markPrefix("node-a", dir);
    const mine = await engine({ env: { [MARK_ENV]: `${prefix}att-7` } });
    const other = await engine({ env: { [MARK_ENV]: `${markPrefix("node-a", `${dir}-other`)}att-7` } });
    const { report } = await reap(dir, prefix);
    expect(report.reaped).toEqual([`stopped pid ${mine.pid} (marked for attempt att-7) with SIGTERM`]);
    expect(alive(mine.pid)).toBe(false);
    expect(alive(other.pid, other.startTicks)).toBe(true);
  });

  it("removes a recorded container with the docker launcher's rm argv; a failing CLI is reported and kept", async () => {
    expect(dockerRemoveArgs("bf-att-1-worker-0")).toEqual(["rm", "--force", "bf-att-1-worker-0"]);
    const bin = mkdtempSync(join(tmpdir(), "bf-reap-bin-"));
    const argsFile = join(bin, "args");
    writeFileSync(join(bin, "docker-ok"), `#!/bin/sh\necho "$@" >> ${argsFile}\n`, { mode: 0o755 });
    writeFileSync(join(bin, "docker-down"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const container = (name: string, binary: string) =>
      entryOf({ pid: 0, startTicks: "0" }, { group: undefined, container: { name, binary }, process: name });
    const dir = recorded([container("bf-a", join(bin, "docker-ok")), container("bf-b", join(bin, "docker-down"))]);
    const { report } = await reap(dir);
    expect(readFileSync(argsFile, "utf8")).toBe("rm --force bf-a\n");
    expect(report.reaped).toEqual(["removed container bf-a (bf-a of attempt att-1, ports 8000)"]);
    expect(report.failures).toEqual([
      {
        what: "container bf-b (bf-b of attempt att-1, ports 8000)",
        why: `${join(bin, "docker-down")} rm failed: Cannot connect to the Docker daemon`,
        pids: [],
      },
    ]);
    expect(unreapedReasons(report.failures)).toHaveLength(1);
    // kept for the next start
    const left = new LeftoverStore(dir, undefined).read();
    expect(left?.ok && left.state.entries.map((e) => e.container?.name)).toEqual(["bf-b"]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    "a refused signal (EPERM) is reported with the pids, never as reaped",
    async () => {
      // the reaper runs as nobody; the leftover engine is root's: the kernel refuses the signal
      const eng = await engine();
      const dir = recorded([entryOf(eng)]);
      chmodSync(dir, 0o777);
      chmodSync(join(dir, STATE_FILE), 0o666);
      const script = join(dir, "reap-as-nobody.mts");
      const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
      writeFileSync(
        script,
        `import { reapLeftovers } from ${JSON.stringify(here("./reaper.ts"))};
       import { LeftoverStore } from ${JSON.stringify(here("./state-file.ts"))};
       import { bootId } from ${JSON.stringify(here("./proc-identity.ts"))};
       const lines: string[] = [];
       const r = await reapLeftovers({ store: new LeftoverStore(${JSON.stringify(dir)}, bootId()), prefix: "x:", boot: bootId(), graceMs: 200, log: (l) => lines.push(l) });
       console.log(JSON.stringify({ r, lines }));`,
        { mode: 0o644 },
      );
      const res = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script], {
        uid: 65534,
        gid: 65534,
        encoding: "utf8",
        cwd: here("../../../"),
        timeout: 20_000,
      });
      expect(res.status, res.stderr).toBe(0);
      const { r, lines } = JSON.parse(res.stdout.trim().split("\n").pop() as string);
      expect(alive(eng.pid, eng.startTicks)).toBe(true);
      expect(r.reaped).toEqual([]);
      expect(r.failures).toEqual([
        {
          what: `process group ${eng.pid} (worker-0 of attempt att-1, ports 8000)`,
          why: "EPERM: not permitted to signal it (another user's process?)",
          pids: [{ pid: eng.pid, startTicks: eng.startTicks }],
        },
      ]);
      expect(lines).toContain(
        `leftovers: cannot reap process group ${eng.pid} (worker-0 of attempt att-1, ports 8000): EPERM: not permitted to signal it (another user's process?)`,
      );
      expect(unreapedReasons(r.failures)).toEqual([
        `a previous agent run left process group ${eng.pid} (worker-0 of attempt att-1, ports 8000) running and it could not be stopped (EPERM: not permitted to signal it (another user's process?)): pids ${eng.pid}`,
      ]);
      // still recorded for the next start; once it is gone, the health reason goes too
      expect(existsSync(join(dir, STATE_FILE))).toBe(true);
      process.kill(eng.pid, "SIGKILL");
      for (let i = 0; i < 40 && alive(eng.pid); i++) await new Promise((res) => setTimeout(res, 25));
      expect(unreapedReasons(r.failures)).toEqual([]);
    },
  );
});
