import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { AttemptHost, type AttemptHostDeps } from "./attempt-host.js";
import { ProcessLauncher } from "./launchers/process.js";
import type { SpooledMessage } from "./spool.js";
import { fixtureEngineArgv, makeAssignment, onePlan, processSpec } from "./test-support/assignment.js";

async function waitUntil(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("attempt host refusals", () => {
  it("names why it refused: busy (with which attempt), draining, stopping", async () => {
    const port = await freePort();
    const spec = processSpec({
      name: "worker-0",
      argv: fixtureEngineArgv(port),
      ports: { http: port },
      health: [{ kind: "http", url: `http://127.0.0.1:${port}/health` }],
    });
    const sent: unknown[] = [];
    const reliable: SpooledMessage[] = [];
    const deps: AttemptHostDeps = {
      agentId: "host-1",
      launcher: new ProcessLauncher(),
      buildPlan: () => onePlan(spec, port),
      preflight: async () => ({ ok: true, reasons: [], checkedAt: new Date().toISOString() }),
      io: { send: (m) => sent.push(m), sendReliable: (m) => reliable.push(m), acked: async () => true },
      vendor: "nvidia",
      dataDir: mkdtempSync(join(tmpdir(), "bf-host-")),
      readyIntervalMs: 50,
      stopGraceMs: 2000,
      onHealth: () => {},
      log: () => {},
    };
    const host = new AttemptHost(deps);
    const refusals = () =>
      reliable.flatMap((m) => (m.type === "attempt-finished" && m.refused ? [{ id: m.attemptId, ...m.refused }] : []));
    host.onMessage({ type: "assign", assignment: makeAssignment({ attemptId: "att-1" }) });
    host.onMessage({ type: "assign", assignment: makeAssignment({ attemptId: "att-2", fencingToken: 2 }) });
    expect(refusals()).toEqual([{ id: "att-2", cause: "busy", attemptId: "att-1" }]);
    const busy = reliable.find((m) => m.type === "attempt-finished" && m.attemptId === "att-2");
    expect(busy).toMatchObject({
      status: "failed",
      retryable: true,
      reason: "agent host-1 is busy with attempt att-1",
    });
    host.onMessage({ type: "cancel", attemptId: "att-1", fencingToken: 1, reason: "test" });
    await waitUntil(() => host.current() === undefined);
    host.onMessage({ type: "drain", drain: true });
    host.onMessage({ type: "assign", assignment: makeAssignment({ attemptId: "att-3", fencingToken: 3 }) });
    host.onMessage({ type: "drain", drain: false });
    await host.stop("test over");
    host.onMessage({ type: "assign", assignment: makeAssignment({ attemptId: "att-4", fencingToken: 4 }) });
    expect(refusals().slice(1)).toEqual([
      { id: "att-3", cause: "draining" },
      { id: "att-4", cause: "stopping" },
    ]);
  }, 30_000);
});
