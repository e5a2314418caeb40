import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentMessage, PhaseMsg } from "@benchfleet/shared";
import { freePort } from "@benchfleet/shared";
import { makeAgenticResult } from "@benchfleet/shared/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_GSM8K_DIR } from "./eval/gsm8k-dataset.js";
import { AttemptExecutor, type ExecutorDeps } from "./executor.js";
import { ProcessLauncher } from "./launchers/process.js";
import { groupAlive } from "./launchers/process-group.js";
import type { SpooledMessage } from "./spool.js";
import { fixtureEngineArgv, makeAssignment, onePlan, processSpec } from "./test-support/assignment.js";
import { loadEvalRunner, loadgenPointRunner } from "./workloads.js";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function harness(plan: ReturnType<typeof onePlan>, over: Partial<ExecutorDeps> = {}) {
  const sent: AgentMessage[] = [];
  const reliable: SpooledMessage[] = [];
  const deps: ExecutorDeps = {
    launcher: new ProcessLauncher(),
    buildPlan: () => plan,
    runPoint: loadgenPointRunner,
    preflight: async () => ({ ok: true, reasons: [], checkedAt: new Date().toISOString() }),
    io: { send: (m) => sent.push(m), sendReliable: (m) => reliable.push(m) },
    vendor: "nvidia",
    dataDir: mkdtempSync(join(tmpdir(), "bf-exec-")),
    readyIntervalMs: 50,
    stopGraceMs: 2000,
    ...over,
  };
  const phases = () => sent.filter((m): m is PhaseMsg => m.type === "phase").map((m) => `${m.phase}:${m.status}`);
  return { deps, sent, reliable, phases };
}

