/**
 * Trace replay, as the lab's AIPerf scenario runs it: `concurrency` lanes, each working through one
 * trajectory at a time (concurrency = trajectories in flight). Each turn is one streamed chat
 * request carrying the trajectory's history so far (see trace-context.ts); before a turn the lane
 * idles for the trace's recorded gap, capped at `gapCapMs` (precise-wake.ts).
 *
 * On several threads (`ctx.shard`) thread i runs lanes i, i + count, … and takes the trajectories
 * after the first `concurrency` in the same interleave, so the threads together replay what one
 * thread would; each counts its finished turns into the point's one live error gate
 * (agentic-error-gate.ts), which stops every thread when it trips.
 *
 * Warm-up: lane k starts on trajectory k (mod the trace's count) at a turn drawn uniformly from
 * [startRatio[0], startRatio[1]] × its turns, then sends `warmupRequestsPerLane` one-token
 * requests for the turns from there without idling (the first carries the whole history: it
 * primes the cache). All lanes drain before measuring, for at most `warmupGraceMs` (the lab's
 * `--warmup-grace-period`): then the warm-up requests still in flight are cancelled (counted as
 * cancelled, neither completed nor failed), no lane sends more and measuring starts. The measured
 * turns follow on from where warm-up left each lane (a cancelled turn is sent again, measured), at
 * least one per trajectory.
 *
 * Branches (a turn's `spawns`: subagents, parallel agents) start when their turn completes (or,
 * `atSend`, when it is sent), each on a connection slot of its own beside the lane's; the turn a
 * branch names (`joinTurn`, by default the next one) waits for it, and the lane waits for every
 * branch before it takes its next trajectory; warm-up advances the lanes' own turns only.
 *
 * Measured phase: runs for `durationMs`; no turn is sent after it. On one thread, once no request
 * has been in flight for `systemIdleCapMs`, every pending gap is advanced alike so that the
 * earliest turn is sent at once (the lab scenario's whole-system idle cap, system-idle-cap.ts). Requests in flight at its end
 * get `graceMs` to finish, then are cut and not counted. A lane that finishes a trajectory takes the
 * next one of the trace (cycling) from its first turn. The live error gate (`gate`) stops the run
 * early; requests in flight then are cut and not counted.
 * A turn whose input and output exceed `maxContextTokens` is not sent: it counts as failed.
 * Times are the trace's; against an engine on a compressed clock (`clockScale` wall ms per trace
 * ms, the emulator's time scale) the duration, grace and gaps are compressed alike.
 */

import { Rng } from "@benchfleet/shared";
import type { ReplayGate } from "./agentic-error-gate.js";
import type { AgenticTrace, Trajectory } from "./agentic-trace.js";
import { capGap } from "./agentic-trace.js";
import { sendStreamingRequest } from "./client.js";
import { wakeAtNs } from "./precise-wake.js";
import type { RequestRecord } from "./request-record.js";
import { nowNs, type RunContext } from "./run-context.js";
import { SystemIdleCap } from "./system-idle-cap.js";
import { TrajectoryContext } from "./trace-context.js";

export interface ReplaySettings {
  /** the trace's clock: duration, grace, gaps and the cap are in trace ms */
  durationMs: number;
  graceMs: number;
  gapCapMs: number;
  startRatio: [number, number];
  warmupRequestsPerLane: number;
  /** the longest warm-up may take to drain before its requests are cancelled */
  warmupGraceMs: number;
  /** salts the point's text (trace-context.ts): warm-up and measuring share it, other points do not */
  keyspace: number;
  /** whole-system idle after which pending gaps advance (0: never); applied on one thread only */
  systemIdleCapMs: number;
  /** headers that carry the conversation's id (`<keyspace>-<instance>`) on each of its requests */
  sessionHeaders: readonly string[];
  liveFailureThreshold: number;
  maxContextTokens: number | undefined;
  /** wall ms per trace ms: an engine on a compressed clock gets the trace's time compressed alike */
  clockScale: number;
  seed: number;
  tokensPerWord: number;
  words: readonly string[] | undefined;
}

