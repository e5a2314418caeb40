/** Starts a private redis-server process on a free loopback port (tests and `benchfleet up`). */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@benchfleet/shared";

export interface RedisHandle {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`);
}

export interface StartRedisOptions {
  dataDir?: string;
  binary?: string;
  /**
   * own process group: a terminal's Ctrl-C (SIGINT to the foreground group) then reaches only the
   * owner, which stops Redis last, after the clients that need it (`benchfleet up`); otherwise
   * Redis dies first and a closing controller waits for it forever
   */
  detached?: boolean;
  /** append-only file with fsync every second (default on: a restarted Redis keeps the queues and state) */
  aof?: boolean;
  /** listen here instead of a free port (a Redis restarted on the port its clients know) */
  port?: number;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "bf-redis-"));
  const child = spawn(
    opts.binary ?? "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      opts.aof === false ? "no" : "yes",
      "--appendfsync",
      "everysec",
      "--maxmemory-policy",
      "noeviction",
    ],
    { stdio: "ignore", detached: opts.detached ?? false },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (e) =>
      reject(new Error(`cannot start redis-server: ${e.message} (install it: apt-get install -y redis-server)`)),
    );
    child.once("spawn", () => resolve());
  });
  await waitForPort(port, 10_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
