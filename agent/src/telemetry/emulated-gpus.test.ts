/**
 * The emulated node's GPU samples from a real emulated engine over HTTP: idle GPUs read idle power,
 * the engine's GPUs follow its busy time under load, and its KV use shows as memory.
 */
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gpuMemoryUsedMiB, InFlightBusyClock } from "../emulator/gpu-load.js";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog } from "../emulator/model-spec.js";
import { PerfModel } from "../emulator/perf-model.js";
import { type EmulatorHandle, startEmulator } from "../emulator/server.js";
import { streamRequest } from "../emulator/stream-client.js";
import { gpuEngineUrl } from "../launchers/emulated-args.js";
import { EmulatedGpuSource } from "./emulated-gpus.js";

describe("emulated GPU samples from a real emulated engine", () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ sku: "h100", model: "llama3-8b", precision: "bf16", tp: 2, timeScale: 0.2 });
  });
  afterAll(async () => emu.close());

  it("reports busy time, wall time, memory and time scale in /control/state and /metrics", async () => {
    const st = (await (await fetch(`${emu.url}/control/state`)).json()) as { gpu: Record<string, number> };
    expect(st.gpu).toMatchObject({ gpus: 2, busyWallMs: 0, timeScale: 0.2, memTotalMiB: 76294 });
    expect(st.gpu.wallMs).toBeGreaterThan(0);
    expect(st.gpu.memUsedMiB).toBeGreaterThan(0);
    const metrics = await (await fetch(`${emu.url}/metrics`)).text();
    expect(metrics).toMatch(/^benchfleet_busy_seconds_total\{model_name="[^"]+"\} 0$/m);
    expect(metrics).toMatch(/^benchfleet_gpu_memory_used_bytes\{/m);
  });

  it("idle engine → idle power; under load → its GPUs near TDP, the others idle, memory up", async () => {
    const source = new EmulatedGpuSource({
      sku: "h100",
      gpuCount: 4,
      engines: () => [{ name: "worker-0", gpus: [0, 1], url: emu.url }],
    });
    const idle = await source.poll();
    expect(idle.map((s) => s.powerW)).toEqual([70, 70, 70, 70]);
    expect(source.timeScale()).toBe(0.2);
    const body = { model: "m", prompt: "hello ".repeat(2000), max_tokens: 256, ignore_eos: true, stream: true };
    let done = false;
    const load = Promise.all(Array.from({ length: 32 }, () => streamRequest(`${emu.url}/v1/completions`, body))).then(
      () => (done = true),
    );
    // each poll covers the time since the last one: poll while the load runs until a busy interval shows
    let busy = await source.poll();
    while (!done && (busy[0].utilPct ?? 0) <= 80) {
      await new Promise((r) => setTimeout(r, 100));
      busy = await source.poll();
    }
    await load;
    expect(busy[0].utilPct).toBeGreaterThan(80);
    expect(busy[0].powerW).toBeGreaterThan(0.8 * 700);
    expect(busy[0].powerW).toBeLessThanOrEqual(700);
    expect(busy[1].powerW).toBe(busy[0].powerW);
    expect(busy.slice(2).map((s) => s.powerW)).toEqual([70, 70]);
    expect(busy[0].memUsedMiB).toBeGreaterThan(idle[0].memUsedMiB ?? 0);
    expect(busy[2].memUsedMiB).toBe(0);
  });

  it("an engine that does not answer leaves its GPUs idle", async () => {
    const source = new EmulatedGpuSource({
      sku: "b200",
      gpuCount: 2,
      engines: () => [{ name: "gone", gpus: [0, 1], url: "http://127.0.0.1:1" }],
    });
    expect((await source.poll()).map((s) => [s.powerW, s.utilPct])).toEqual([
      [100, 0],
      [100, 0],
    ]);
  });
});

describe("engine-side GPU load figures", () => {
  it("memory per GPU: weights + activations at an empty KV cache, up to memFraction of HBM when full", () => {
    const sku = findSku(loadSkuCatalog(), "h100").spec;
    const model = findModel(loadModelCatalog(), "llama3-8b").spec;
    const perf = new PerfModel(sku, model, "bf16", { tp: 1, ep: 1, dpAttn: false, mtp: false });
    const empty = gpuMemoryUsedMiB(perf, 0);
    expect(empty).toBe(Math.round((perf.weightBytesPerGpu + 4e9) / 1048576));
    expect(gpuMemoryUsedMiB(perf, perf.kvCapacityTokens)).toBe(Math.round((80e9 * 0.88) / 1048576));
    expect(gpuMemoryUsedMiB(perf, perf.kvCapacityTokens / 2)).toBeGreaterThan(empty);
  });
  it("fixed-delay busy clock: busy while any request is in flight", () => {
    let now = 0;
    const c = new InFlightBusyClock(() => now);
    c.change(1);
    now = 100;
    c.change(1);
    now = 150;
    c.change(-1);
    expect(c.busyWallMs()).toBe(150);
    now = 200;
    c.change(-1);
    now = 500;
    expect(c.busyWallMs()).toBe(200);
  });
  it("the engine of a process's GPUs: its own port; a multi-node worker's later ranks follow rank 0", () => {
    const spec = (name: string, gpus: number[], port: number, role: ProcessSpec["role"] = "decode") =>
      ({ name, role, argv: [], env: {}, gpus, ports: { http: port }, health: [] }) as unknown as ProcessSpec;
    const plan = {
      nodes: [
        { rank: 0, ip: "10.0.0.1", processes: [spec("decode-0-rank0", [0, 1], 9000)] },
        { rank: 1, ip: "10.0.0.2", processes: [spec("decode-0-rank1", [0, 1], 9000)] },
      ],
    } as unknown as LaunchPlan;
    expect(gpuEngineUrl(spec("decode-0-rank0", [0, 1], 9000), plan, "0.0.0.0")).toBe("http://127.0.0.1:9000");
    expect(gpuEngineUrl(spec("decode-0-rank1", [0, 1], 9000), plan, "10.0.0.2")).toBe("http://10.0.0.1:9000");
    expect(gpuEngineUrl(spec("worker-0", [0], 8000, "worker"), undefined, "127.0.0.5")).toBe("http://127.0.0.5:8000");
    expect(gpuEngineUrl(spec("router", [], 8000, "router"), plan, "127.0.0.1")).toBeUndefined();
  });
});
