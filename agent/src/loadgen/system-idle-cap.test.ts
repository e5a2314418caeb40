import { describe, expect, it } from "vitest";
import { nowNs } from "./run-context.js";
import { SystemIdleCap } from "./system-idle-cap.js";

const ms = (n: number) => n * 1e6;

describe("the whole-system idle cap", () => {
  it("advances every pending gap alike once nothing has been in flight for the cap", async () => {
    const t0 = process.hrtime.bigint();
    const cap = new SystemIdleCap(t0, ms(50));
    try {
      const start = nowNs(t0);
      const [a, b] = await Promise.all([
        cap.sleepUntil(start + ms(2000)).then((due) => ({ due, at: nowNs(t0) })),
        cap.sleepUntil(start + ms(2300)).then((due) => ({ due, at: nowNs(t0) })),
      ]);
      // the earliest fired after a cap of idle, not at its recorded 2 s; nothing was sent then, so
      // the next, 300 ms later as recorded, fired after another cap of idle
      expect((a.at - start) / 1e6).toBeLessThan(600);
      expect((a.at - start) / 1e6).toBeGreaterThanOrEqual(45);
      expect((b.due - a.due) / 1e6).toBeGreaterThanOrEqual(45);
      expect((b.due - a.due) / 1e6).toBeLessThan(250);
      expect(cap.advances).toBe(2);
      expect(cap.advancedNs / 1e6).toBeGreaterThan(2000);
    } finally {
      cap.stop();
    }
  });

  it("does not advance while a request is in flight, and does after it finishes", async () => {
    const t0 = process.hrtime.bigint();
    const cap = new SystemIdleCap(t0, ms(50));
    try {
      cap.started();
      const start = nowNs(t0);
      let wokeAt = 0;
      const sleeping = cap.sleepUntil(start + ms(3000)).then(() => {
        wokeAt = nowNs(t0);
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(wokeAt).toBe(0);
      expect(cap.advances).toBe(0);
      cap.finished();
      await sleeping;
      expect((wokeAt - start) / 1e6).toBeLessThan(1000);
      expect(cap.advances).toBe(1);
    } finally {
      cap.stop();
    }
  });
});
