/**
 * What waiting for a turn's due time costs this thread, measured as CPU time, by the two ways the
 * load loops can wait: `sleepUntilNs` (a timer, then a `setImmediate` spin for the last 1–2 ms) and
 * `wakeAtNs` (a timer, then the helper thread, precise-wake.ts). `lanes` loops each wait `waits`
 * times, one after the other, for gaps drawn from 2 to 12 ms, with nothing else to do; the ways
 * alternate round by round. Reports each way's median CPU per wait and its lateness (woken −
 * due) over every round. bench/agentic-turn-cpu.ts reports it.
 */
import { Rng } from "@benchfleet/shared";
import { percentile } from "./metrics.js";
import { wakeAtNs } from "./precise-wake.js";
import { nowNs, sleepUntilNs } from "./run-context.js";

export interface WaitWay {
  cpuUsPerWait: number;
  lateP50Us: number;
  lateP99Us: number;
}

export interface WaitCost {
  spin: WaitWay;
  helper: WaitWay;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function waitCost(opts: { lanes: number; waits: number; rounds: number }): Promise<WaitCost> {
  const t0 = process.hrtime.bigint();
  const ways = { spin: sleepUntilNs, helper: wakeAtNs };
  const cpu = { spin: [] as number[], helper: [] as number[] };
  const late = { spin: [] as number[], helper: [] as number[] };
  for (let r = 0; r < opts.rounds; r++) {
    for (const way of ["spin", "helper"] as const) {
      const wait = ways[way];
      const c = cpuUs();
      await Promise.all(
        Array.from({ length: opts.lanes }, async (_, lane) => {
          const rng = Rng.forStream(r, lane);
          for (let i = 0; i < opts.waits; i++) {
            const due = nowNs(t0) + (2 + 10 * rng.next()) * 1e6;
            await wait(t0, due);
            late[way].push((nowNs(t0) - due) / 1000);
          }
        }),
      );
      cpu[way].push((cpuUs() - c) / (opts.lanes * opts.waits));
    }
  }
  const summary = (way: "spin" | "helper"): WaitWay => ({
    cpuUsPerWait: median(cpu[way]),
    lateP50Us: percentile(late[way], 50),
    lateP99Us: percentile(late[way], 99),
  });
  return { spin: summary("spin"), helper: summary("helper") };
}
