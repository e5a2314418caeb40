/** Test helper: a controller on a free port with its own Redis key prefix, data dir and fast timings. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControllerConfigInput } from "@benchfleet/controller";
import { type ControllerHandle, startController } from "@benchfleet/controller";

export const TOKENS = {
  admin: "admin-token-0123456789",
  operator: "operator-token-0123456789",
  viewer: "viewer-token-0123456789",
  enrol: "enrol-token-0123456789",
};

/** Fast timings for tests: heartbeat 200 ms, lock 2 s. */
export const FAST: Partial<ControllerConfigInput> = {
  heartbeatIntervalMs: 200,
  heartbeatTimeoutMs: 1000,
  disconnectGraceMs: 500,
  reconnectGraceMs: 4000,
  agentReconnectMaxMs: 2000,
  lockDurationMs: 2000,
  stalledIntervalMs: 1000,
  dispatchIntervalMs: 100,
  backoffMs: 100,
  backoffJitter: 0,
  pingIntervalMs: 1000,
};

export function testEnv(): NodeJS.ProcessEnv {
  return {
    BENCHFLEET_OPERATOR_TOKENS: `alice:admin:${TOKENS.admin},bob:operator:${TOKENS.operator},carol:viewer:${TOKENS.viewer}`,
    BENCHFLEET_ENROLMENT_TOKENS: TOKENS.enrol,
    BENCHFLEET_AGENT_TOKENS: "pinned-1=pinned-agent-token-0123456789",
    // every JSON answer is checked against its route's response schema (a mismatch is a 500)
    BENCHFLEET_CHECK_RESPONSES: "1",
  };
}

export interface TestController extends ControllerHandle {
  dataDir: string;
  keyPrefix: string;
  /** fetch JSON from the API with a role's token */
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startTestController(
  redisUrl: string,
  o: { config?: Partial<ControllerConfigInput>; keyPrefix?: string; dataDir?: string } = {},
): Promise<TestController> {
  const keyPrefix = o.keyPrefix ?? `t${randomBytes(4).toString("hex")}`;
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "bf-ctl-"));
  const h = await startController({
    env: testEnv(),
    config: { redisUrl, keyPrefix, dataDir, port: 0, ...FAST, ...o.config },
  });
  return {
    ...h,
    dataDir,
    keyPrefix,
    async api(method, path, body, token = TOKENS.admin) {
      const res = await fetch(`${h.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as any };
    },
    async stop() {
      await h.close();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value. */
export async function until<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 5000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}

/**
 * Cancels every sweep of the controller that has not finished and waits until each is, so a test that
 * failed halfway leaves no job running for the next one.
 */
export async function cancelUnfinishedSweeps(c: TestController, timeoutMs = 30_000): Promise<void> {
  const r = await c.api("GET", "/api/v1/sweeps?limit=1000", undefined, TOKENS.viewer);
  const open = (r.body.items as Array<{ sweepId: string; status: string }>).filter(
    (s) => !["succeeded", "failed", "cancelled"].includes(s.status),
  );
  for (const s of open) {
    await c.api("POST", `/api/v1/sweeps/${s.sweepId}/cancel`, { reason: "test cleanup" }, TOKENS.operator);
    await sweepFinished(c, s.sweepId, timeoutMs);
  }
}

/** Polls a sweep until it has ended (succeeded, failed or cancelled); returns its view. */
export function sweepFinished(c: TestController, sweepId: string, timeoutMs: number) {
  return until(
    async () => {
      const r = await c.api("GET", `/api/v1/sweeps/${sweepId}`, undefined, TOKENS.viewer);
      return ["succeeded", "failed", "cancelled"].includes(r.body?.status) ? r.body : undefined;
    },
    timeoutMs,
    `sweep ${sweepId} finished`,
  );
}
