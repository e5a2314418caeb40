/**
 * The SGLang router readiness check (`expectRouterWorkers`, srtctl's check_sglang_router_health)
 * against a real emulated frontend in front of aggregated workers: its `/workers` counts the
 * healthy ones as `regular`, and the check holds only once enough of them are up.
 */
import { freePort, type HealthCheck } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { type EmulatorHandle, startEmulator } from "./emulator/server.js";
import { probe } from "./ready-check.js";

describe("router /workers readiness", () => {
  it("passes once the router counts the expected workers, prefill and decode apart", async () => {
    const workerPort = await freePort();
    const handles: EmulatorHandle[] = [];
    try {
      const router = await startEmulator({
        role: "router",
        worker: [`http://127.0.0.1:${workerPort}`],
        healthIntervalMs: 50,
      });
      handles.push(router);
      const check = (prefill: number, decode: number): HealthCheck => ({
        kind: "http",
        url: `${router.url}/workers`,
        expectStatus: 200,
        expectRouterWorkers: { prefill, decode },
      });
      expect(await probe(check(0, 1), { name: "router" })).toBe(false);
      expect(await probe(check(0, 0), { name: "router" })).toBe(true);

      const worker = await startEmulator({ sku: "h200", model: "dsr1", precision: "fp8", tp: 8, port: workerPort });
      handles.push(worker);
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await probe(check(0, 1), { name: "router" });
        if (!ready) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready).toBe(true);
      // an aggregated worker is `regular`: it counts for decode, never for prefill
      expect(await probe(check(1, 0), { name: "router" })).toBe(false);
      expect(await probe(check(0, 2), { name: "router" })).toBe(false);
    } finally {
      for (const h of handles.reverse()) await h.close();
    }
  }, 30_000);
});