describe("attempt executor", () => {
  it("a multi-node lab script on a launcher other than slurm fails in launch, naming why", async () => {
    const script = { path: "benchmarks/multi_node/x_fp8_h200_llmd-vllm-disagg.sh", sha256: "a".repeat(64) };
    const spec = processSpec({ name: "lab-script", kind: "lab-script", argv: ["bash", script.path] });
    const h = harness({ ...onePlan(spec, 1), script });
    const a = makeAssignment({}, { multinode: true, mode: "script", labScript: script });
    const out = await new AttemptExecutor(a, h.deps).run();
    expect(out).toMatchObject({
      status: "failed",
      phase: "launch",
      retryable: false,
      reason: `script mode: the lab's multi-node script ${script.path} submits its own Slurm job; run it on a Slurm login-node agent (--launcher slurm), not the process launcher`,
    });
    expect(h.reliable.filter((m) => m.type === "point-result")).toEqual([]);
  });

  it("runs every phase against a real engine process, sends each point's result, tears down", async () => {
    const port = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const h = harness(onePlan(spec, port));
    const ex = new AttemptExecutor(makeAssignment(), h.deps);
    const run = ex.run();
    // the single-node gang: the controller's relay is simulated by answering member-ready
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    ex.onGangReady({ type: "gang-ready", attemptId: "att-1", fencingToken: 1, members: [{ rank: 0, endpoints: {} }] });
    const out = await run;
    expect(out).toMatchObject({ status: "succeeded", pointsSent: 2 });
    expect(h.phases()).toEqual([
      "prepare:started",
      "prepare:finished",
      "launch:started",
      "launch:finished",
      "ready:started",
      "ready:finished",
      "warmup:started",
      "warmup:finished",
      "load:started",
      "load:finished",
      "teardown:started",
      "teardown:finished",
    ]);
    const points = h.reliable.filter((m) => m.type === "point-result");
    expect(points.map((p) => p.type === "point-result" && p.result.point.concurrency)).toEqual([2, 4]);
    for (const p of points) {
      if (p.type !== "point-result") continue;
      expect(p.result.status).toBe("ok");
      expect(p.result.bench.completed).toBe(p.result.point.concurrency * 2);
      expect(p.result.energy).toMatchObject({
        complete: false,
        totalEnergyJ: null,
        note: "no GPU telemetry on this node",
      });
      expect(p.msgId).toMatch(/^att-1\.c\d+-i128-o16$/);
    }
    const fin = h.reliable.at(-1);
    expect(fin).toMatchObject({ type: "attempt-finished", status: "succeeded", msgId: "att-1.final" });
    expect(Object.keys(fin?.type === "attempt-finished" ? fin.phaseDurationsMs : {})).toEqual([
      "prepare",
      "launch",
      "ready",
      "warmup",
      "load",
      "teardown",
    ]);
    // engine logs were streamed, and the engine is gone
    expect(h.sent.some((m) => m.type === "log" && m.process === "worker-0")).toBe(true);
    const pid = ex.processes[0].pid as number;
    expect(groupAlive(pid)).toBe(false);
  });

  it("evaluates at each of the deployment's eval concurrencies against the same server", async () => {
    const port = await freePort();
    const gsm8k = join(DEFAULT_GSM8K_DIR, "test.jsonl");
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port, ["--gsm8k", gsm8k, "--gsm8k-accuracy", "1"]),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const h = harness(onePlan(spec, port), { runEval: await loadEvalRunner() });
    const ex = new AttemptExecutor(
      makeAssignment({ runEval: true }, { eval: true, evalLimit: 8, evalConc: 4, evalConcs: [2, 4] }),
      h.deps,
    );
    const run = ex.run();
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    ex.onGangReady({ type: "gang-ready", attemptId: "att-1", fencingToken: 1, members: [{ rank: 0, endpoints: {} }] });
    expect(await run).toMatchObject({ status: "succeeded" });
    const evals = h.reliable.filter((m) => m.type === "eval-result");
    expect(
      evals.map((m) => m.type === "eval-result" && { id: m.msgId, conc: m.result.concurrency, n: m.result.n }),
    ).toEqual([
      { id: "att-1.eval-c2", conc: 2, n: 8 },
      { id: "att-1.eval-c4", conc: 4, n: 8 },
    ]);
    expect(h.phases()).toContain("eval:finished");
  });

  it("agentic points get no random warm-up: the replay warms up inside its trajectories", async () => {
    const port = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const replayed: number[] = [];
    const h = harness(onePlan(spec, port), {
      runPoint: async (o) => {
        replayed.push(o.point.concurrency);
        expect(o.agentic?.durationS).toBe(60);
        return makeAgenticResult({
          concurrency: o.point.concurrency,
          tputPerGpu: 100,
          interactivity: 50,
          hitRate: 0.5,
        });
      },
    });
    const agenticPoints = [{ concurrency: 2, isl: 0, osl: 0, durationS: 60 }];
    const ex = new AttemptExecutor(
      makeAssignment(
        { points: agenticPoints },
        {
          scenario: "agentic-coding",
          isl: 0,
          osl: 0,
          points: agenticPoints,
          agentic: { durationS: 60, kvOffloading: "none", dramOffloadGb: 0 },
        },
      ),
      h.deps,
    );
    const run = ex.run();
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    ex.onGangReady({ type: "gang-ready", attemptId: "att-1", fencingToken: 1, members: [{ rank: 0, endpoints: {} }] });
    expect((await run).status).toBe("succeeded");
    expect(replayed).toEqual([2]);
    const agentLines = h.sent.flatMap((m) => (m.type === "log" && m.process === "agent" ? m.lines : []));
    expect(agentLines).toContain("warmup: none before agentic points: each replay warms up inside its trajectories");
    expect(agentLines.some((l) => /^warmup: \d+ ok/.test(l))).toBe(false);
  });

  it("reports the load generator's progress inside each point, naming the point", async () => {
    const port = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const intervals: Array<number | undefined> = [];
    const h = harness(onePlan(spec, port), {
      progressIntervalMs: 50,
      runPoint: async (o) => {
        intervals.push(o.progressIntervalMs);
        // what the load generator reports: a calibration (not sent), then the measured run
        const base = { inFlight: 1, errors: 0, elapsedS: 1.5, requestsPerS: 2, outputTokensPerS: 48 };
        o.onProgress?.({ ...base, done: 0, total: 0, phase: "calibrate" });
        o.onProgress?.({ ...base, done: 3, total: o.numPrompts, phase: "run" });
        return loadgenPointRunner(o);
      },
    });
    const ex = new AttemptExecutor(makeAssignment(), h.deps);
    const run = ex.run();
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    ex.onGangReady({ type: "gang-ready", attemptId: "att-1", fencingToken: 1, members: [{ rank: 0, endpoints: {} }] });
    expect((await run).status).toBe("succeeded");
    expect(intervals).toEqual([50, 50]);
    const progress = h.sent.flatMap((m) => (m.type === "progress" ? [m] : []));
    // the injected reports, in point order; the load generator's own (every 50 ms) come beside them
    const injected = progress.filter((m) => m.elapsedS === 1.5 && m.done === 3);
    expect(injected.map((m) => [m.pointIndex, m.points, m.concurrency, m.stage, m.done, m.total])).toEqual([
      [0, 2, 2, "run", 3, 4],
      [1, 2, 4, "run", 3, 8],
    ]);
    expect(progress.map((m) => m.pointIndex)).toEqual([...progress.map((m) => m.pointIndex)].sort());
    for (const m of progress) expect(m.done).toBeLessThanOrEqual(m.total);
    expect(injected[0]).toMatchObject({ attemptId: "att-1", fencingToken: 1, outputTokensPerS: 48, elapsedS: 1.5 });
  });

  it("a load point spoiled by infrastructure errors (router 503s, resets) is measured again, never stored as measured", async () => {
    const run = async (spoiledTries: number) => {
      const port = await freePort();
      const spec = processSpec({
        name: "worker-0",
        argv: fixtureEngineArgv(port),
        ports: { http: port },
        health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
      });
      let calls = 0;
      const h = harness(onePlan(spec, port), {
        infraRetryPauseMs: () => 10,
        runPoint: async (o) => {
          const r = await loadgenPointRunner(o);
          calls++;
          // the router in front of the engine is not ready yet: part of the requests get 503
          return calls <= spoiledTries
            ? { ...r, status: "failed", failures: { ...r.failures, http_503: 51, connection_error: 2 } }
            : r;
        },
      });
      const ex = new AttemptExecutor(makeAssignment(), h.deps);
      const done = ex.run();
      await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
      ex.onGangReady({
        type: "gang-ready",
        attemptId: "att-1",
        fencingToken: 1,
        members: [{ rank: 0, endpoints: {} }],
      });
      return { out: await done, h, calls: () => calls };
    };
    // spoiled twice, clean on the third try: the clean run is the stored one
    const once = await run(2);
    expect(once.out.status).toBe("succeeded");
    const stored = once.h.reliable.filter((m) => m.type === "point-result");
    expect(stored).toHaveLength(2);
    for (const p of stored) if (p.type === "point-result") expect(p.result.failures.http_503).toBeUndefined();
    expect(once.calls()).toBe(4);
    // spoiled every time: the attempt fails as retryable and nothing is stored for the point
    const always = await run(99);
    expect(always.out).toMatchObject({ status: "failed", retryable: true, phase: "load" });
    expect(always.out.reason).toMatch(/infrastructure errors \(http_503×51, connection_error×2\) in each of 3 tries/);
    expect(always.h.reliable.filter((m) => m.type === "point-result")).toHaveLength(0);
    expect(always.calls()).toBe(3);
  }, 60_000);

  it("fails a phase that exceeds its timeout, with the reason, and still tears down", async () => {
    const port = await freePort();
    // the engine listens on `port` but the health check asks a port nothing serves
    const dead = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${dead}/health` }],
    });
    const h = harness(onePlan(spec, port));
    const a = makeAssignment(
      {},
      { timeouts: { prepare: 5, launch: 5, ready: 0.8, warmup: 5, load: 5, eval: 5, teardown: 5 } },
    );
    const ex = new AttemptExecutor(a, h.deps);
    const out = await ex.run();
    expect(out).toMatchObject({
      status: "failed",
      phase: "ready",
      retryable: true,
      reason: "ready timed out after 0.8 s",
    });
    expect(h.phases()).toContain("ready:failed");
    expect(h.phases().slice(-2)).toEqual(["teardown:started", "teardown:finished"]);
    expect(groupAlive(ex.processes[0].pid as number)).toBe(false);
    expect(h.reliable.at(-1)).toMatchObject({
      type: "attempt-finished",
      status: "failed",
      phase: "ready",
      retryable: true,
    });
  });

  it("a phase timeout does not count the host's CPU stall, up to the timeout once more", async () => {
    const port = await freePort();
    const dead = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${dead}/health` }],
    });
    const timeouts = { prepare: 5, launch: 5, ready: 0.8, warmup: 5, load: 5, eval: 5, teardown: 5 };
    // a host starved 0.3 s during the phase: the ready timeout runs 0.3 s longer
    let stall = 1000;
    let readyAt = 0;
    const some = harness(onePlan(spec, port), {
      hostCpuStallMs: () => {
        if (!readyAt && some.phases().includes("ready:started")) readyAt = Date.now();
        // starved 0.3 s once the phase has run 0.5 s
        return readyAt && Date.now() - readyAt > 500 ? stall + 300 : stall;
      },
    });
    let t0 = Date.now();
    const out = await new AttemptExecutor(makeAssignment({}, { timeouts }), some.deps).run();
    expect(out.reason).toBe("ready timed out after 0.8 s (and 0.3 s the host was CPU-starved)");
    const readyMs = (
      some.sent.find((m) => m.type === "phase" && m.phase === "ready" && m.status === "failed") as PhaseMsg
    ).durationMs!;
    expect(readyMs).toBeGreaterThanOrEqual(1100);
    // a host starved for good: the timeout at most doubles
    stall = 0;
    const always = harness(onePlan(spec, port), { hostCpuStallMs: () => (stall += 1000) });
    t0 = Date.now();
    const out2 = await new AttemptExecutor(makeAssignment({}, { timeouts }), always.deps).run();
    expect(out2.reason).toBe("ready timed out after 0.8 s (and 0.8 s the host was CPU-starved)");
    const ready2 = (
      always.sent.find((m) => m.type === "phase" && m.phase === "ready" && m.status === "failed") as PhaseMsg
    ).durationMs!;
    expect(ready2).toBeGreaterThanOrEqual(1600);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 40_000);

  it("teardown kills its own process tree (also a child that escaped with setsid) and spares a neighbour with the same name", async () => {
    const port = await freePort();
    // the engine forks a helper `sleep 3141` in its group and one in its own session, then serves
    const script = `sleep 3141 & setsid sleep 3141 & exec ${fixtureEngineArgv(port)
      .map((a) => `'${a}'`)
      .join(" ")}`;
    const spec = processSpec({
      name: "worker-0",
      argv: ["sh", "-c", script],
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const neighbour = spawn("sh", ["-c", "exec sleep 3141"], { detached: true, stdio: "ignore" });
    cleanup.push(() => neighbour.pid && pidAlive(neighbour.pid) && process.kill(neighbour.pid, "SIGKILL"));
    const h = harness(onePlan(spec, port));
    const ex = new AttemptExecutor(makeAssignment({ points: [] }), h.deps);
    const run = ex.run();
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    const mine = childrenNamed("sleep", ex.processes[0].pid as number);
    expect(mine.length).toBe(2);
    ex.cancel("operator cancelled");
    const out = await run;
    expect(out).toMatchObject({ status: "cancelled", reason: "operator cancelled" });
    for (const pid of mine) expect(pidAlive(pid)).toBe(false);
    expect(pidAlive(neighbour.pid as number)).toBe(true);
  });

  it("fails the attempt when the engine dies during the load, and reports what it printed", async () => {
    const port = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const h = harness(onePlan(spec, port), {
      runPoint: async (o) => {
        process.kill(-(ex.processes[0].pid as number), "SIGKILL");
        await new Promise((r) => setTimeout(r, 5000));
        return loadgenPointRunner(o);
      },
    });
    const ex = new AttemptExecutor(makeAssignment(), h.deps);
    const run = ex.run();
    await waitUntil(() => h.sent.some((m) => m.type === "member-ready"));
    ex.onGangReady({ type: "gang-ready", attemptId: "att-1", fencingToken: 1, members: [] });
    const out = await run;
    expect(out).toMatchObject({ status: "failed", phase: "load", retryable: true });
    expect(out.reason).toMatch(/^process worker-0 exited \(code null, SIGKILL\)/);
  });

  it("a failing preflight fails prepare without starting anything; a recipe error is not retryable", async () => {
    const port = await freePort();
    const spec = processSpec({ name: "worker-0", argv: fixtureEngineArgv(port), ports: { http: port } });
    const h = harness(onePlan(spec, port), {
      preflight: async () => ({ ok: false, reasons: ["expected 8 GPUs, found 7"], checkedAt: "" }),
    });
    const out = await new AttemptExecutor(makeAssignment(), h.deps).run();
    expect(out).toMatchObject({
      status: "failed",
      phase: "prepare",
      retryable: true,
      reason: "preflight: expected 8 GPUs, found 7",
    });
    const h2 = harness(onePlan(spec, port), {
      buildPlan: () => {
        throw Object.assign(new Error("unknown framework foo"), { retryable: false });
      },
    });
    const out2 = await new AttemptExecutor(makeAssignment(), h2.deps).run();
    expect(out2).toMatchObject({
      status: "failed",
      phase: "prepare",
      retryable: false,
      reason: "recipe: unknown framework foo",
    });
  });
});

async function waitUntil(fn: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** descendants of root whose command is `name` (from /proc) */
function childrenNamed(name: string, root: number): number[] {
  const { readdirSync, readFileSync } = require("node:fs") as typeof import("node:fs");
  const table = new Map<number, { ppid: number; comm: string }>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      table.set(Number(e), { ppid, comm });
    } catch {}
  }
  const out: number[] = [];
  for (const [pid, { comm }] of table) {
    if (comm !== name) continue;
    let p = table.get(pid)?.ppid;
    // setsid'd children are reparented to init: accept a sleeper whose ancestry or session leads to root
    let hops = 0;
    while (p && p !== root && hops++ < 50) p = table.get(p)?.ppid;
    if (p === root) out.push(pid);
  }
  return out;
}
