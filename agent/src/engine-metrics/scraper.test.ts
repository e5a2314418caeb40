import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EngineMetricsScraper } from "./scraper.js";

const servers: Server[] = [];

async function serve(answer: (n: number) => { status: number; body: string }): Promise<string> {
  let n = 0;
  const s = createServer((_req, res) => {
    const a = answer(n++);
    res.writeHead(a.status, { "content-type": "text/plain" });
    res.end(a.body);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe("EngineMetricsScraper", () => {
  it("reads each role's endpoint during the point and summarises it, the last scrape at stop", async () => {
    const url = await serve((n) => ({
      status: 200,
      body: `vllm:num_requests_running{model_name="m"} ${n}\nvllm:num_preemptions_total{model_name="m"} ${n * 2}\n`,
    }));
    const s = new EngineMetricsScraper([{ role: "worker", process: "worker-0", url }], { intervalMs: 20 });
    s.start();
    await new Promise((r) => setTimeout(r, 120));
    const m = await s.stop();
    expect(m.intervalMs).toBe(20);
    const r = m.roles[0]!;
    expect(r.problem).toBeUndefined();
    expect(r.scrapes).toBeGreaterThanOrEqual(3);
    expect(r.requestsRunning!.max).toBe(r.scrapes - 1);
    expect(r.preemptions).toBe((r.scrapes - 1) * 2);
  });

  it("keeps going when an endpoint is absent, answers an error or serves malformed text, and says so", async () => {
    const absent = await serve(() => ({ status: 200, body: "" }));
    await new Promise((r) => servers.pop()!.close(r)); // nothing listens there any more
    const notFound = await serve(() => ({ status: 404, body: "no" }));
    const malformed = await serve(() => ({ status: 200, body: "vllm:num_requests_running{model_name=m} 1\n" }));
    const s = new EngineMetricsScraper(
      [
        { role: "prefill", process: "p", url: absent },
        { role: "decode", process: "d", url: notFound },
        { role: "worker", process: "w", url: malformed },
      ],
      { intervalMs: 20 },
    );
    s.start();
    await new Promise((r) => setTimeout(r, 60));
    const [a, nf, bad] = (await s.stop()).roles;
    expect(a!.problem).toMatch(new RegExp(`scrapes of ${absent} failed: .*ECONNREFUSED`));
    expect(nf!.problem).toMatch(/failed: HTTP 404$/);
    expect(bad!.problem).toMatch(/failed: malformed metrics text: line 1:27: expected label="value"/);
    for (const r of [a!, nf!, bad!]) {
      expect(r.scrapes).toBe(0);
      expect(r.failedScrapes).toBeGreaterThanOrEqual(2);
      expect(r.kvCacheUsage).toBeNull();
    }
  });
});
