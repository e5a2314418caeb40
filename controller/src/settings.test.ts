import { ConfigError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./settings.js";

describe("controller settings", () => {
  const base = { REDIS_URL: "redis://127.0.0.1:6379", BENCHFLEET_DATA_DIR: "/tmp/x" };

  it("the reconnect grace must exceed the agents' reconnect back-off cap", () => {
    expect(loadConfig(base).reconnectGraceMs).toBeGreaterThan(loadConfig(base).agentReconnectMaxMs);
    let err: unknown;
    try {
      loadConfig({ ...base, BENCHFLEET_RECONNECT_GRACE_MS: "20000" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/reconnectGraceMs \(env BENCHFLEET_RECONNECT_GRACE_MS\).*back-off cap/);
    expect(
      loadConfig({ ...base, BENCHFLEET_RECONNECT_GRACE_MS: "20000", BENCHFLEET_AGENT_RECONNECT_MAX_MS: "5000" })
        .reconnectGraceMs,
    ).toBe(20000);
  });
});
