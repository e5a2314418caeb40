/**
 * `pnpm bench:load [concurrencies] [--osl N] [--workers N] [--python]`: the load generator against the fastest
 * fixture-server configuration (a separate process: zero TTFT and ITL, every token its own SSE
 * chunk, written as fast as the server can) at concurrency 64, 256 and 1024. Reports streamed
 * tokens/s, requests/s, client CPU µs per token and p99 send lag. With --python, the same load is
 * also driven by bench/py_stream_client.py (a single-asyncio-loop Python client built like
 * `vllm bench serve`'s request function, standard library only) for comparison.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { spawnFixture } from "../agent/src/loadgen/fixture-process.js";
import { runLoadPoint } from "../agent/src/loadgen/run-load-point.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const concs = (args.find((a) => /^\d+(,\d+)*$/.test(a)) ?? "64,256,1024").split(",").map(Number);
const osl = opt("--osl", 256);
const isl = opt("--isl", 128);
const workers = opt("--workers", 1);

const server = await spawnFixture([
  "--ttft-ms",
  "0",
  "--itl-ms",
  "0",
  "--tokens-per-chunk",
  "1",
  "--usage-delay-ms",
  "0",
  "--role-chunk",
  "0",
]);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; server: fixture process, ttft 0, itl 0, 1 token/chunk; ISL ${isl} (token ids), OSL ${osl}`,
);
console.log(
  "client | conc | requests | duration s | tok/s | req/s | client CPU µs/token | p99 send lag ms | event-loop p99 ms | saturated",
);
try {
  for (const c of concs) {
    const n = Math.max(2048, 4 * c);
    const r = await runLoadPoint({
      baseUrl: server.url,
      model: "m",
      isl,
      osl,
      rangeRatio: 1,
      concurrency: c,
      numPrompts: n,
      warmups: c,
      workers,
    });
    const b = r.bench as unknown as Record<string, number> & {
      benchfleet: { client: { cpuUsPerOutputToken: number } };
    };
    console.log(
      `benchfleet${workers > 1 ? ` (${workers} workers)` : ""} | ${c} | ${n} | ${b.duration.toFixed(2)} | ${b.output_throughput.toFixed(0)} | ${b.request_throughput.toFixed(1)} | ` +
        `${b.benchfleet.client.cpuUsPerOutputToken.toFixed(2)} | ${r.client?.sendLagP99Ms.toFixed(2)} | ${r.client?.eventLoopDelayP99Ms.toFixed(2)} | ${r.client?.saturated ? "yes" : "no"}` +
        `${r.bench.failed ? ` (${r.bench.failed} failed)` : ""}`,
    );
    if (flag("--python")) {
      const py = fileURLToPath(new URL("./py_stream_client.py", import.meta.url));
      const out = execFileSync("python3", [py, server.url, String(c), String(n), String(isl), String(osl)], {
        encoding: "utf8",
        maxBuffer: 1 << 20,
      });
      const j = JSON.parse(out) as {
        duration: number;
        tok_s: number;
        req_s: number;
        cpu_us_per_token: number;
        completed: number;
      };
      console.log(
        `python-asyncio | ${c} | ${n} | ${j.duration.toFixed(2)} | ${j.tok_s.toFixed(0)} | ${j.req_s.toFixed(1)} | ${j.cpu_us_per_token.toFixed(2)} | - | - | - (${j.completed} completed)`,
      );
    }
  }
} finally {
  await server.stop();
}
