/**
 * `benchfleet controller start` stops on SIGTERM also when its Redis has gone away (a systemd stop
 * during a Redis outage): the process exits by itself instead of reconnecting to the dead Redis
 * until the unit's stop timeout SIGKILLs it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis } from "@benchfleet/controller";
import { freePort } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { spawnController } from "../helpers/controller-process.js";

describe("controller shutdown with Redis down", () => {
  it("exits on SIGTERM after its Redis died", async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), "bf-shutdown-"));
    const proc = await spawnController({
      REDIS_URL: redis.url,
      BENCHFLEET_DATA_DIR: dataDir,
      BENCHFLEET_PORT: String(await freePort()),
      BENCHFLEET_INSECURE_DEV: "1",
    });
    try {
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000)); // its connections are reconnecting now
      const exited = new Promise<number | null>((resolve) => proc.child.once("exit", (code) => resolve(code)));
      proc.child.kill("SIGTERM");
      const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 20_000))]);
      expect(code, proc.output()).toBe(0); // 2 s here
    } finally {
      await proc.kill();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
