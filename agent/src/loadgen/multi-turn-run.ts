/**
 * Multi-turn conversations: each slot runs whole conversations, one turn after the other (the
 * history grows by the answers as returned), with an optional think time between turns.
 */

import { wordsForTokens } from "./chat-calibration.js";
import { sendStreamingRequest } from "./client.js";
import { Conversation, conversationCount, type MultiTurnOptions, turnIndex } from "./multi-turn.js";
import { type PromptSpec, textPrompt } from "./prompts.js";
import type { RequestRecord } from "./request-record.js";
import { nowNs, type PhaseRecords, type RunContext, sleepUntilNs } from "./run-context.js";

export async function runMultiTurn(
  ctx: RunContext,
  list: PromptSpec[],
  streamSeed: number,
  mt: MultiTurnOptions,
): Promise<PhaseRecords> {
  const { t0, signal, counters } = ctx;
  const n = list.length;
  const convs = conversationCount(n, mt.turns);
  const records: RequestRecord[] = [];
  let nextConv = 0;
  const startNs = nowNs(t0);
  counters.phaseStartNs = startNs;
  const slot = async (_: unknown, k: number) => {
    for (;;) {
      if (signal?.aborted) return;
      const c = nextConv++;
      if (c >= convs) return;
      const conv = new Conversation();
      let freedNs = nowNs(t0);
      for (let t = 0; t < mt.turns; t++) {
        const i = turnIndex(c, t, mt.turns);
        if (i >= n || signal?.aborted) break;
        const s = list[i]!;
        if (t > 0 && mt.thinkTimeMs > 0) {
          freedNs = nowNs(t0) + mt.thinkTimeMs * 1e6;
          await sleepUntilNs(t0, freedNs, signal);
        }
        const user = textPrompt(streamSeed, i, wordsForTokens(s.inputLen, ctx.cal!), ctx.words);
        const body = ctx.body(s.outputLen, conv.ask(user));
        counters.inFlight++;
        const rec = await sendStreamingRequest(
          ctx.connections.forSlot(k),
          {
            index: i,
            scheduledNs: freedNs,
            queueNs: 0,
            // the server's count of the whole history is what matters; the target is the new part
            targetPromptTokens: s.inputLen,
            targetOutputTokens: s.outputLen,
            conversation: c,
            turn: t,
          },
          ctx.streamOptions(body, true),
        );
        counters.inFlight--;
        freedNs = rec.endNs;
        records.push(rec);
        counters.account(rec);
        if (!rec.success) break;
        conv.answer(rec.generatedText ?? "");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency, convs) }, slot));
  records.sort((a, b) => a.index - b.index);
  return { records, startNs, endNs: nowNs(t0) };
}
