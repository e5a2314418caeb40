/** What the request loops of one load point share: its clock, connections, counters and request builders. */
import type { Calibration } from "./chat-calibration.js";
import type { StreamRequestOptions } from "./client.js";
import type { LiveCounters } from "./live-counters.js";
import type { PromptSpec } from "./prompts.js";
import type { ChatMessage } from "./request-body.js";
import type { RequestRecord } from "./request-record.js";
import type { SlotConnections } from "./slot-connections.js";

export interface RunContext {
  /** the run's clock origin (process.hrtime.bigint()) */
  t0: bigint;
  signal: AbortSignal | undefined;
  concurrency: number;
  /** worker thread: send only the prompts i with i % count === index */
  shard: { index: number; count: number } | undefined;
  connections: SlotConnections;
  counters: LiveCounters;
  /** text prompts: the calibration and the tokenizer's words */
  cal: Calibration | undefined;
  words: string[] | undefined;
  /** the prompt of spec `s` in the prompt stream `streamSeed` */
  promptFor(s: PromptSpec, streamSeed: number): number[] | string;
  /** a request body for these messages or prompt, asking for `outputLen` tokens */
  body(outputLen: number, prompt: number[] | string | ChatMessage[]): string;
  /**
   * a chat request body around messages already serialised (`JSON.stringify(messages)` less its
   * closing `]`), as bytes; absent where the body cannot be built that way
   */
  chatBodyBytes?(outputLen: number, messagesJson: Buffer): Buffer;
  /** tell the engine about the closed loop (see streamOptions) */
  closedLoopHints: boolean;
  /**
   * the options of sendStreamingRequest for this body; `closedLoop` (told to an engine that times
   * itself, see emulator/scheduler.ts): `followUp`, this slot sends its next request as soon as this
   * one completes; `wave`, this request opens a wave of that many sent at once
   */
  streamOptions(
    body: string | Buffer,
    keepText: boolean,
    closedLoop?: { followUp: boolean; wave?: number },
  ): StreamRequestOptions;
}

export const nowNs = (t0: bigint): number => Number(process.hrtime.bigint() - t0);

export function abortError(signal: AbortSignal): Error {
  const r = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error("load point aborted"), { name: "AbortError" });
}

export async function sleepUntilNs(t0: bigint, dueNs: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    if (signal?.aborted) return;
    const leftMs = (dueNs - nowNs(t0)) / 1e6;
    if (leftMs <= 0.05) return;
    if (leftMs > 2) await new Promise((r) => setTimeout(r, Math.floor(leftMs - 1)));
    else await new Promise((r) => setImmediate(r));
  }
}

/** the records of one phase and its span on the run's clock */
export interface PhaseRecords {
  records: RequestRecord[];
  startNs: number;
  endNs: number;
}
