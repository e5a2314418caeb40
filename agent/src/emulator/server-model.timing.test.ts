/**
 * The emulator's streamed timings against its own performance model, measured by a client. A
 * wall-clock test: it runs in the "timing" project, alone, after the rest of the suite.
 */
import { describe, expect, it } from "vitest";
import { defaultEngineOptions } from "./batch-engine.js";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { startEmulator } from "./server.js";
import { simulateTrace } from "./simulate.js";
import { streamRequest } from "./stream-client.js";

const ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % 32000);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("emulator server: streamed timings follow the model", () => {
  it("TTFT and TPOT measured by a client match the model within 5 % (time scale 0.5)", async () => {
    const scale = 0.5;
    const model = new PerfModel(
      findSku(loadSkuCatalog(), "h100").spec,
      findModel(loadModelCatalog(), "llama3-8b").spec,
      "bf16",
      {
        tp: 1,
        ep: 1,
        dpAttn: false,
        mtp: false,
      },
    );
    const emu = await startEmulator({ sku: "h100", model: "llama3-8b", precision: "bf16", timeScale: scale });
    try {
      // warm up the code paths (JIT) before measuring
      await streamRequest(`${emu.url}/v1/completions`, { prompt: ids(16), max_tokens: 2, stream: true });
      const isl = [6000, 4096, 8000, 3000, 6000, 5000];
      const osl = 64;
      const runs = await Promise.all(
        isl.map(async (n, i) => {
          await new Promise((r) => setTimeout(r, i * 60));
          return streamRequest(`${emu.url}/v1/completions`, {
            prompt: ids(n),
            max_tokens: osl,
            ignore_eos: true,
            stream: true,
            stream_options: { include_usage: true },
          });
        }),
      );
      // the model's prediction for the same arrivals, as the engine's clock saw them (emulated ms):
      // which step a request joins depends on when it arrived, so replay exactly those arrivals
      const queued = runs.map(
        (r) => (r.events.at(-1)!.data as { benchfleet: { queued_at_ms: number } }).benchfleet.queued_at_ms,
      );
      const sim = simulateTrace(
        model,
        defaultEngineOptions(model),
        runs.map((_, i) => ({ atMs: queued[i]! - Math.min(...queued), isl: isl[i]!, osl })),
      );
      const ttft = runs.map((r) => r.ttftMs! / scale);
      const tpot = runs.map((r) => (r.e2elMs! - r.ttftMs!) / scale / (osl - 1));
      expect(runs.every((r) => r.tokenTimes.length === osl)).toBe(true);
      const rel = (a: number, b: number) => Math.abs(a - b) / b;
      expect(rel(mean(ttft), mean(sim.ttftsMs)), `mean TTFT ${mean(ttft)} vs model ${mean(sim.ttftsMs)}`).toBeLessThan(
        0.05,
      );
      expect(rel(mean(tpot), mean(sim.tpotsMs)), `mean TPOT ${mean(tpot)} vs model ${mean(sim.tpotsMs)}`).toBeLessThan(
        0.05,
      );
      for (let i = 0; i < runs.length; i++) {
        expect(rel(ttft[i]! + tpot[i]! * (osl - 1), sim.e2elsMs[i]!), `E2E of request ${i}`).toBeLessThan(0.05);
      }
    } finally {
      await emu.close();
    }
  });
});
