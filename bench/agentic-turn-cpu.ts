/**
 * `pnpm bench:agentic-turn [--trace small|default] [--trajectories N] [--rounds R] [--in-flight N]
 * [--lanes N] [--waits N]`: the CPU one trace-replay turn costs this thread before it is sent, by
 * the two ways the replay can do it (agent/src/loadgen/turn-cost.ts): the body serialised whole and
 * encoded again, or copied from the history's kept JSON bytes; and waiting on the run's abort
 * signal with an EventTarget listener per request, or through the one-listener fan-out, with
 * `--in-flight` requests waiting. Then waiting for the turn's due time (wait-cost.ts): a timer and
 * a spin, or a timer and the helper thread, `--lanes` loops of `--waits` waits each. The ways
 * alternate round by round; each CPU figure is its way's median.
 */
import { cpus, loadavg } from "node:os";
import { DEFAULT_SYNTHETIC_TRACE, syntheticTrace, turnCost, waitCost } from "@benchfleet/agent";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const kind = opt("--trace") ?? "small";
const trajectories = Number(opt("--trajectories") ?? 64);
const rounds = Number(opt("--rounds") ?? 5);
const inFlight = Number(opt("--in-flight") ?? 1024);
const lanes = Number(opt("--lanes") ?? 16);
const waits = Number(opt("--waits") ?? 50);
/** bench/agentic.ts's `small` lengths */
const SMALL = {
  turns: { min: 5, max: 40 },
  sharedPrefixTokens: 1_000,
  firstTurnTokens: { median: 500, sigma: 0.8 },
  newTokensPerTurn: { median: 150, sigma: 1.0 },
  outputTokens: { median: 40, sigma: 0.9 },
  gapMs: { median: 1_000, sigma: 1.0 },
  blockTokens: 512,
};
const trace = syntheticTrace({ seed: 42, trajectories, ...(kind === "small" ? SMALL : DEFAULT_SYNTHETIC_TRACE) });
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()[0]?.toFixed(2)}, node ${process.version}; ` +
    `trace ${kind}, ${trajectories} trajectories, ${rounds} rounds, ${inFlight} requests waiting`,
);
const c = turnCost(trace, { rounds, inFlight });
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
console.log(
  `${c.turns} turns a round, bodies of ${c.meanBodyBytes} bytes on average\n` +
    `body: serialised whole ${c.bodyUs.serialised.toFixed(1)} µs/turn, from kept bytes ${c.bodyUs.kept.toFixed(1)} µs/turn (${ratio(c.bodyUs.serialised, c.bodyUs.kept)} less)\n` +
    `abort wait: listener per request ${c.abortUs.listener.toFixed(2)} µs, fan-out ${c.abortUs.fanout.toFixed(2)} µs (${ratio(c.abortUs.listener, c.abortUs.fanout)} less)`,
);
const w = await waitCost({ lanes, waits, rounds });
const way = (x: typeof w.spin) =>
  `${x.cpuUsPerWait.toFixed(1)} µs CPU/wait, late p50 ${x.lateP50Us.toFixed(0)} µs p99 ${x.lateP99Us.toFixed(0)} µs`;
console.log(
  `wait for the due time (${lanes} lanes × ${waits} waits of 2–12 ms): timer + spin ${way(w.spin)}; ` +
    `timer + helper thread ${way(w.helper)} (${ratio(w.spin.cpuUsPerWait, w.helper.cpuUsPerWait)} less CPU)`,
);
