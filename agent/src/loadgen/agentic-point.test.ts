/**
 * Trace replay against the emulated engine (in this process): growing histories, capped gaps,
 * warm-up, the fixed duration, the failure gates and bad traces.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PointResult, parsePrometheusText, totalsByName } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorHandle, startEmulator } from "../emulator/index.js";
import type { LoadProgress } from "./load-options.js";
import type { RequestRecord } from "./request-record.js";
import { runLoadPoint } from "./run-load-point.js";

let emu: EmulatorHandle;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ sku: "h200", model: "llama3-8b", timeScale: 0.05 });
  dir = await mkdtemp(join(tmpdir(), "agentic-"));
});
afterAll(async () => emu.close());

const small = {
  turns: { min: 4, max: 8 },
  sharedPrefixTokens: 256,
  firstTurnTokens: { median: 200, sigma: 0.3 },
  newTokensPerTurn: { median: 100, sigma: 0.5 },
  outputTokens: { median: 16, sigma: 0.3 },
  gapMs: { median: 40, sigma: 0.5 },
  blockTokens: 64,
};

function mooncake(name: string, lines: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  return file;
}

describe("agentic trace replay", () => {
  it("replays a synthetic trace for the duration with growing per-turn contexts and reports the agentic block", async () => {
    let records: RequestRecord[] = [];
    let t0 = 0n;
    const startedAt = process.hrtime.bigint();
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 4,
      gpus: { total: 2, prefill: 0, decode: 0 },
      agentic: { trace: { synthetic: { seed: 5, trajectories: 6, ...small } }, durationS: 2, graceS: 5 },
      onRecords: (r, t) => {
        records = r;
        t0 = t;
      },
    });
    expect(PointResult.parse(res)).toEqual(res);
    expect(res.status).toBe("ok");
    expect(res.point).toEqual({ concurrency: 4, isl: 0, osl: 0, durationS: 2 });
    const a = res.agentic!;
    expect(a.trace).toMatchObject({ source: "synthetic(seed=5)", trajectories: 6 });
    expect(a.requests.completed).toBe(records.length);
    expect(a.requests.completed).toBeGreaterThan(8);
    expect(a.errorRatio).toBe(0);
    expect(a.failureThreshold).toBe(0.1);
    // the lab's 10 warm-up requests per lane: on trajectories of 4 to 8 turns, all but each one's last
    expect(a.warmup).toMatchObject({ failed: 0, startRatio: [0.25, 0.75], requestsPerLane: 10, cancelled: 0 });
    expect(a.warmup.graceS).toBe(1800);
    expect(a.warmup.requests).toBeGreaterThanOrEqual(4 * 3);
    expect(a.warmup.requests).toBeLessThanOrEqual(4 * 7);
    expect(a.trajectories.started).toBeGreaterThanOrEqual(4);
    expect(a.ttftMs.p99).toBeGreaterThan(0);
    expect(a.itlMs.median).toBeGreaterThan(0);
    expect(a.e2elMs.median).toBeGreaterThan(a.ttftMs.median!);
    expect(a.throughput.totalTokensPerGpu).toBeCloseTo(a.throughput.totalTokensPerS / 2, 6);
    expect(res.bench.completed).toBe(a.requests.completed);
    // each turn is the trace's: the server counted the prompt the trace gives, the answer it asks for
    for (const r of records) {
      expect(r.promptTokens).toBe(r.targetPromptTokens);
      expect(r.outputTokens).toBe(r.targetOutputTokens);
    }
    // within a trajectory replay, contexts grow and the recorded gap separates the turns
    const byConv = new Map<number, RequestRecord[]>();
    for (const r of records) byConv.set(r.conversation!, [...(byConv.get(r.conversation!) ?? []), r]);
    let pairs = 0;
    for (const rs of byConv.values()) {
      rs.sort((x, y) => x.turn! - y.turn!);
      for (let i = 1; i < rs.length; i++) {
        expect(rs[i]!.turn).toBe(rs[i - 1]!.turn! + 1);
        expect(rs[i]!.promptTokens).toBeGreaterThan(rs[i - 1]!.promptTokens + rs[i - 1]!.outputTokens - 1);
        expect(rs[i]!.startNs).toBeGreaterThanOrEqual(rs[i - 1]!.endNs);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(4);
    // nothing is sent after the measured duration
    const firstSend = Math.min(...records.map((r) => r.startNs));
    for (const r of records) expect(r.startNs - firstSend).toBeLessThan(2.05e9);
    expect(Number(process.hrtime.bigint() - startedAt)).toBeLessThan(20e9);
    expect(t0).toBeGreaterThan(0n);
  }, 60_000);

  it("on worker threads each replays its share of the lanes; the figures add up to one replay", async () => {
    let records: RequestRecord[] = [];
    const progress: LoadProgress[] = [];
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 6,
      workers: 3,
      gpus: { total: 1, prefill: 0, decode: 0 },
      agentic: {
        trace: { synthetic: { seed: 9, trajectories: 8, ...small } },
        durationS: 2,
        graceS: 5,
        warmupRequestsPerLane: 1,
      },
      onRecords: (r) => {
        records = r;
      },
      progressIntervalMs: 100,
      onProgress: (p) => progress.push(p),
    });
    expect(res.status, res.failureReason).toBe("ok");
    const a = res.agentic!;
    // one warm-up request per lane, from all three threads
    expect(a.warmup.requests).toBe(6);
    expect(a.trajectories.started).toBeGreaterThanOrEqual(6);
    expect(a.requests.completed).toBe(records.length);
    expect(a.gaps.meanSleptMs).toBeGreaterThan(0);
    expect(res.bench.completed).toBe(records.length);
    // six lanes, each its own trajectory replay with growing turns, on the caller's clock
    const convs = new Map<number, RequestRecord[]>();
    for (const r of records) convs.set(r.conversation!, [...(convs.get(r.conversation!) ?? []), r]);
    expect(convs.size).toBeGreaterThanOrEqual(6);
    // a replay's turns come from one thread: no turn twice, each after the one before it
    for (const rs of convs.values()) {
      rs.sort((x, y) => x.turn! - y.turn!);
      for (let i = 1; i < rs.length; i++) {
        expect(rs[i]!.turn).toBe(rs[i - 1]!.turn! + 1);
        expect(rs[i]!.startNs).toBeGreaterThanOrEqual(rs[i - 1]!.endNs);
      }
    }
    const firstSend = Math.min(...records.map((r) => r.startNs));
    for (const r of records) expect(r.startNs - firstSend).toBeLessThan(2.3e9);
    const client = (res.bench as { benchfleet?: { client?: { workers?: number } } }).benchfleet?.client;
    expect(client?.workers).toBe(3);
    // the measured run's progress: turns done of those expected by the end of the duration, all threads summed
    const run = progress.filter((p) => p.phase === "run" && p.done > 0);
    expect(run.length).toBeGreaterThan(3);
    for (const p of run) expect(p.timed && p.total >= p.done).toBe(true);
    const last = run.at(-1)!;
    expect(last.total).toBeGreaterThanOrEqual(records.length * 0.7);
    expect(last.total).toBeLessThanOrEqual(records.length * 1.6);
  }, 60_000);

  it("a warm-up that does not drain within its grace is cancelled and measuring starts", async () => {
    // a real HTTP server in front of the emulator whose streamed one-token requests (the warm-up's)
    // never answer; calibration (not streamed) and the measured turns pass through
    let held = 0;
    const upstream = new URL(emu.url);
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const json = body.length ? (JSON.parse(body.toString()) as { stream?: boolean; max_tokens?: number }) : {};
        if (json.stream && json.max_tokens === 1) {
          held++;
          return;
        }
        const up = httpRequest(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on("error", () => res.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
    try {
      let records: RequestRecord[] = [];
      const started = Date.now();
      const res = await runLoadPoint({
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        model: "m",
        isl: 0,
        osl: 0,
        concurrency: 3,
        agentic: {
          trace: { synthetic: { seed: 11, trajectories: 3, ...small, turns: { min: 6, max: 8 } } },
          durationS: 1,
          graceS: 5,
          startRatio: [0.5, 0.5],
          warmupRequestsPerLane: 2,
          warmupGraceS: 0.3,
        },
        onRecords: (r) => {
          records = r;
        },
      });
      const a = res.agentic!;
      expect(res.status, res.failureReason).toBe("ok");
      // each lane's first warm-up request was held: cancelled at the grace's end, no lane sent its second
      expect(held).toBe(3);
      expect(a.warmup).toMatchObject({ requests: 0, failed: 0, cancelled: 3, graceS: 0.3, requestsPerLane: 2 });
      // cancelled warm-ups are neither measured nor failed; the measured turns start where warm-up stopped
      expect(a.requests.failed).toBe(0);
      expect(a.errorRatio).toBe(0);
      expect(a.requests.completed).toBeGreaterThan(0);
      for (let lane = 0; lane < 3; lane++) {
        const first = records.filter((r) => r.conversation === lane).sort((x, y) => x.turn! - y.turn!)[0];
        expect(first?.turn).toBeGreaterThanOrEqual(3);
      }
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      proxy.closeAllConnections();
      await new Promise((ok) => proxy.close(ok));
    }
  }, 60_000);

  it("session headers carry each conversation's id on every one of its requests", async () => {
    const seen: { key: string | undefined; session: string | undefined }[] = [];
    const upstream = new URL(emu.url);
    const proxy = createServer((req, res) => {
      if (req.url?.endsWith("/chat/completions") && req.headers.accept === "text/event-stream") {
        const key = req.headers["x-smg-routing-key"];
        const session = req.headers["x-session-id"];
        seen.push({
          key: typeof key === "string" ? key : undefined,
          session: typeof session === "string" ? session : undefined,
        });
      }
      const up = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
    try {
      let records: RequestRecord[] = [];
      const res = await runLoadPoint({
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        model: "m",
        isl: 0,
        osl: 0,
        concurrency: 3,
        agentic: {
          trace: { synthetic: { seed: 13, trajectories: 3, ...small } },
          durationS: 1,
          graceS: 5,
          warmupRequestsPerLane: 1,
          keyspace: 35,
          sessionHeaders: ["x-smg-routing-key", "x-session-id"],
        },
        onRecords: (r) => {
          records = r;
        },
      });
      expect(res.status, res.failureReason).toBe("ok");
      expect(seen.length).toBeGreaterThanOrEqual(records.length);
      // both headers name the same conversation: the point's keyspace and the trajectory replay
      for (const s of seen) {
        expect(s.key).toMatch(/^z-\d+$/);
        expect(s.session).toBe(s.key);
      }
      const ids = new Set(seen.map((s) => s.key));
      expect(ids.size).toBeGreaterThanOrEqual(3);
      expect(ids.size).toBeLessThan(seen.length);
    } finally {
      proxy.closeAllConnections();
      await new Promise((ok) => proxy.close(ok));
    }
  }, 60_000);

  it("the whole system idle past its cap advances the pending gaps; with anything in flight it does not", async () => {
    const lines = [];
    for (let t = 0; t < 6; t++)
      lines.push({ timestamp: t * 2000, input_length: 200 + t * 50, output_length: 4, hash_ids: [t], session_id: "s" });
    const file = mooncake("system-idle.jsonl", lines);
    const run = async (systemIdleCapS: number) => {
      let records: RequestRecord[] = [];
      const res = await runLoadPoint({
        baseUrl: emu.url,
        model: "m",
        isl: 0,
        osl: 0,
        concurrency: 1,
        agentic: { trace: { file }, durationS: 2.5, startRatio: [0, 0], warmupRequestsPerLane: 0, systemIdleCapS },
        onRecords: (r) => {
          records = r;
        },
      });
      expect(res.status, res.failureReason).toBe("ok");
      const rs = records.filter((r) => r.success).sort((x, y) => x.startNs - y.startNs);
      const idle = rs.slice(1).map((r, i) => (r.startNs - rs[i]!.endNs) / 1e6);
      return { a: res.agentic!, idle, sent: rs.length };
    };
    // one lane: the system is idle through every recorded gap of about 2 s, cut at 0.2 s
    const capped = await run(0.2);
    expect(capped.sent).toBeGreaterThanOrEqual(4);
    for (const ms of capped.idle) {
      expect(ms).toBeGreaterThan(150);
      expect(ms).toBeLessThan(700);
    }
    expect(capped.a.gaps).toMatchObject({ systemIdleCapMs: 200 });
    expect(capped.a.gaps.systemIdleAdvances).toBe(capped.idle.length);
    expect(capped.a.gaps.systemIdleAdvancedMs).toBeGreaterThan(capped.idle.length * 1000);
    // without the cap the recorded gaps are slept whole
    const whole = await run(0);
    expect(whole.sent).toBeLessThanOrEqual(2);
    for (const ms of whole.idle) expect(ms).toBeGreaterThan(1500);
    expect(whole.a.gaps.systemIdleAdvances).toBe(0);
  }, 60_000);

  it("replays a Mooncake JSONL file with its idle gaps capped", async () => {
    const lines = [];
    for (const s of [0, 1])
      for (let t = 0; t < 6; t++)
        lines.push({
          timestamp: t * 400,
          input_length: 300 + t * 100,
          output_length: 8,
          hash_ids: Array.from({ length: 4 + t }, (_, i) => (i < 2 ? i : 100 * (s + 1) + i)),
          session_id: `s${s}`,
        });
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 2,
      agentic: {
        trace: { file: mooncake("gaps.jsonl", lines) },
        durationS: 1.5,
        gapCapS: 0.05,
        startRatio: [0, 0],
        warmupRequestsPerLane: 0,
      },
    });
    const a = res.agentic!;
    expect(res.status).toBe("ok");
    expect(a.gaps.capMs).toBe(50);
    expect(a.gaps.capped).toBeGreaterThan(0);
    expect(a.gaps.meanSleptMs).toBeLessThanOrEqual(50);
    expect(a.warmup.requests).toBe(0);
    // turns of 400 ms recorded gaps at a 50 ms cap: whole trajectories complete within 1.5 s
    expect(a.trajectories.completed).toBeGreaterThan(0);
    expect(a.trace).toEqual({ source: expect.stringMatching(/gaps\.jsonl$/), trajectories: 2, turns: 12 });
  }, 60_000);

  it("replays the lab's trace format: subagent branches run beside the lane, the next turn waits for them", async () => {
    const call = (t: number, i: number, o: number, hashIds: number[]) => ({
      t,
      type: "s",
      model: "opus",
      in: i,
      out: o,
      hash_ids: hashIds,
      api_time: 0.01,
    });
    const traceOf = (id: string) => ({
      id,
      models: ["opus"],
      block_size: 64,
      hash_id_scope: "local",
      requests: [
        call(0, 1000, 8, [1, 2, 3]),
        {
          t: 0.02,
          type: "subagent",
          agent_id: "agent_1",
          subagent_type: "Explore",
          duration_ms: 50,
          status: "completed",
          requests: [call(0.03, 200, 4, [1]), call(0.06, 260, 4, [1, 7])],
          models: ["haiku"],
        },
        call(0.1, 1600, 8, [1, 2, 3, 4]),
      ],
    });
    const traces = join(dir, "weka");
    mkdirSync(traces);
    for (const id of ["a", "b"]) writeFileSync(join(traces, `${id}.json`), JSON.stringify(traceOf(id), null, 2));
    let records: RequestRecord[] = [];
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 1,
      agentic: { trace: { file: traces }, durationS: 1.5, startRatio: [0, 0], warmupRequestsPerLane: 0 },
      onRecords: (r) => {
        records = r;
      },
    });
    expect(res.status, res.failureReason).toBe("ok");
    expect(res.agentic!.trace).toEqual({ source: traces, trajectories: 2, turns: 8 });
    const parents = records.filter((r) => r.promptTokens >= 1000);
    const children = records.filter((r) => r.promptTokens < 1000);
    expect(children.length).toBeGreaterThanOrEqual(2);
    // every parent second turn waited for both turns of the branch its first turn spawned
    let joined = 0;
    for (const second of parents.filter((r) => r.turn === 1)) {
      const first = parents.find((r) => r.conversation === second.conversation && r.turn === 0);
      if (!first) continue;
      const branch = children.filter((c) => c.startNs >= first.endNs && c.startNs < second.startNs);
      expect(branch.map((c) => [c.turn, c.promptTokens])).toEqual([
        [0, 200],
        [1, 260],
      ]);
      expect(new Set(branch.map((c) => c.conversation)).size).toBe(1);
      expect(branch[0]!.conversation).not.toBe(second.conversation);
      for (const c of branch) expect(c.endNs).toBeLessThanOrEqual(second.startNs);
      joined++;
    }
    expect(joined).toBeGreaterThan(0);
    expect(res.agentic!.trajectories.completed).toBeGreaterThan(0);
  }, 60_000);

  it("replays a subagent's parallel chains as branches of their own, all joined before the next turn", async () => {
    const call = (t: number, i: number, o: number, hashIds: number[]) => ({
      t,
      type: "s",
      model: "opus",
      in: i,
      out: o,
      hash_ids: hashIds,
      api_time: 0.01,
    });
    const traces = join(dir, "weka-chains");
    mkdirSync(traces);
    writeFileSync(
      join(traces, "p.json"),
      JSON.stringify({
        id: "p",
        models: ["opus"],
        block_size: 64,
        hash_id_scope: "local",
        requests: [
          call(0, 1000, 8, [1, 2, 3]),
          {
            t: 0.02,
            type: "subagent",
            agent_id: "agent_1",
            subagent_type: "Explore",
            duration_ms: 60,
            status: "completed",
            // the subagent's first call, then two forks of its context sent together
            requests: [call(0.02, 200, 4, [5]), call(0.04, 300, 4, [5, 6]), call(0.04, 320, 4, [5, 7])],
            models: ["opus"],
          },
          call(0.1, 1600, 8, [1, 2, 3, 4]),
        ],
      }),
    );
    let records: RequestRecord[] = [];
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 1,
      agentic: { trace: { file: traces }, durationS: 1.5, startRatio: [0, 0], warmupRequestsPerLane: 0 },
      onRecords: (r) => {
        records = r;
      },
    });
    expect(res.status, res.failureReason).toBe("ok");
    expect(res.agentic!.trace).toEqual({ source: traces, trajectories: 1, turns: 5 });
    const parents = records.filter((r) => r.promptTokens >= 1000);
    let joined = 0;
    for (const second of parents.filter((r) => r.turn === 1)) {
      const first = parents.find((r) => r.conversation === second.conversation && r.turn === 0);
      if (!first) continue;
      const branch = records.filter(
        (c) => c.promptTokens < 1000 && c.startNs >= first.endNs && c.startNs < second.startNs,
      );
      // the main chain sends its two turns, the fork its one, on a replay of its own
      const byConversation = new Map<number, number[]>();
      for (const c of branch) {
        const k = c.conversation ?? -1;
        byConversation.set(k, [...(byConversation.get(k) ?? []), c.promptTokens]);
      }
      expect([...byConversation.values()].sort((a, b) => a.length - b.length)).toEqual([[320], [200, 300]]);
      for (const c of branch) expect(c.endNs).toBeLessThanOrEqual(second.startNs);
      joined++;
    }
    expect(joined).toBeGreaterThan(0);
  }, 60_000);

  it("replays a parallel agent split off the top-level calls beside the main chain, joined where recorded", async () => {
    // seconds long enough that the branch's recorded start (0.25 s) comes after the emulator answers
    // the first call, however loaded the host
    const call = (t: number, i: number, hashIds: number[], apiTime = 0.1) => ({
      t,
      type: "s",
      model: "opus",
      in: i,
      out: 4,
      hash_ids: hashIds,
      api_time: apiTime,
    });
    const traces = join(dir, "weka-flat");
    mkdirSync(traces);
    writeFileSync(
      join(traces, "f.json"),
      JSON.stringify({
        id: "f",
        models: ["opus"],
        block_size: 64,
        hash_id_scope: "local",
        requests: [
          call(0, 1000, [1, 2, 3], 0.5),
          // an agent forking the context before the first call ended; its second call ends at 3.1 s
          call(0.25, 200, [1, 2, 3, 9]),
          call(1, 1100, [1, 2, 3, 4]),
          call(3, 260, [1, 2, 3, 9, 10]),
          // the main chain's third call starts after the agent's end: it waits for the agent
          call(5, 1200, [1, 2, 3, 4, 5]),
        ],
      }),
    );
    let records: RequestRecord[] = [];
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 1,
      agentic: { trace: { file: traces }, durationS: 8, startRatio: [0, 0], warmupRequestsPerLane: 0 },
      onRecords: (r) => {
        records = r;
      },
    });
    expect(res.status, res.failureReason).toBe("ok");
    expect(res.agentic!.trace).toEqual({ source: traces, trajectories: 1, turns: 5 });
    const main = records.filter((r) => r.promptTokens >= 1000);
    let replays = 0;
    for (const third of main.filter((r) => r.turn === 2)) {
      const [first, second] = [0, 1].map((k) =>
        main.find((r) => r.conversation === third.conversation && r.turn === k),
      );
      if (!first || !second) continue;
      const agent = records.filter(
        (c) => c.promptTokens < 1000 && c.startNs >= first.endNs && c.startNs < third.startNs,
      );
      expect(agent.map((c) => [c.turn, c.promptTokens])).toEqual([
        [0, 200],
        [1, 260],
      ]);
      expect(agent[0]!.conversation).not.toBe(third.conversation);
      // the main chain's second call does not wait for the agent; its third one does
      expect(second.startNs).toBeLessThan(agent[1]!.startNs);
      expect(third.startNs).toBeGreaterThanOrEqual(agent[1]!.endNs);
      replays++;
    }
    expect(replays).toBeGreaterThan(0);
  }, 60_000);

  it("starts a branch recorded as overlapping its spawning turn when that turn is sent", async () => {
    const call = (t: number, i: number, o: number, hashIds: number[], apiTime: number) => ({
      t,
      type: "s",
      model: "opus",
      in: i,
      out: o,
      hash_ids: hashIds,
      api_time: apiTime,
    });
    const traces = join(dir, "weka-overlap");
    mkdirSync(traces);
    writeFileSync(
      join(traces, "o.json"),
      JSON.stringify({
        id: "o",
        models: ["opus"],
        block_size: 64,
        hash_id_scope: "local",
        requests: [
          // a long answer; an agent forks its context 5 ms after it was sent
          call(0, 1000, 400, [1, 2, 3], 10),
          call(0.005, 200, 4, [1, 2, 3, 9], 0.01),
          call(10.1, 1600, 4, [1, 2, 3, 4], 0.01),
        ],
      }),
    );
    let records: RequestRecord[] = [];
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 1,
      agentic: { trace: { file: traces }, durationS: 2, startRatio: [0, 0], warmupRequestsPerLane: 0 },
      onRecords: (r) => {
        records = r;
      },
    });
    expect(res.status, res.failureReason).toBe("ok");
    let seen = 0;
    for (const first of records.filter((r) => r.promptTokens === 1000)) {
      const agent = records.find(
        (c) => c.promptTokens === 200 && c.startNs >= first.startNs && c.conversation !== first.conversation,
      );
      if (!agent || agent.startNs > first.endNs + 1e9) continue;
      // sent while the spawning turn was still streaming its answer
      expect(agent.startNs).toBeLessThan(first.endNs);
      seen++;
    }
    expect(seen).toBeGreaterThan(0);
  }, 60_000);

  it("counts turns longer than the context as failed with the reason and stops at the live error gate", async () => {
    const res = await runLoadPoint({
      baseUrl: emu.url,
      model: "m",
      isl: 0,
      osl: 0,
      concurrency: 2,
      agentic: {
        trace: { synthetic: { seed: 1, trajectories: 2, ...small, gapMs: { median: 1, sigma: 0 } } },
        durationS: 30,
        warmupRequestsPerLane: 0,
        maxContextTokens: 10,
      },
    });
    expect(res.status).toBe("failed");
    expect(res.failures).toEqual({ context_too_long: expect.any(Number) });
    expect(res.failureReason).toMatch(/stopped early: live error ratio \d+\/\d+ exceeded 10 %/);
    expect(res.agentic!.stoppedEarly).toMatch(/live error ratio/);
    expect(res.agentic!.errorRatio).toBe(1);
    expect(res.agentic!.measuredS).toBeLessThan(5);
  }, 60_000);

  it("on worker threads the live error gate judges the whole point's turns and stops every thread", async () => {
    // trajectory a (lane 0, thread 0): every turn longer than the context, one every 200 ms;
    // trajectory b (lane 1, thread 1): short turns 5 ms apart that never fail
    const lines = [
      ...Array.from({ length: 30 }, (_, k) => ({
        timestamp: k * 200,
        input_length: 50_000,
        output_length: 4,
        session_id: "a",
      })),
      ...Array.from({ length: 30 }, (_, k) => ({
        timestamp: k * 5,
        input_length: 100 + 20 * k,
        output_length: 4,
        session_id: "b",
      })),
    ];
    const file = mooncake("gate.jsonl", lines);
    const point = (liveFailureThreshold: number, durationS: number) => {
      let records: RequestRecord[] = [];
      return runLoadPoint({
        baseUrl: emu.url,
        model: "m",
        isl: 0,
        osl: 0,
        concurrency: 2,
        workers: 2,
        maxFailureFraction: 0.5,
        agentic: {
          trace: { file },
          durationS,
          startRatio: [0, 0],
          warmupRequestsPerLane: 0,
          maxContextTokens: 4000,
          liveFailureThreshold,
        },
        onRecords: (r) => {
          records = r;
        },
      }).then((res) => ({ res, records }));
    };
    // thread 0 alone fails every turn, well past the gate's floor of 10; the point's ratio stays under half
    const calm = await point(0.5, 5);
    expect(calm.res.status, calm.res.failureReason).toBe("ok");
    expect(calm.res.agentic!.stoppedEarly).toBeUndefined();
    const failed = calm.records.filter((r) => !r.success);
    expect(failed.length).toBeGreaterThanOrEqual(20);
    for (const r of failed) expect([r.failure, r.conversation! % 2]).toEqual(["context_too_long", 0]);
    expect(calm.res.agentic!.errorRatio).toBeLessThan(0.5);
    expect(calm.res.agentic!.measuredS).toBeGreaterThan(4);
    // over 1 % of the point's turns fail: the gate trips once and thread 1, which never fails, stops too
    const storm = await point(0.01, 20);
    expect(storm.res.status).toBe("failed");
    expect(storm.res.failureReason).toMatch(/^stopped early: live error ratio \d+\/\d+ exceeded 1 %/);
    expect(storm.res.agentic!.stoppedEarly).toMatch(/^live error ratio/);
    const healthy = storm.records.filter((r) => r.conversation! % 2 === 1);
    expect(healthy.length).toBeGreaterThan(0);
    expect(healthy.every((r) => r.success)).toBe(true);
    const firstSend = Math.min(...storm.records.map((r) => r.startNs));
    expect(Math.max(...healthy.map((r) => r.endNs)) - firstSend).toBeLessThan(5e9);
    expect(storm.res.agentic!.measuredS).toBeLessThan(5);
  }, 90_000);

  it("names the file and line of a bad trace, and an empty trace", async () => {
    const base = { baseUrl: emu.url, model: "m", isl: 0, osl: 0, concurrency: 1 } as const;
    const bad = mooncake("bad.jsonl", [{ timestamp: 0, input_length: 10, output_length: 2 }, "{not json"]);
    await expect(runLoadPoint({ ...base, agentic: { trace: { file: bad }, durationS: 1 } })).rejects.toThrow(
      /bad\.jsonl:2: not JSON/,
    );
    const neg = mooncake("neg.jsonl", [{ timestamp: 0, input_length: -4, output_length: 2 }]);
    await expect(runLoadPoint({ ...base, agentic: { trace: { file: neg }, durationS: 1 } })).rejects.toThrow(
      /neg\.jsonl:1: input_length/,
    );
    const empty = mooncake("empty.jsonl", ["", ""]);
    await expect(runLoadPoint({ ...base, agentic: { trace: { file: empty }, durationS: 1 } })).rejects.toThrow(
      /empty\.jsonl:1: empty trace/,
    );
    await expect(
      runLoadPoint({ ...base, agentic: { trace: { file: join(dir, "missing.jsonl") }, durationS: 1 } }),
    ).rejects.toThrow(/cannot read trace .*missing\.jsonl/);
    await expect(
      runLoadPoint({ ...base, endpoint: "/v1/completions", agentic: { trace: { file: bad }, durationS: 1 } }),
    ).rejects.toThrow(/needs the chat endpoint/);
  }, 60_000);
});

describe("one point's prompt text against the next point's (the lab's per-invocation cache bust)", () => {
  it("a second point shares no cached prefix with the first; the same keyspace again would", async () => {
    const emu2 = await startEmulator({ sku: "h200", model: "llama3-8b", timeScale: 0.05, prefixCache: true });
    const counters = async () => {
      const totals = totalsByName(parsePrometheusText(await (await fetch(`${emu2.url}/metrics`)).text()));
      return {
        hits: totals.get("vllm:prefix_cache_hits_total")?.sum ?? 0,
        queries: totals.get("vllm:prefix_cache_queries_total")?.sum ?? 0,
      };
    };
    /** one point; the emulator's hit rate over its requests, warm-up included */
    const point = async (keyspace?: number) => {
      const before = await counters();
      const res = await runLoadPoint({
        baseUrl: emu2.url,
        model: "m",
        isl: 0,
        osl: 0,
        concurrency: 4,
        timing: "engine",
        seed: 3,
        agentic: {
          trace: { synthetic: { seed: 21, trajectories: 4, ...small, sharedPrefixTokens: 0 } },
          durationS: 1,
          graceS: 5,
          warmupRequestsPerLane: 1,
          ...(keyspace !== undefined ? { keyspace } : {}),
        },
      });
      expect(res.status, res.failureReason).toBe("ok");
      const after = await counters();
      return (after.hits - before.hits) / (after.queries - before.queries);
    };
    try {
      await point(7);
      const again = await point(7);
      await point(8);
      const fresh = await point();
      // the same text again is served from the cache; a point of its own starts cold
      expect(again).toBeGreaterThan(fresh + 0.1);
    } finally {
      await emu2.close();
    }
  }, 60_000);
});
