/**
 * What reading one replay turn's streamed response costs this thread, measured as CPU time: the
 * client's own path (`sendStreamingRequest`: stamping each chunk, the SSE parser, the chunk
 * interpreter, the record) fed by a dispatcher that hands it a server's bytes at once, so that
 * neither sockets nor undici are in the figure. The response is a chat stream as the fixture server
 * and engines send it: one `data:` event per token, each its own chunk, then the usage trailer
 * and `[DONE]`. bench/agentic-stream-cpu.ts reports it.
 */
import type { Dispatcher } from "undici";
import { sendStreamingRequest } from "./client.js";

export interface StreamCost {
  /** turns a round */
  turns: number;
  tokensPerTurn: number;
  /** bytes of one turn's response */
  responseBytes: number;
  /** CPU µs per turn (the rounds' median) */
  us: number;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** one turn's response body as a server flushes it: one chunk per event */
function responseChunks(tokens: number): Buffer[] {
  const frame = (o: unknown) => Buffer.from(`data: ${JSON.stringify(o)}\n\n`);
  const head = { id: "chatcmpl-0123456789abcdef", object: "chat.completion.chunk", created: 0, model: "fixture" };
  const out: Buffer[] = [];
  for (let i = 0; i < tokens; i++)
    out.push(frame({ ...head, choices: [{ index: 0, delta: { content: " tok" }, finish_reason: null }] }));
  out.push(frame({ ...head, choices: [], usage: { prompt_tokens: 5000, completion_tokens: tokens } }));
  out.push(Buffer.from("data: [DONE]\n\n"));
  return out;
}

/** a dispatcher that answers every request with `chunks` at once, synchronously */
function replayingDispatcher(chunks: readonly Buffer[]): Dispatcher {
  const controller = { abort() {}, pause() {}, resume() {} } as unknown as Dispatcher.DispatchController;
  return {
    dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      handler.onRequestStart?.(controller, {});
      handler.onResponseStart?.(controller, 200, { "content-type": "text/event-stream" }, "OK");
      for (const c of chunks) handler.onResponseData?.(controller, c);
      handler.onResponseEnd?.(controller, {});
      return true;
    },
  } as unknown as Dispatcher;
}

export async function streamCost(opts: { turns: number; tokensPerTurn: number; rounds: number }): Promise<StreamCost> {
  const chunks = responseChunks(opts.tokensPerTurn);
  const dispatcher = replayingDispatcher(chunks);
  const t0 = process.hrtime.bigint();
  const round = async () => {
    for (let i = 0; i < opts.turns; i++) {
      const rec = await sendStreamingRequest(
        dispatcher,
        { index: i, scheduledNs: 0, queueNs: 0, targetPromptTokens: 5000, targetOutputTokens: opts.tokensPerTurn },
        { t0, path: "/v1/chat/completions", body: "{}" },
      );
      if (!rec.success || rec.outputTokens !== opts.tokensPerTurn)
        throw new Error(`the replayed response did not read as ${opts.tokensPerTurn} tokens: ${rec.error ?? ""}`);
    }
  };
  await round(); // warm the code up
  const us: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const t = cpuUs();
    await round();
    us.push((cpuUs() - t) / opts.turns);
  }
  return {
    turns: opts.turns,
    tokensPerTurn: opts.tokensPerTurn,
    responseBytes: chunks.reduce((a, c) => a + c.length, 0),
    us: [...us].sort((a, b) => a - b)[Math.floor(us.length / 2)]!,
  };
}
