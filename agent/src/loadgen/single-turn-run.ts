/**
 * The closed loop over prepared single-turn prompts: `concurrency` slots (this thread's share of
 * them in a worker), each sending the next prompt once it is due (its arrival time) and the slot is
 * free. Request bodies are built a few prompts ahead so building never delays a send.
 */
import { type RequestSeed, sendStreamingRequest } from "./client.js";
import type { PromptSpec } from "./prompts.js";
import type { RequestRecord } from "./request-record.js";
import { nowNs, type PhaseRecords, type RunContext, sleepUntilNs } from "./run-context.js";

export async function runSingleTurn(
  ctx: RunContext,
  list: PromptSpec[],
  streamSeed: number,
  arrivalsS: number[],
  keepText: boolean,
): Promise<PhaseRecords> {
  const { t0, signal, shard, counters } = ctx;
  const hints = ctx.closedLoopHints;
  const n = list.length;
  const records = new Array<RequestRecord>(n);
  const mine = (i: number) => !shard || i % shard.count === shard.index;
  const concShare = shard
    ? Math.floor(ctx.concurrency / shard.count) + (shard.index < ctx.concurrency % shard.count ? 1 : 0)
    : ctx.concurrency;
  const order = shard ? list.map((_, i) => i).filter(mine) : undefined;
  const bodies = new Map<number, string>();
  let preparedUpTo = 0;
  /** bodies of the next prompts this thread sends, built ahead (upTo counts its own prompts) */
  const prepare = (upTo: number) => {
    const count = order ? order.length : n;
    for (; preparedUpTo < Math.min(count, upTo); preparedUpTo++) {
      const idx = order ? order[preparedUpTo]! : preparedUpTo;
      const s = list[idx]!;
      bodies.set(idx, ctx.body(s.outputLen, ctx.promptFor(s, streamSeed)));
    }
  };
  const slots = Math.max(0, Math.min(concShare, order ? order.length : n));
  prepare(slots + 1);
  let next = 0;
  const indexOf = (k2: number) => (order ? (order[k2] ?? n) : k2);
  const firstIndex = indexOf(0);
  // the slots' first requests go out together when none waits for an arrival: one wave
  const wave = arrivalsS.length && arrivalsS.every((a) => a === 0) ? slots : 1;
  const startNs = nowNs(t0);
  counters.phaseStartNs = startNs;
  const slot = async (_: unknown, k: number) => {
    let freedNs = startNs;
    // with hints, each slot reserves its next prompt when it sends one, so that it can tell the
    // engine that a follow-up comes as soon as this request completes (a closed loop, no arrival)
    let k2 = hints ? next++ : -1;
    for (;;) {
      if (signal?.aborted) return;
      if (!hints) k2 = next++;
      const i = indexOf(k2);
      if (i >= n) return;
      const arrivalNs = startNs + Math.round(arrivalsS[i]! * 1e9);
      if (arrivalNs > nowNs(t0)) await sleepUntilNs(t0, arrivalNs, signal);
      if (signal?.aborted) return;
      const body = bodies.get(i)!;
      bodies.delete(i);
      const seedRec: RequestSeed = {
        index: i,
        ...(freedNs === startNs && arrivalNs <= startNs ? { firstWave: true } : {}),
        scheduledNs: Math.max(arrivalNs, freedNs),
        queueNs: Math.max(0, freedNs - arrivalNs),
        targetPromptTokens: list[i]!.inputLen,
        targetOutputTokens: list[i]!.outputLen,
      };
      let followUp = false;
      if (hints) {
        k2 = next++;
        const following = indexOf(k2);
        followUp = following < n && arrivalsS[following] === 0;
      }
      counters.inFlight++;
      const p = sendStreamingRequest(
        ctx.connections.forSlot(k),
        seedRec,
        ctx.streamOptions(body, keepText, { followUp, ...(i === firstIndex && wave > 1 ? { wave } : {}) }),
      );
      prepare(next + slots + 1);
      const rec = await p;
      counters.inFlight--;
      freedNs = rec.endNs;
      records[i] = rec;
      counters.account(rec);
    }
  };
  await Promise.all(Array.from({ length: slots }, slot));
  return { records: order ? order.map((i) => records[i]!).filter(Boolean) : records, startNs, endNs: nowNs(t0) };
}
