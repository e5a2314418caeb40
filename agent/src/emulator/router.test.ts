import { freePort } from "@benchfleet/shared";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { findModel, findSku, loadModelCatalog, loadSkuCatalog } from "./model-spec.js";
import { PerfModel } from "./perf-model.js";
import { type EmulatorHandle, startEmulator } from "./server.js";
import { streamRequest } from "./stream-client.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = async (url: string) => {
  const r = await request(url, { signal: AbortSignal.timeout(2000) });
  const text = await r.body.text();
  return { code: r.statusCode, text };
};
async function until(pred: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(25);
  }
  return false;
}

describe("PD router: prefill → KV transfer → decode", () => {
  it("is not ready until both pools are healthy, then streams requests through prefill and decode", async () => {
    const scale = 0.5;
    const common = {
      sku: "h200",
      model: "dsr1",
      precision: "fp8",
      tp: 8,
      ep: 8,
      dpAttn: true,
      timeScale: scale,
    } as const;
    const prefillPort = await freePort();
    const decodePort = await freePort();
    const handles: EmulatorHandle[] = [];
    try {
      const router = await startEmulator({
        role: "router",
        prefill: [`http://127.0.0.1:${prefillPort}`],
        decode: [`http://127.0.0.1:${decodePort}`],
        healthIntervalMs: 50,
      });
      handles.push(router);
      // no workers yet: 503 on readiness, health and requests
      expect((await status(`${router.url}/readiness`)).code).toBe(503);
      expect((await status(`${router.url}/health`)).code).toBe(503);
      const early = await streamRequest(`${router.url}/v1/completions`, { prompt: [1, 2], max_tokens: 2 });
      expect(early.status).toBe(503);

      const prefill = await startEmulator({ ...common, role: "prefill", port: prefillPort });
      handles.push(prefill);
      await sleep(200);
      expect((await status(`${router.url}/readiness`)).code).toBe(503); // decode pool still down
      const decode = await startEmulator({ ...common, role: "decode", port: decodePort });
      handles.push(decode);
      expect(await until(async () => (await status(`${router.url}/readiness`)).code === 200)).toBe(true);
      expect((await status(`${router.url}/health`)).code).toBe(200);

      // workers refuse direct requests: they only serve through the router
      const direct = await streamRequest(`${decode.url}/v1/completions`, { prompt: [1], max_tokens: 2 });
      expect(direct.status).toBe(400);
      expect((direct.body as { message: string }).message).toMatch(/--role decode: send requests through the router/);

      const isl = 8000;
      const osl = 32;
      const r = await streamRequest(`${router.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: Array.from({ length: isl }, (_, i) => `w${i}`).join(" ") }],
        max_tokens: osl,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(r.status).toBe(200);
      expect(r.headers["x-benchfleet-emulated"]).toBe("1");
      expect(r.done).toBe(true);
      expect((r.events[0]!.data as { choices: Array<{ delta: object }> }).choices[0]!.delta).toEqual({
        role: "assistant",
        content: "",
      });
      expect(r.usage).toEqual({ prompt_tokens: isl, completion_tokens: osl, total_tokens: isl + osl });

      // TTFT ≥ prefill of ISL + KV transfer ∝ ISL (emulated ms, scaled to wall time)
      const perf = new PerfModel(
        findSku(loadSkuCatalog(), "h200").spec,
        findModel(loadModelCatalog(), "dsr1").spec,
        "fp8",
        {
          tp: 8,
          ep: 8,
          dpAttn: true,
          mtp: false,
        },
      );
      const prefillMs = perf.step({
        decodeRequests: 0,
        decodeContextTokens: 0,
        prefillTokens: isl,
        prefillAttnPairs: (isl * (isl + 1)) / 2,
      }).ms;
      const transferMs = perf.kvTransferMs(isl);
      expect(transferMs).toBeGreaterThan(perf.kvTransferMs(isl / 8));
      expect(r.ttftMs! / scale).toBeGreaterThan((prefillMs + transferMs) * 0.97);
      expect(r.ttftMs! / scale).toBeLessThan((prefillMs + transferMs) * 1.3 + 40);

      // the work happened where it should: prompt tokens on prefill, generation on decode
      const metric = async (url: string, name: string) =>
        Number(
          new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+]+)$`, "m").exec(await (await fetch(`${url}/metrics`)).text())![1],
        );
      expect(await metric(prefill.url, "vllm:prompt_tokens_total")).toBe(isl);
      expect(await metric(prefill.url, "vllm:generation_tokens_total")).toBe(0);
      expect(await metric(decode.url, "vllm:prompt_tokens_total")).toBe(0);
      expect(await metric(decode.url, "vllm:generation_tokens_total")).toBe(osl);

      // /v1/models through the router says emulated; a dead decode worker makes the router unready
      const models = (await (await fetch(`${router.url}/v1/models`)).json()) as { data: Array<{ owned_by: string }> };
      expect(models.data[0]!.owned_by).toBe("benchfleet-emulator");
      await decode.close();
      handles.pop();
      expect(await until(async () => (await status(`${router.url}/readiness`)).code === 503)).toBe(true);
      const workers = JSON.parse((await status(`${router.url}/workers`)).text) as {
        workers: Array<{ pool: string; healthy: boolean }>;
        stats: Record<string, number>;
      };
      expect(workers.workers.find((w) => w.pool === "decode")!.healthy).toBe(false);
      // sgl-router's counts, healthy workers only
      expect(workers.stats).toEqual({ prefill_count: 1, decode_count: 0, regular_count: 0 });
    } finally {
      for (const h of handles.reverse()) await h.close();
    }
  });
});