export interface ReplayOutcome {
  warm: { requests: number; failed: number };
  /** warm-up requests cancelled when the warm-up grace ran out */
  warmCancelled: number;
  /** measured turns, in completion order */
  records: RequestRecord[];
  startNs: number;
  endNs: number;
  cutAtEnd: number;
  trajectoriesStarted: number;
  trajectoriesCompleted: number;
  gapsCapped: number;
  /** idle the lanes slept before their turns: in all, and how many gaps */
  slept: { totalMs: number; gaps: number };
  /** the whole-system idle cap: how many times it advanced the pending gaps, and by how much in all */
  systemIdle: { advances: number; advancedMs: number };
  stoppedEarly?: string;
}

/** what a thread's replay adds up to, apart from its records (worker-shards.ts merges these) */
export type ReplaySummary = Omit<ReplayOutcome, "records" | "startNs" | "endNs">;

interface Lane {
  /** which lane, for its connection */
  slot: number;
  /** this replay of a trajectory, unique in the run */
  instance: number;
  traj: Trajectory;
  history: TrajectoryContext;
  turn: number;
  /** the body of `turn`, built before measuring started */
  ready?: { turn: number; body: string | Buffer };
}

/** the turn lane `k`'s first trajectory starts warm-up at, and how many warm-up turns it sends */
export function warmStart(turns: number, rng: Rng, ratio: [number, number], perLane: number) {
  const warmTurns = Math.max(0, Math.min(perLane, turns - 1));
  const u = ratio[0] + rng.next() * (ratio[1] - ratio[0]);
  const start = Math.max(0, Math.min(Math.floor(u * turns), turns - 1 - warmTurns));
  return { start, warmTurns };
}

