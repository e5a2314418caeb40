/**
 * What preparing one replay turn costs this thread, measured as CPU time, by the two ways the replay
 * can do it (bench/agentic-turn-cpu.ts reports it):
 * - the body: the whole history serialised (`buildBody`) and encoded to the bytes undici sends
 *   (`Buffer.from`), against the history's JSON bytes kept by the trajectory and copied between a
 *   head and tail (`TrajectoryContext.jsonFor`, `chatBodyAround`); both build the history's text;
 * - waiting on the run's abort signal: a listener added to and removed from the signal while
 *   `inFlight` others wait on it, against the one-listener fan-out (abort-fanout.ts).
 * The two ways alternate round by round on the same trajectories; the figures are each way's median.
 */
import { setMaxListeners } from "node:events";
import { whenAborted } from "./abort-fanout.js";
import type { AgenticTrace } from "./agentic-trace.js";
import { type BodyOptions, buildBody, chatBodyAround } from "./request-body.js";
import { TrajectoryContext } from "./trace-context.js";

export interface TurnCost {
  turns: number;
  /** mean prompt body, bytes */
  meanBodyBytes: number;
  /** CPU µs per turn to build its body: serialised whole / from the kept bytes */
  bodyUs: { serialised: number; kept: number };
  /** CPU µs to subscribe and unsubscribe one request with `inFlight` others waiting */
  abortUs: { listener: number; fanout: number };
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function turnCost(trace: AgenticTrace, opts: { rounds: number; inFlight: number }): TurnCost {
  const o: BodyOptions = {
    model: "m",
    endpoint: "/v1/chat/completions",
    outputLen: 0,
    exactOutput: true,
    stream: true,
  };
  let turns = 0;
  let bytes = 0;
  const serialised = () => {
    for (const [k, traj] of trace.trajectories.entries()) {
      const c = new TrajectoryContext(traj, trace.blockTokens, k);
      traj.turns.forEach((t, i) => {
        bytes += Buffer.from(buildBody({ ...o, outputLen: t.outputTokens }, c.messagesFor(i))).length;
        turns++;
      });
    }
  };
  const kept = () => {
    for (const [k, traj] of trace.trajectories.entries()) {
      const c = new TrajectoryContext(traj, trace.blockTokens, k);
      traj.turns.forEach((t, i) => {
        const a = chatBodyAround({ ...o, outputLen: t.outputTokens })!;
        Buffer.concat([Buffer.from(a.head), c.jsonFor(i), Buffer.from(`]${a.tail}`)]);
      });
    }
  };
  const ac = new AbortController();
  const noop = () => {};
  const waiting = Array.from({ length: opts.inFlight }, () => () => {});
  setMaxListeners(0, ac.signal);
  for (const f of waiting) ac.signal.addEventListener("abort", f, { once: true });
  const fan = new AbortController();
  for (const f of waiting) whenAborted(fan.signal, f);
  const PAIRS = 20_000;
  const listener = () => {
    for (let i = 0; i < PAIRS; i++) {
      ac.signal.addEventListener("abort", noop, { once: true });
      ac.signal.removeEventListener("abort", noop);
    }
  };
  const fanout = () => {
    for (let i = 0; i < PAIRS; i++) whenAborted(fan.signal, noop)();
  };

  const body = { serialised: [] as number[], kept: [] as number[] };
  const abort = { listener: [] as number[], fanout: [] as number[] };
  let perRound = 0;
  for (let r = 0; r < opts.rounds; r++) {
    turns = 0;
    bytes = 0;
    let t = cpuUs();
    serialised();
    body.serialised.push((cpuUs() - t) / turns);
    perRound = turns;
    const meanBytes = bytes / turns;
    t = cpuUs();
    kept();
    body.kept.push((cpuUs() - t) / turns);
    t = cpuUs();
    listener();
    abort.listener.push((cpuUs() - t) / PAIRS);
    t = cpuUs();
    fanout();
    abort.fanout.push((cpuUs() - t) / PAIRS);
    bytes = meanBytes;
  }
  return {
    turns: perRound,
    meanBodyBytes: Math.round(bytes),
    bodyUs: { serialised: median(body.serialised), kept: median(body.kept) },
    abortUs: { listener: median(abort.listener), fanout: median(abort.fanout) },
  };
}
