/**
 * `pnpm bench:agentic-stream [--tokens N] [--turns N] [--rounds R]`: the CPU the client spends
 * reading one trace-replay turn's streamed response (agent/src/loadgen/stream-cost.ts): `--tokens`
 * token events (default 40, the `small` trace's median output), each its own chunk, then the usage
 * trailer and `[DONE]`, through the client's own path without sockets. Median of the rounds.
 */
import { cpus, loadavg } from "node:os";
import { streamCost } from "@benchfleet/agent";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const tokensPerTurn = Number(opt("--tokens") ?? 40);
const turns = Number(opt("--turns") ?? 20_000);
const rounds = Number(opt("--rounds") ?? 5);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()[0]?.toFixed(2)}, node ${process.version}; ` +
    `${turns} turns of ${tokensPerTurn} tokens, ${rounds} rounds`,
);
const c = await streamCost({ turns, tokensPerTurn, rounds });
console.log(
  `response ${c.responseBytes} bytes a turn: ${c.us.toFixed(1)} µs/turn, ${((c.us * 1000) / (c.tokensPerTurn + 2)).toFixed(0)} ns/event`,
);