export async function runAgenticReplay(
  ctx: RunContext,
  trace: AgenticTrace,
  r: ReplaySettings,
  stop: AbortController,
  /** the point's live error gate: every measured turn is counted into it */
  gate: ReplayGate,
  /** called once warm-up has drained, before measuring (the threads' barrier) */
  beforeMeasured?: () => Promise<void>,
): Promise<ReplayOutcome> {
  const { t0, counters, shard } = ctx;
  const n = trace.trajectories.length;
  let instances = 0;
  let index = 0;
  const newLane = (slot: number, trajIndex: number, turn: number, branch?: Trajectory): Lane => {
    const traj = branch ?? trace.trajectories[trajIndex % n]!;
    // unique over the threads: instances of thread i are i, i + count, …
    const instance = instances++ * (shard?.count ?? 1) + (shard?.index ?? 0);
    const key = (r.seed * 0x10001 + instance) | 0;
    return {
      slot,
      instance,
      traj,
      turn,
      history: new TrajectoryContext(traj, trace.blockTokens, key, r.tokensPerWord, r.words, r.keyspace),
    };
  };
  // the history's bytes between the body's head and tail where the context can; else the whole body serialised
  const bodyOf = (lane: Lane, outputLen: number): string | Buffer =>
    ctx.chatBodyBytes
      ? ctx.chatBodyBytes(outputLen, lane.history.jsonFor(lane.turn))
      : ctx.body(outputLen, lane.history.messagesFor(lane.turn));
  /** when measuring starts: turns due then are the first wave (due at once, like a closed loop's start) */
  let measureStartNs = Number.POSITIVE_INFINITY;
  const send = (lane: Lane, outputLen: number, scheduledNs: number, body: string | Buffer, signal?: AbortSignal) => {
    const t = lane.traj.turns[lane.turn]!;
    let options = ctx.streamOptions(body, false);
    if (signal) options = { ...options, signal };
    if (r.sessionHeaders.length) {
      const id = `${r.keyspace.toString(36)}-${lane.instance}`;
      const headers = { ...options.headers };
      for (const h of r.sessionHeaders) headers[h] = id;
      options = { ...options, headers };
    }
    return sendStreamingRequest(
      ctx.connections.forSlot(lane.slot),
      {
        index: index++,
        scheduledNs,
        queueNs: 0,
        targetPromptTokens: t.inputTokens,
        targetOutputTokens: outputLen,
        conversation: lane.instance,
        turn: lane.turn,
        ...(scheduledNs <= measureStartNs ? { firstWave: true } : {}),
      },
      options,
    );
  };

  // ---- warm-up: every lane to its start position, one-token requests, no idling
  const lanes: Lane[] = [];
  const warmPlan: number[] = [];
  // lane k of the point (its trajectory and warm-up start) runs on thread k mod count, on that
  // thread's own connection slot
  for (let k = shard?.index ?? 0; k < ctx.concurrency; k += shard?.count ?? 1) {
    const traj = trace.trajectories[k % n]!;
    const { start, warmTurns } = warmStart(
      traj.turns.length,
      Rng.forStream(r.seed, 0xa6e + k),
      r.startRatio,
      r.warmupRequestsPerLane,
    );
    const lane = newLane(lanes.length, k, start);
    lanes.push(lane);
    warmPlan.push(warmTurns);
  }
  // the trajectories lanes take next: concurrency, concurrency + 1, … dealt to the threads in turn
  let nextTraj = ctx.concurrency + (shard?.index ?? 0);
  const step = shard?.count ?? 1;
  const warm = { requests: 0, failed: 0 };
  counters.startPhase(
    "warmup",
    warmPlan.reduce((a, b) => a + b, 0),
  );
  // the warm-up's own stop: the run's, or the end of its grace
  const warmStop = new AbortController();
  const stopWarm = () => warmStop.abort(stop.signal.reason);
  stop.signal.addEventListener("abort", stopWarm, { once: true });
  let graceOver = false;
  let warmCancelled = 0;
  const graceTimer = setTimeout(() => {
    graceOver = true;
    warmStop.abort(new Error("warm-up grace over"));
  }, r.warmupGraceMs * r.clockScale);
  await Promise.all(
    lanes.map(async (lane, k) => {
      for (let w = 0; w < warmPlan[k]!; w++) {
        if (warmStop.signal.aborted) return;
        counters.inFlight++;
        const rec = await send(lane, 1, nowNs(t0), bodyOf(lane, 1), warmStop.signal);
        counters.inFlight--;
        if (graceOver && !rec.success && rec.failure === "aborted") {
          warmCancelled++;
          return;
        }
        counters.account(rec);
        warm.requests++;
        if (!rec.success) warm.failed++;
        lane.turn++;
      }
    }),
  );
  clearTimeout(graceTimer);
  stop.signal.removeEventListener("abort", stopWarm);

  // every lane's first measured body is built now: built at the start they would all be due at
  // once, and the lanes whose gap is shorter than building them all would go out late
  for (const lane of lanes) {
    const t = lane.traj.turns[lane.turn];
    if (t && !(r.maxContextTokens !== undefined && t.inputTokens + t.outputTokens > r.maxContextTokens))
      lane.ready = { turn: lane.turn, body: bodyOf(lane, t.outputTokens) };
  }
  await beforeMeasured?.();

  // ---- measured phase
  counters.startTimedPhase("run", (r.durationMs * r.clockScale) / 1000);
  counters.resetCounts();
  const startNs = nowNs(t0);
  measureStartNs = startNs;
  counters.phaseStartNs = startNs;
  const wall = r.clockScale;
  const deadlineNs = startNs + r.durationMs * wall * 1e6;
  const out: ReplayOutcome = {
    warm,
    warmCancelled,
    records: [],
    startNs,
    endNs: startNs,
    cutAtEnd: 0,
    trajectoriesStarted: lanes.length,
    trajectoriesCompleted: 0,
    gapsCapped: 0,
    slept: { totalMs: 0, gaps: 0 },
    systemIdle: { advances: 0, advancedMs: 0 },
  };
  // one thread's lanes are not the whole system: a sharded point runs without the cap
  const idleCap = !shard && r.systemIdleCapMs > 0 ? new SystemIdleCap(t0, r.systemIdleCapMs * wall * 1e6) : undefined;
  let ending = false;
  let cutTimer: NodeJS.Timeout | undefined;
  const endTimer = setTimeout(() => {
    ending = true;
    cutTimer = setTimeout(() => stop.abort(new Error("measured duration over")), r.graceMs * wall);
  }, r.durationMs * wall);
  gate.onTrip((reason) => {
    if (out.stoppedEarly) return;
    out.stoppedEarly = reason;
    stop.abort(new Error(reason));
  });
  const finish = (rec: RequestRecord) => {
    if (!rec.success && rec.failure === "aborted" && (ending || out.stoppedEarly)) {
      out.cutAtEnd++;
      return;
    }
    out.records.push(rec);
    out.endNs = Math.max(out.endNs, rec.endNs);
    counters.account(rec);
    gate.count(!rec.success);
  };
  const over = () =>
    ending || out.stoppedEarly !== undefined || (ctx.signal?.aborted ?? false) || nowNs(t0) >= deadlineNs;

  /**
   * plays the lane's current turn after its gap from `freedNs`; the end of the turn, or undefined
   * once the measured duration is over
   */
  const playTurn = async (
    lane: Lane,
    freedNs: number,
    /** called as the turn is sent, with the time */
    onSent?: (sentNs: number) => void,
  ): Promise<number | undefined> => {
    if (over()) return undefined;
    const turn = lane.traj.turns[lane.turn]!;
    const gapMs = capGap(turn.gapMs, r.gapCapMs);
    if (gapMs < turn.gapMs) out.gapsCapped++;
    out.slept.totalMs += gapMs;
    out.slept.gaps++;
    const dueNs = freedNs + gapMs * wall * 1e6;
    if (dueNs >= deadlineNs) return undefined;
    const tooLong = r.maxContextTokens !== undefined && turn.inputTokens + turn.outputTokens > r.maxContextTokens;
    // the body is built while the lane idles, so that building a long history never delays the send
    const body = tooLong ? "" : lane.ready?.turn === lane.turn ? lane.ready.body : bodyOf(lane, turn.outputTokens);
    lane.ready = undefined;
    // due at, once the whole-system idle cap has advanced it
    let sendNs = dueNs;
    if (gapMs > 0 && idleCap) sendNs = await idleCap.sleepUntil(dueNs, ctx.signal);
    else if (gapMs > 0) await wakeAtNs(t0, dueNs, ctx.signal);
    if (over()) return undefined;
    onSent?.(nowNs(t0));
    let rec: RequestRecord;
    if (tooLong) {
      rec = refused(
        index++,
        lane,
        sendNs,
        `turn ${lane.turn} of trajectory ${lane.traj.id} needs ${turn.inputTokens} + ${turn.outputTokens} tokens, more than the context length ${r.maxContextTokens}`,
      );
    } else {
      counters.inFlight++;
      idleCap?.started();
      rec = await send(lane, turn.outputTokens, sendNs, body);
      idleCap?.finished();
      counters.inFlight--;
    }
    finish(rec);
    return rec.endNs;
  };

  // branches run on slots of their own, after the lanes' slots
  const freeSlots: number[] = [];
  let nextSlot = lanes.length;
  /**
   * starts a turn's branches that start at its send (`atSend`) or at its end, from `freedNs`, each
   * awaited by the turn it names
   */
  const startBranches = (
    spawns: readonly Trajectory[],
    turn: number,
    freedNs: number,
    into: Started[],
    atSend: boolean,
  ) => {
    for (const b of spawns)
      if ((b.atSend ?? false) === atSend)
        into.push({
          joinTurn: b.joinTurn === null ? Number.POSITIVE_INFINITY : (b.joinTurn ?? turn + 1),
          end: playBranch(b, freedNs),
        });
  };
  /** plays a branch's turns from `freedNs`; when it and its own branches end, or undefined once over */
  /** a lane's current turn: after the branches it waits for, then the branches it spawns; its end, or undefined to stop */
  const stepTurn = async (lane: Lane, at: number | undefined, started: Started[]): Promise<number | undefined> => {
    const joined = await joinBranches(started, lane.turn, at);
    if (joined === undefined) return undefined;
    const spawns = lane.traj.turns[lane.turn]!.spawns;
    const turn = lane.turn;
    const end = await playTurn(
      lane,
      joined,
      spawns?.length ? (sentNs) => startBranches(spawns, turn, sentNs, started, true) : undefined,
    );
    if (end !== undefined && spawns?.length) startBranches(spawns, turn, end, started, false);
    return end;
  };

  const playBranch = async (traj: Trajectory, freedNs: number): Promise<number | undefined> => {
    const slot = freeSlots.pop() ?? nextSlot++;
    const started: Started[] = [];
    try {
      const child = newLane(slot, 0, 0, traj);
      let at: number | undefined = freedNs;
      for (; child.turn < traj.turns.length; child.turn++) {
        at = await stepTurn(child, at, started);
        if (at === undefined) break;
      }
      return await joinBranches(started, Number.POSITIVE_INFINITY, at);
    } finally {
      freeSlots.push(slot);
    }
  };

  await Promise.all(
    lanes.map(async (first) => {
      let lane = first;
      let freedNs: number | undefined = startNs;
      const started: Started[] = [];
      for (;;) {
        if (over()) break;
        if (lane.turn >= lane.traj.turns.length) {
          // the branches no turn waits for end before the lane takes its next trajectory
          freedNs = await joinBranches(started, Number.POSITIVE_INFINITY, freedNs);
          if (freedNs === undefined) break;
          out.trajectoriesCompleted++;
          lane = newLane(lane.slot, nextTraj, 0);
          nextTraj += step;
          out.trajectoriesStarted++;
        }
        freedNs = await stepTurn(lane, freedNs, started);
        if (freedNs === undefined) break;
        lane.turn++;
      }
      await joinBranches(started, Number.POSITIVE_INFINITY, undefined);
    }),
  );
  clearTimeout(endTimer);
  if (idleCap) {
    idleCap.stop();
    out.systemIdle = { advances: idleCap.advances, advancedMs: idleCap.advancedNs / 1e6 / wall };
  }
  clearTimeout(cutTimer);
  return out;
}

