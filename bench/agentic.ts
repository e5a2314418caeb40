/**
 * `pnpm bench:agentic [concurrency=1024] [--workers 1,4] [--duration S] [--itl-ms X] [--ttft-ms X]
 * [--trace small|default] [--server URL] [--out FILE]`: agentic trace replay at `concurrency`
 * trajectories in flight against a paced fixture server (its own process: first token after
 * `--ttft-ms`, then a token every `--itl-ms` per stream), once per thread count. Reports turns
 * completed, streamed tokens/s, the steady send lag p99 (every turn but those due at the instant
 * measuring starts), the first wave, the event-loop delay and the client's CPU per turn.
 * The trace is the synthetic generator with the lab's seed (42) and 393 trajectories; `small`
 * (default) shortens contexts and gaps so that a 2-core host can build every turn's history and the
 * fixture can count it: the send lag measures the replay's scheduling, which the lengths only feed.
 *  --server URL   use a fixture (or engine) already running instead of spawning one
 *  --out FILE     write the rows as JSON
 */
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { DEFAULT_SYNTHETIC_TRACE, type FixtureProcess, runLoadPoint, spawnFixture } from "@benchfleet/agent";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const concurrency = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith("--")) ?? 1024);
const threadCounts = (opt("--workers") ?? "1,4").split(",").map(Number);
const durationS = Number(opt("--duration") ?? 30);
const itlMs = Number(opt("--itl-ms") ?? 20);
const ttftMs = Number(opt("--ttft-ms") ?? 200);
const traceKind = opt("--trace") ?? "small";

/** contexts of a few thousand tokens, turns a second or two apart */
const SMALL = {
  turns: { min: 5, max: 40 },
  sharedPrefixTokens: 1_000,
  firstTurnTokens: { median: 500, sigma: 0.8 },
  newTokensPerTurn: { median: 150, sigma: 1.0 },
  outputTokens: { median: 40, sigma: 0.9 },
  gapMs: { median: 1_000, sigma: 1.0 },
  blockTokens: 512,
};
const trace = {
  synthetic: { seed: 42, trajectories: 393, ...(traceKind === "small" ? SMALL : DEFAULT_SYNTHETIC_TRACE) },
};

interface Row {
  threads: number;
  concurrency: number;
  turns: number;
  failed: number;
  trajectoriesCompleted: number;
  outputTokPerS: number;
  sendLagSteadyP99Ms: number;
  firstWaveMs: number;
  sendLagP99Ms: number;
  eventLoopP99Ms: number;
  cpuUsPerTurn: number;
  saturated: boolean;
}

let fixture: FixtureProcess | undefined;
let url = opt("--server");
if (!url) {
  fixture = await spawnFixture([
    "--processes",
    String(Math.max(1, Math.min(4, Math.floor(availableParallelism() / 4)))),
    "--ttft-ms",
    String(ttftMs),
    "--itl-ms",
    String(itlMs),
  ]);
  url = fixture.url;
}
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()[0]?.toFixed(2)}, node ${process.version}; ` +
    `${concurrency} trajectories in flight, ${durationS} s measured, trace ${traceKind}, fixture TTFT ${ttftMs} ms ITL ${itlMs} ms`,
);
const rows: Row[] = [];
try {
  for (const threads of threadCounts) {
    const res = await runLoadPoint({
      baseUrl: url,
      model: "fixture",
      isl: 0,
      osl: 0,
      concurrency,
      workers: threads,
      agentic: { trace, durationS, graceS: 30 },
    });
    const c = (
      res.bench as unknown as {
        benchfleet: {
          client: {
            sendLagP99Ms: number;
            sendLagSteadyP99Ms?: number;
            firstWaveMs?: number;
            eventLoopDelayP99Ms: number;
            cpuUserMs: number;
            cpuSystemMs: number;
            saturated: boolean;
          };
        };
      }
    ).benchfleet.client;
    const a = res.agentic!;
    const turns = a.requests.completed;
    const row: Row = {
      threads,
      concurrency,
      turns,
      failed: a.requests.failed,
      trajectoriesCompleted: a.trajectories.completed,
      outputTokPerS: Math.round(a.throughput.outputTokensPerS),
      sendLagSteadyP99Ms: c.sendLagSteadyP99Ms ?? c.sendLagP99Ms,
      firstWaveMs: c.firstWaveMs ?? 0,
      sendLagP99Ms: c.sendLagP99Ms,
      eventLoopP99Ms: c.eventLoopDelayP99Ms,
      cpuUsPerTurn: turns ? ((c.cpuUserMs + c.cpuSystemMs) * 1000) / turns : 0,
      saturated: c.saturated,
    };
    rows.push(row);
    console.log(
      `threads ${threads}: ${turns} turns (${row.failed} failed), ${row.trajectoriesCompleted} trajectories completed, ` +
        `${row.outputTokPerS} output tok/s; send lag p99 steady ${row.sendLagSteadyP99Ms.toFixed(2)} ms, ` +
        `first wave ${row.firstWaveMs.toFixed(2)} ms, all ${row.sendLagP99Ms.toFixed(2)} ms; ` +
        `event loop p99 ${row.eventLoopP99Ms.toFixed(1)} ms; CPU ${row.cpuUsPerTurn.toFixed(0)} µs/turn; ` +
        `saturated ${row.saturated ? "yes" : "no"}; status ${res.status}${res.failureReason ? ` (${res.failureReason})` : ""}`,
    );
  }
} finally {
  await fixture?.stop();
}
const out = opt("--out");
if (out) writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
