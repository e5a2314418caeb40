/** Waiting on the helper thread: never early, every waiter released, the process free to exit. */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { wakeAtNs } from "./precise-wake.js";

const here = dirname(fileURLToPath(import.meta.url));

describe("wakeAtNs", () => {
  it("releases every waiter at or after its time, whatever order they came in", async () => {
    const t0 = process.hrtime.bigint();
    const now = () => Number(process.hrtime.bigint() - t0);
    const dues = Array.from({ length: 200 }, (_, i) => 1e6 + ((i * 7919) % 200) * 50_000);
    const woke = await Promise.all(
      dues.map(async (d) => {
        await wakeAtNs(t0, d);
        return now();
      }),
    );
    woke.forEach((w, i) => expect(w, `waiter ${i}`).toBeGreaterThanOrEqual(dues[i]! - 50_000));
    // one more after they all went, past the timer part
    const due = now() + 8e6;
    await wakeAtNs(t0, due);
    expect(now()).toBeGreaterThanOrEqual(due - 50_000);
  });

  it("returns at once for a time passed or an aborted signal", async () => {
    const t0 = process.hrtime.bigint();
    const ac = new AbortController();
    ac.abort();
    const start = process.hrtime.bigint();
    await wakeAtNs(t0, 5e9, ac.signal);
    await wakeAtNs(t0, -1);
    expect(Number(process.hrtime.bigint() - start)).toBeLessThan(1e9);
  });

  it("holds the process open while a wait is pending and lets it exit after", async () => {
    const script = `import(${JSON.stringify(join(here, "precise-wake.ts"))}).then(async (m) => {
      const t0 = process.hrtime.bigint();
      await m.wakeAtNs(t0, 1.5e6);
      await m.wakeAtNs(t0, 300e6);
      console.log("woke " + (Number(process.hrtime.bigint() - t0) >= 300e6 - 50e3));
    });`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "-e", script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe("woke true");
  }, 30_000);
});
