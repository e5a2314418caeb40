/**
 * Waits for a process's readiness checks (http status, tcp connect, a log line, a canary
 * completion, Dynamo instance counts), polling until they pass, the process exits, or the signal
 * aborts. Real requests with undici's fetch.
 */

import { connect } from "node:net";
import type { HealthCheck } from "@benchfleet/shared";
import { classifyEngineExit } from "./engine-failure.js";

export interface ReadyTarget {
  name: string;
  /** resolves/has a value when the process exited */
  exited?: () => { code: number | null; signal: string | null } | undefined;
  /** lines seen so far (for log-line checks) */
  lines?: () => string[];
  tail?: () => string[];
}

export class NotReadyError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "NotReadyError";
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

async function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(2000, () => done(false));
  });
}

/** one probe: true when the check passes now */
export async function probe(check: HealthCheck, target: ReadyTarget): Promise<boolean> {
  const timeout = AbortSignal.timeout(5000);
  try {
    switch (check.kind) {
      case "tcp":
        return await tcpOpen(check.host ?? "127.0.0.1", check.port ?? 0);
      case "log-line": {
        const re = new RegExp(check.pattern ?? "$^");
        return (target.lines?.() ?? []).some((l) => re.test(l));
      }
      case "http": {
        if (!check.url) return false;
        const res = await fetch(check.url, { signal: timeout });
        const body = await res.text();
        if (res.status !== (check.expectStatus ?? 200)) return false;
        if (check.bodyIncludes && !check.bodyIncludes.every((s) => body.includes(s))) return false;
        if (check.expectInstances) {
          const parsed = JSON.parse(body) as { instances?: Array<{ component?: string; endpoint?: string }> };
          const inst = parsed.instances ?? [];
          for (const g of check.expectInstances) {
            const n = inst.filter((x) => x.endpoint === g.endpoint && g.components.includes(x.component ?? "")).length;
            if (n < g.count) return false;
          }
        }
        if (check.expectRouterWorkers) {
          const stats = (JSON.parse(body) as { stats?: Record<string, unknown> }).stats ?? {};
          const count = (k: string) => (typeof stats[k] === "number" ? (stats[k] as number) : 0);
          if (count("prefill_count") < check.expectRouterWorkers.prefill) return false;
          if (count("decode_count") + count("regular_count") < check.expectRouterWorkers.decode) return false;
        }
        return true;
      }
      case "canary": {
        if (!check.url) return false;
        const path = check.path ?? "/v1/completions";
        const chat = path.includes("chat");
        const body = chat
          ? { model: check.model, messages: [{ role: "user", content: "Say OK." }], max_tokens: 1, temperature: 0 }
          : { model: check.model, prompt: "Hello", max_tokens: 1, temperature: 0 };
        const res = await fetch(new URL(path, check.url), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: timeout,
        });
        await res.text();
        return res.status === 200;
      }
    }
  } catch {
    return false;
  }
  return false;
}

/** polls every check until all pass; throws NotReadyError when the process exits first */
export async function waitReady(
  checks: HealthCheck[],
  target: ReadyTarget,
  signal: AbortSignal,
  intervalMs = 200,
): Promise<void> {
  const pending = [...checks];
  while (pending.length > 0) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
    const ex = target.exited?.();
    if (ex) {
      const lines = (target.tail?.() ?? []).slice(-5);
      const tail = lines.join(" | ");
      throw new NotReadyError(
        `${target.name} exited (code ${ex.code}${ex.signal ? `, ${ex.signal}` : ""}) before it was ready${tail ? `: ${tail}` : ""}`,
        classifyEngineExit(lines).retryable,
      );
    }
    if (await probe(pending[0], target)) {
      pending.shift();
      continue;
    }
    await sleep(intervalMs, signal);
  }
}
