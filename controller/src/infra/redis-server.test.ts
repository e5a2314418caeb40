import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startRedis } from "./redis-server.js";

/** process group of a pid (field 5 of /proc/<pid>/stat, after the parenthesised command name) */
function pgid(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * An owner process in its own group starts Redis (detached or not) and prints its pid; the test then
 * sends SIGINT to the owner's whole group, as a terminal does on Ctrl-C.
 */
async function ctrlCOwner(detached: boolean): Promise<{ redisPid: number; ownerPgid: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bf-redis-owner-"));
  const script = join(dir, "owner.mts");
  const mod = fileURLToPath(new URL("./redis-server.ts", import.meta.url));
  writeFileSync(
    script,
    `import { startRedis } from ${JSON.stringify(mod)};\n` +
      `const r = await startRedis({ detached: ${detached} });\nconsole.log(r.pid);\nsetInterval(() => {}, 1000);\n`,
  );
  const repo = fileURLToPath(new URL("../../", import.meta.url));
  const owner = spawn(process.execPath, ["--conditions=source", "--import", "tsx", script], {
    cwd: repo,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const redisPid = await new Promise<number>((resolve, reject) => {
      owner.stdout!.once("data", (b: Buffer) => resolve(Number(b.toString().trim())));
      owner.once("exit", (code) => reject(new Error(`owner exited (${code}) before starting Redis`)));
    });
    const exited = new Promise((r) => owner.once("exit", r));
    process.kill(-owner.pid!, "SIGINT");
    await exited;
    return { redisPid, ownerPgid: owner.pid! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("startRedis", () => {
  it("detached: a Ctrl-C to the owner's process group does not reach Redis (its owner stops it last)", async () => {
    const { redisPid, ownerPgid } = await ctrlCOwner(true);
    try {
      expect(alive(redisPid)).toBe(true);
      expect(pgid(redisPid)).toBe(redisPid);
      expect(pgid(redisPid)).not.toBe(ownerPgid);
    } finally {
      if (alive(redisPid)) process.kill(redisPid, "SIGTERM");
    }
  });

  it("not detached (tests): Redis is in its owner's group and goes down with an interrupted run", async () => {
    const { redisPid } = await ctrlCOwner(false);
    const deadline = Date.now() + 5000;
    while (alive(redisPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(redisPid)).toBe(false);
  });
});
