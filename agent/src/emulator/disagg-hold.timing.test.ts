/**
 * The emulated clock decides a disaggregated point's throughput too: the same closed-loop point
 * through the PD router (a prefill and a decode emulator process behind it) with a quiet client and
 * with a client whose event loop is blocked most of the time (a loaded host) gives throughput
 * within 5 %. The router passes the client's closed-loop hints on to the decode worker, whose
 * clock then waits for each promised follow-up instead of counting the host's time for the
 * request's trip through the prefill worker and the router. Wall-clock test: runs in "timing".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoadPoint } from "../loadgen/run-load-point.js";
import { type EmulatorProcess, spawnEmulator } from "./spawn-emulator.js";

const procs: EmulatorProcess[] = [];
let router: EmulatorProcess | undefined;
afterAll(async () => {
  for (const p of procs) await p.kill();
});

/** Blocks this process's event loop `busyMs` of every `periodMs`: a client on an overloaded host. */
function hogClient(busyMs: number, periodMs: number): () => void {
  const t = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      /* busy */
    }
  }, periodMs - busyMs);
  return () => clearInterval(t);
}

const point = () =>
  runLoadPoint({
    baseUrl: router!.url,
    model: "m",
    isl: 1024,
    osl: 128,
    concurrency: 8,
    numPrompts: 48,
    warmups: 0,
    gpus: { total: 8, prefill: 4, decode: 4 },
    timing: "engine",
    emulated: true,
  });

describe("disaggregated closed loop: throughput follows the decode worker's clock", () => {
  beforeAll(async () => {
    const worker = (role: "prefill" | "decode") =>
      spawnEmulator([
        "--port",
        "0",
        "--role",
        role,
        "--sku",
        "gb200",
        "--model",
        "dsr1",
        "--precision",
        "fp4",
        "--tp",
        "4",
        "--time-scale",
        "0.05",
        "--quiet",
      ]);
    const [p, d] = await Promise.all([worker("prefill"), worker("decode")]);
    procs.push(p, d);
    router = await spawnEmulator([
      "--port",
      "0",
      "--role",
      "router",
      "--prefill",
      p.url,
      "--decode",
      d.url,
      "--time-scale",
      "0.05",
      "--quiet",
    ]);
    procs.push(router);
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${router.url}/health`)).status !== 200) {
      if (Date.now() > deadline) throw new Error("router not ready within 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("a quiet and a blocked client measure the same throughput within 5 %", async () => {
    const quiet = await point();
    const stop = hogClient(30, 45);
    let loaded: Awaited<ReturnType<typeof point>>;
    try {
      loaded = await point();
    } finally {
      stop();
    }
    const tput = (r: typeof quiet) => r.bench.output_throughput;
    const spread = Math.abs(tput(loaded) - tput(quiet)) / tput(quiet);
    console.info(
      `output tok/s: quiet ${tput(quiet).toFixed(0)}, blocked client ${tput(loaded).toFixed(0)} ` +
        `(${(spread * 100).toFixed(1)} %); median TPOT ${Number(quiet.bench.median_tpot_ms).toFixed(2)} / ${Number(loaded.bench.median_tpot_ms).toFixed(2)} ms`,
    );
    expect(quiet.bench.completed).toBe(48);
    expect(loaded.bench.completed).toBe(48);
    expect(spread).toBeLessThanOrEqual(0.05);
  });
});
