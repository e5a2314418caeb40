/** `benchfleet controller start` as a real process: a startup failure is one line and the process exits. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CLI_MAIN as MAIN } from "../helpers/cli.js";

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=source", "--import", "tsx", MAIN, ...args],
      { timeout: 20_000, env: { ...process.env, ...env } },
      (err, _stdout, stderr) => {
        const code = err ? ((err as { code?: number | string }).code ?? 1) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stderr, ms: Date.now() - t0 });
      },
    );
  });
}

describe("benchfleet controller start: startup failures", () => {
  const dir = mkdtempSync(join(tmpdir(), "bf-ctl-start-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a bad tokens file or an address it cannot listen on: one line, and the process exits (Redis connection closed)", async () => {
    const redisUrl = inject("redisUrl");
    const tokens = join(dir, "tokens.yaml");
    writeFileSync(tokens, "bogus: 1\n");
    const common = (n: string) => [
      ...["--redis-url", redisUrl, "--data-dir", join(dir, n), "--port", "0", "--key-prefix", `ctlstart${n}`],
    ];
    const [badTokens, badHost] = await Promise.all([
      cli(["controller", "start", "--tokens-file", tokens, ...common("a")]),
      cli(["controller", "start", "--host", "no-such-host.invalid", ...common("b")]),
    ]);
    expect(badTokens, badTokens.stderr).toMatchObject({ code: 2 });
    expect(badTokens.stderr.trim()).toBe(`error: ${tokens}:1:1: bogus: unknown key`);
    expect(badHost, badHost.stderr).toMatchObject({ code: 1 });
    expect(badHost.stderr.trim()).toMatch(/^error: .*no-such-host\.invalid/);
    expect(badHost.stderr).not.toMatch(/\n\s+at /);
  });

  it("--log-level outside pino's levels is refused by name (was pino's 'default level:verbose must be included in custom levels')", async () => {
    const r = await cli(["controller", "start", "--log-level", "verbose", "--data-dir", join(dir, "d3")]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      "error: option '--log-level <level>' argument 'verbose' is invalid. Allowed choices are fatal, error, warn, info, debug, trace, silent.",
    );
  });

  it("Redis that does not answer: gives up after redisStartupTimeoutMs with one line naming the URL (no password)", async () => {
    const r = await cli(
      [
        "controller",
        "start",
        "--redis-url",
        "redis://user:s3cret@127.0.0.1:1",
        "--data-dir",
        join(dir, "d2"),
        "--port",
        "0",
      ],
      { BENCHFLEET_REDIS_STARTUP_TIMEOUT_MS: "500" },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: cannot reach Redis at redis://user:***@127.0.0.1:1 (waited 0.5 s");
    expect(r.stderr).not.toContain("s3cret");
    expect(r.ms).toBeLessThan(15_000);
  });
});