function refused(index: number, lane: Lane, atNs: number, error: string): RequestRecord {
  const t = lane.traj.turns[lane.turn]!;
  return {
    index,
    conversation: lane.instance,
    success: false,
    failure: "context_too_long",
    error,
    scheduledNs: atNs,
    startNs: atNs,
    endNs: atNs,
    ttftNs: 0,
    itlNs: [],
    latencyNs: 0,
    promptTokens: t.inputTokens,
    targetPromptTokens: t.inputTokens,
    outputTokens: 0,
    targetOutputTokens: t.outputTokens,
    usageReported: false,
    queueNs: 0,
    turn: lane.turn,
  };
}

/** a branch under way: the parent's turn that waits for it, and when it ends (undefined once over) */
interface Started {
  joinTurn: number;
  end: Promise<number | undefined>;
}

/**
 * waits for the started branches that turn `turn` waits for (and drops them from `started`); the
 * later of `freedNs` and their ends, or undefined once the run is over
 */
async function joinBranches(
  started: Started[],
  turn: number,
  freedNs: number | undefined,
): Promise<number | undefined> {
  if (!started.length) return freedNs;
  const due: Started[] = [];
  for (let i = started.length - 1; i >= 0; i--) if (started[i]!.joinTurn <= turn) due.push(started.splice(i, 1)[0]!);
  if (!due.length) return freedNs;
  const ends = await Promise.all(due.map((d) => d.end));
  if (freedNs === undefined) return undefined;
  let at = freedNs;
  for (const e of ends) {
    if (e === undefined) return undefined;
    at = Math.max(at, e);
  }
  return at;
}
