/**
 * The two sa-bench client behaviours a recipe's benchmark section sets, against a real fixture HTTP
 * server process (fixture-server.ts): warm-ups paced at their own request rate (sa-bench's warm-up
 * run, `warmup_req_rate`), and a new connection per request (sa-bench's aiohttp session per request,
 * `reuse_http_connections: false`) against the default keep-alive connections per slot.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import type { LoadPointOptions } from "./load-options.js";
import { runLoadPoint } from "./run-load-point.js";

let f: FixtureProcess;
beforeAll(async () => {
  f = await spawnFixture(["--ttft-ms", "5", "--itl-ms", "1"]);
});
afterAll(async () => {
  await f?.stop();
});

async function stats(): Promise<{ requests: number; connections: number }> {
  return (await (await fetch(`${f.url}/stats`)).json()) as { requests: number; connections: number };
}

const point = (o: Partial<LoadPointOptions>): LoadPointOptions => ({
  baseUrl: f.url,
  model: "m",
  isl: 32,
  osl: 8,
  concurrency: 4,
  numPrompts: 12,
  warmups: 4,
  ...o,
});

/** requests and new connections the server saw during one load point */
async function delta(o: Partial<LoadPointOptions>) {
  const before = await stats();
  const res = await runLoadPoint(point(o));
  const after = await stats();
  expect(res.status).toBe("ok");
  // the /stats request is not counted; its connection may be
  return { requests: after.requests - before.requests, connections: after.connections - before.connections };
}

describe("sa-bench's connection use", () => {
  it("a new connection for every request with freshConnections", async () => {
    const d = await delta({ freshConnections: true });
    expect(d.requests).toBe(16);
    expect(d.connections).toBeGreaterThanOrEqual(16);
  });

  it("keep-alive connections per slot by default: far fewer connections than requests", async () => {
    const d = await delta({});
    expect(d.requests).toBe(16);
    // two per slot (slot-connections.ts) and the /stats fetch
    expect(d.connections).toBeLessThanOrEqual(2 * 4 + 1);
  });
});

describe("warm-ups paced at their own request rate", () => {
  /** seconds from the call until the measured run starts: the warm-ups' span */
  async function warmSpan(o: Partial<LoadPointOptions>): Promise<number> {
    const t = Date.now();
    const res = await runLoadPoint(point({ warmups: 8, ...o }));
    expect(res.status).toBe("ok");
    return Date.parse(res.startedAt) - t;
  }

  it("8 warm-ups at 4/s: the last is due 2 s after the first; unpaced they go out at once", async () => {
    const paced = await warmSpan({ warmupRequestRate: 4 });
    const unpaced = await warmSpan({});
    expect(paced).toBeGreaterThanOrEqual(2000);
    expect(unpaced).toBeLessThan(2000);
  });

  it("refuses a warm-up rate that is not one", async () => {
    await expect(runLoadPoint(point({ warmupRequestRate: 0 }))).rejects.toThrow(
      "warm-up request rate must be > 0 or inf (got 0)",
    );
  });
});
