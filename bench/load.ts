/**
 * `pnpm bench:load [concurrencies] [--osl N] [--isl N] [--workers N] [--server URL] [--python] [--vllm PATH] [--out FILE]`:
 * the load generator against the fastest fixture-server configuration (a separate process: zero
 * TTFT and ITL, every token its own SSE chunk, written as fast as the server can) at concurrency
 * 64, 256 and 1024. Reports streamed tokens/s, requests/s, client CPU µs per token and p99 send lag.
 *  --server URL   use a server already running (e.g. `fixture-server.ts --processes 8` on a many-core host)
 *  --python       also drive the same load with bench/py_stream_client.py (stdlib asyncio, shaped like vLLM's)
 *  --vllm PATH    also drive it with vLLM's own request function (bench/vllm_client.py; PATH is
 *                 vllm/benchmarks/lib/endpoint_request_func.py of a vLLM checkout, not part of benchfleet)
 *  --out FILE     write the rows as JSON
 *  --itl-ms X     a paced server instead (its own fixture only): every stream gets a token every X ms,
 *                 so the offered load is concurrency / X tokens per ms — for send lag below saturation
 *  --range-ratio R  output (and input) lengths uniform in [floor(L·R), L] (default 1: all equal,
 *                 which keeps a paced run's streams in lockstep)
 * Send lag is reported over all requests and without the first wave (the `concurrency` requests sent
 * at once at the start, whose lag is the time to issue them all, printed as "first wave ms").
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type FixtureProcess, runLoadPoint, spawnFixture } from "@benchfleet/agent";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, dflt: number) => Number(opt(name) ?? dflt);
const concs = (args.find((a) => /^\d+(,\d+)*$/.test(a)) ?? "64,256,1024").split(",").map(Number);
const osl = num("--osl", 256);
const isl = num("--isl", 128);
const workers = num("--workers", 1);
const itlMs = num("--itl-ms", 0);
const rangeRatio = num("--range-ratio", 1);
const vllm = opt("--vllm");

interface Row {
  client: string;
  concurrency: number;
  requests: number;
  durationS: number;
  tokS: number;
  reqS: number;
  cpuUsPerToken: number;
  sendLagP99Ms?: number;
  /** p99 send lag of the requests after the first wave (slots refilled, or open-loop arrivals) */
  steadyLagP99Ms?: number;
  /** start of the run → the last request of the first wave sent */
  firstWaveMs?: number;
  eventLoopP99Ms?: number;
  saturated?: boolean;
  failed: number;
}
const rows: Row[] = [];
const show = (r: Row) => {
  rows.push(r);
  const f = (x: number | undefined, d = 2) => (x === undefined ? "–" : x.toFixed(d));
  console.log(
    `${r.client} | ${r.concurrency} | ${r.requests} | ${f(r.durationS)} | ${f(r.tokS, 0)} | ${f(r.reqS, 1)} | ${f(r.cpuUsPerToken)} | ` +
      `${f(r.sendLagP99Ms)} | ${f(r.steadyLagP99Ms)} | ${f(r.firstWaveMs)} | ${f(r.eventLoopP99Ms)} | ${r.saturated === undefined ? "–" : r.saturated ? "yes" : "no"}${r.failed ? ` (${r.failed} failed)` : ""}`,
  );
};

/** a Python client run as a child process; prints one JSON line */
function python(client: string, script: string, argv: string[]): void {
  const j = JSON.parse(
    execFileSync(process.env.PYTHON ?? "python3", [fileURLToPath(new URL(script, import.meta.url)), ...argv], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    }),
  ) as { duration: number; tok_s: number; req_s: number; cpu_us_per_token: number; completed: number; failed?: number };
  show({
    client,
    concurrency: Number(argv.at(-4)),
    requests: Number(argv.at(-3)),
    durationS: j.duration,
    tokS: j.tok_s,
    reqS: j.req_s,
    cpuUsPerToken: j.cpu_us_per_token,
    failed: j.failed ?? Number(argv.at(-3)) - j.completed,
  });
}

const external = opt("--server");
const server: FixtureProcess | undefined = external
  ? undefined
  : await spawnFixture([
      "--ttft-ms",
      "0",
      "--itl-ms",
      String(itlMs),
      "--tokens-per-chunk",
      "1",
      "--usage-delay-ms",
      "0",
      "--role-chunk",
      "0",
    ]);
const serverUrl = external ?? server!.url;
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()[0]?.toFixed(2)}, node ${process.version}; ` +
    `server: ${server ? "one fixture process" : serverUrl}, ttft 0, itl ${server ? itlMs : "(the server's)"}, 1 token/chunk; ISL ${isl} (token ids), OSL ${osl}, range ratio ${rangeRatio}`,
);
console.log(
  "client | conc | requests | duration s | tok/s | req/s | client CPU µs/token | p99 send lag ms | p99 steady send lag ms | first wave ms | event-loop p99 ms | saturated",
);
try {
  for (const c of concs) {
    const n = Math.max(2048, 4 * c);
    const r = await runLoadPoint({
      baseUrl: serverUrl,
      model: "m",
      isl,
      osl,
      rangeRatio,
      concurrency: c,
      numPrompts: n,
      workers,
    });
    const b = r.bench as unknown as Record<string, number> & {
      benchfleet: { client: { cpuUsPerOutputToken: number } };
    };
    show({
      client: `benchfleet${workers > 1 ? ` (${workers} workers)` : ""}`,
      concurrency: c,
      requests: n,
      durationS: b.duration,
      tokS: b.output_throughput,
      reqS: b.request_throughput,
      cpuUsPerToken: b.benchfleet.client.cpuUsPerOutputToken,
      sendLagP99Ms: r.client?.sendLagP99Ms,
      steadyLagP99Ms: r.client?.sendLagSteadyP99Ms,
      firstWaveMs: r.client?.firstWaveMs,
      eventLoopP99Ms: r.client?.eventLoopDelayP99Ms,
      saturated: r.client?.saturated,
      failed: r.bench.failed ?? 0,
    });
    const common = [serverUrl, String(c), String(n), String(isl), String(osl)];
    if (args.includes("--python")) python("python-asyncio", "./py_stream_client.py", common);
    if (vllm) python("vllm", "./vllm_client.py", [vllm, ...common]);
  }
} finally {
  await server?.stop();
}
const out = opt("--out");
if (out) writeFileSync(out, `${JSON.stringify({ machine: cpus()[0]?.model, cores: cpus().length, rows }, null, 2)}\n`);
