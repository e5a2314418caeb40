import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./server.js";
import { type EmulatorProcess, spawnEmulator } from "./spawn-emulator.js";
import { streamRequest } from "./stream-client.js";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("fixed-delay mode", () => {
  // a real process (as the load generator sees it), so client and server do not share an event loop
  let emu: EmulatorProcess;
  beforeAll(async () => {
    emu = await spawnEmulator(["--port", "0", "--ttft-ms", "50", "--itl-ms", "20", "--quiet"]);
    // warm-up: JIT and 16 keep-alive connections, so the measurement holds no connection setup
    await Promise.all(
      Array.from({ length: 16 }, () =>
        streamRequest(`${emu.url}/v1/completions`, { prompt: [1], max_tokens: 2, stream: true }),
      ),
    );
  });
  afterAll(async () => emu?.kill());

  it("emits the first token T ms after arrival, then a chunk every I ms, without drift", async () => {
    const n = 40;
    // 16 concurrent streams: no batching limit, every stream keeps its own schedule. Sends are
    // staggered so the client's own send queue does not show up as server lateness.
    const runs = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, i * 7));
        return streamRequest(`${emu.url}/v1/completions`, {
          prompt: [1, 2, 3],
          max_tokens: n,
          ignore_eos: true,
          stream: true,
        });
      }),
    );
    for (const r of runs) {
      expect(r.tokenTimes.length).toBe(n);
      // first token never early
      expect(r.ttftMs!).toBeGreaterThanOrEqual(49.5);
      const gaps = r.tokenTimes.slice(1).map((t, i) => t - r.tokenTimes[i]!);
      expect(Math.abs(mean(gaps) - 20)).toBeLessThan(0.5);
      // absolute schedule: token k is due at ttft + k·itl and lateness does not accumulate. Chained
      // timers would drift by ≥ ~1 ms a token (≥ 30 ms between the first and last ten tokens); the
      // medians keep one scheduler stall of a busy host from deciding the check.
      const late = r.tokenTimes.map((t, k) => t - (50 + k * 20));
      // (a stream's constant offset — its request reached the server late — is not drift; the mean
      // TTFT check below bounds offsets)
      expect(median(late.slice(-10)) - median(late.slice(0, 10))).toBeLessThan(5);
    }
    // the typical first token is at most a few ms late (timer granularity, loopback transit); the
    // median keeps one stream whose request reached the server late from deciding the check
    expect(median(runs.map((r) => r.ttftMs!)) - 50).toBeLessThan(5);
  });

  it("groups tokens into chunks of K", async () => {
    const emu2 = await startEmulator({ fixedDelay: { ttftMs: 10, itlMs: 15, tokensPerChunk: 4 } });
    try {
      const r = await streamRequest(`${emu2.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: "hi" }],
        max_tokens: 10,
        stream: true,
        stream_options: { include_usage: true },
      });
      // chunks of 4, 4, 2 tokens at 10, 25, 40 ms
      expect(r.tokenTimes.length).toBe(3);
      expect(r.text.trim().split(/\s+/).length).toBe(10);
      expect(r.usage?.completion_tokens).toBe(10);
      expect(r.e2elMs!).toBeGreaterThanOrEqual(39);
      expect(r.e2elMs!).toBeLessThan(40 + 15);
    } finally {
      await emu2.close();
    }
  });
});