describe("aggregated frontend: the router in front of aggregated workers", () => {
  it("is ready once every worker is, spreads requests round-robin and passes them through", async () => {
    const common = { sku: "h100", model: "llama3-8b", precision: "bf16", tp: 1, timeScale: 0.2 } as const;
    const ports = [await freePort(), await freePort()];
    const handles: EmulatorHandle[] = [];
    try {
      const frontend = await startEmulator({
        role: "router",
        worker: ports.map((p) => `http://127.0.0.1:${p}/`),
        healthIntervalMs: 50,
      });
      handles.push(frontend);
      expect((await status(`${frontend.url}/readiness`)).code).toBe(503);
      const early = await request(`${frontend.url}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ prompt: [1, 2], max_tokens: 2 }),
        headers: { "content-type": "application/json" },
      });
      expect(early.statusCode).toBe(503);
      expect(await early.body.text()).toContain("frontend not ready: waiting for its workers");

      const workers: EmulatorHandle[] = [];
      for (const port of ports) workers.push(await startEmulator({ ...common, role: "both", port }));
      handles.push(...workers);
      expect(await until(async () => (await status(`${frontend.url}/readiness`)).code === 200)).toBe(true);
      // Dynamo's /health: an aggregated worker registers as component `backend`
      const health = JSON.parse((await status(`${frontend.url}/health`)).text) as {
        instances: Array<{ component: string; url: string }>;
      };
      expect(health.instances).toEqual(
        ports.map((p) => ({ component: "backend", endpoint: "generate", url: `http://127.0.0.1:${p}` })),
      );
      const stats = () =>
        status(`${frontend.url}/workers`).then((s) => (JSON.parse(s.text) as { stats: Record<string, number> }).stats);
      expect(await stats()).toEqual({ prefill_count: 0, decode_count: 0, regular_count: 2 });

      // four chat requests, two on each worker, streamed back as the worker sent them
      for (let i = 0; i < 4; i++) {
        const r = await streamRequest(`${frontend.url}/v1/chat/completions`, {
          messages: [{ role: "user", content: `turn ${i}` }],
          max_tokens: 3,
          stream: true,
        });
        expect(r.status, r.text).toBe(200);
        expect(r.done).toBe(true);
      }
      const served = async (url: string) =>
        Number(
          /^vllm:request_success_total\{[^}]*\} ([0-9.e+]+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1],
        );
      expect(await Promise.all(workers.map((w) => served(w.url)))).toEqual([2, 2]);
      const models = (await (await fetch(`${frontend.url}/v1/models`)).json()) as { data: Array<{ owned_by: string }> };
      expect(models.data[0]!.owned_by).toBe("benchfleet-emulator");
      const metrics = await (await fetch(`${frontend.url}/metrics`)).text();
      expect(metrics).toContain("benchfleet_router_requests_total 5");
      expect(metrics).toContain('benchfleet_router_healthy_workers{pool="worker"} 2');
      expect(() => frontend.control.inject({ kind: "crash" } as never)).toThrow(/the frontend takes no faults/);

      // a dead worker makes the frontend unready; the other is still counted
      await workers[1]!.close();
      handles.pop();
      expect(await until(async () => (await status(`${frontend.url}/readiness`)).code === 503)).toBe(true);
      expect(await stats()).toEqual({ prefill_count: 0, decode_count: 0, regular_count: 1 });
    } finally {
      for (const h of handles.reverse()) await h.close();
    }
  });
});
