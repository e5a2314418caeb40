/**
 * The emulated engine's clock decides throughput, not the host's: the same closed-loop point run
 * against an emulator process with a quiet client and with a client whose event loop is blocked
 * most of the time (a loaded host) gives throughput within 5 %, because the engine holds its clock
 * for each promised follow-up. Without the follow-up hint the slow client shrinks the emulated
 * batch and throughput falls (the defect the hold removes). Wall-clock test: runs in "timing".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLoadPoint } from "../loadgen/run-load-point.js";
import { type EmulatorProcess, spawnEmulator } from "./spawn-emulator.js";

let emu: EmulatorProcess | undefined;
afterAll(async () => emu?.kill());

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

const point = (followUpHint?: boolean) =>
  runLoadPoint({
    baseUrl: emu!.url,
    model: "m",
    isl: 256,
    osl: 64,
    concurrency: 16,
    numPrompts: 96,
    warmups: 0,
    gpus: { total: 1, prefill: 0, decode: 0 },
    timing: "engine",
    emulated: true,
    ...(followUpHint === undefined ? {} : { followUpHint }),
  });

describe("closed-loop hold: throughput follows the engine's clock", () => {
  beforeAll(async () => {
    emu = await spawnEmulator([
      "--port",
      "0",
      "--sku",
      "h100",
      "--model",
      "llama3-8b",
      "--time-scale",
      "0.05",
      "--quiet",
    ]);
  });

  it("a quiet and a blocked client measure the same throughput within 5 %", async () => {
    const quiet = await point();
    const stop = hogClient(30, 45);
    let loaded: Awaited<ReturnType<typeof point>>;
    let unhinted: Awaited<ReturnType<typeof point>>;
    try {
      loaded = await point();
      unhinted = await point(false);
    } finally {
      stop();
    }
    const tput = (r: typeof quiet) => r.bench.output_throughput;
    const spread = Math.abs(tput(loaded) - tput(quiet)) / tput(quiet);
    console.info(
      `output tok/s: quiet ${tput(quiet).toFixed(0)}, blocked client ${tput(loaded).toFixed(0)} ` +
        `(${(spread * 100).toFixed(1)} %), blocked without the hint ${tput(unhinted).toFixed(0)}`,
    );
    expect(quiet.bench.completed).toBe(96);
    expect(loaded.bench.completed).toBe(96);
    expect(spread).toBeLessThanOrEqual(0.05);
    // the same blocked client without the hint: the batch shrinks, throughput falls well below
    expect(tput(unhinted)).toBeLessThan(tput(quiet) * 0.95);
  });
});
