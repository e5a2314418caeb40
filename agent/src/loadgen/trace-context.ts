/**
 * The chat history a trace turn sends, built deterministically (the lab's pre-canned replay: the
 * trace's recorded answers, not the server's live ones, make up the history). Turn t of a
 * trajectory sends [user(new 0), assistant(out 0), …, user(new t)], so each turn's prompt extends
 * the previous one and a prefix cache sees the reuse the trace records. A turn whose input is
 * shorter than the history so far (the agent compacted its context) starts a new history.
 *
 * Text is single-token words chosen by token position: a position inside a hash-id block takes
 * its word from that block's id, so trajectories that share ids share the text; other positions
 * take theirs from the trajectory instance's own key, so two replays of one trajectory do not
 * share a cache beyond the ids they share. Both are salted with the point's `keyspace` (the lab's
 * per-invocation first-turn cache-bust marker): one point's text shares no prefix with another's.
 *
 * The history is also kept as the UTF-8 bytes of its JSON array ({@link jsonFor}), grown by each
 * turn's two new messages, so that a turn's request body is the history's bytes copied once
 * between a small head and tail, not the whole history serialised and encoded again every turn.
 */
import type { Trajectory } from "./agentic-trace.js";
import { SINGLE_TOKEN_WORDS } from "./prompt-words.js";
import type { ChatMessage } from "./request-body.js";

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

export class TrajectoryContext {
  private readonly messages: ChatMessage[] = [];
  /** turns whose messages are in the history */
  private built = 0;
  /** history length in tokens (as the trace counts them) */
  private tokens = 0;
  private readonly hashIds: number[];
  /** the JSON array of `messages` without its closing bracket, in `json[0, jsonLen)` */
  private json = Buffer.allocUnsafe(0);
  private jsonLen = 0;

  /**
   * @param key distinguishes this replay of the trajectory from every other one
   * @param tokensPerWord the server's tokens per word (1 on the emulator)
   * @param keyspace distinguishes this point's text from every other point's
   */
  constructor(
    private readonly traj: Trajectory,
    private readonly blockTokens: number,
    private readonly key: number,
    private readonly tokensPerWord = 1,
    private readonly words: readonly string[] = SINGLE_TOKEN_WORDS,
    private readonly keyspace = 0,
  ) {
    // hash ids of later turns extend earlier ones; the longest list names every block
    this.hashIds = traj.turns.reduce<number[]>(
      (a, t) => (t.hashIds && t.hashIds.length > a.length ? t.hashIds : a),
      [],
    );
  }

  /** the messages turn `t` sends; turns are asked for in order (skipping ahead is fine) */
  messagesFor(t: number): ChatMessage[] {
    this.buildTo(t);
    return this.messages.slice();
  }

  /**
   * the UTF-8 JSON of the messages turn `t` sends (`JSON.stringify(messagesFor(t))`), without its
   * closing `]`: a view valid until the next call
   */
  jsonFor(t: number): Buffer {
    this.buildTo(t);
    return this.json.subarray(0, this.jsonLen);
  }

  private buildTo(t: number): void {
    if (t < this.built - 1) throw new RangeError(`turn ${t} asked for after turn ${this.built - 1}`);
    while (this.built <= t) this.append(this.built++);
  }

  private push(m: ChatMessage): void {
    this.messages.push(m);
    const bytes = Buffer.from(`${this.jsonLen ? "," : "["}${JSON.stringify(m)}`);
    if (this.jsonLen + bytes.length > this.json.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.json.length, this.jsonLen + bytes.length, 4096));
      this.json.copy(grown, 0, 0, this.jsonLen);
      this.json = grown;
    }
    bytes.copy(this.json, this.jsonLen);
    this.jsonLen += bytes.length;
  }

  private append(k: number): void {
    const turn = this.traj.turns[k]!;
    if (k > 0) {
      const prev = this.traj.turns[k - 1]!;
      this.push({ role: "assistant", content: this.text(this.tokens, prev.outputTokens) });
      this.tokens += prev.outputTokens;
    }
    if (turn.inputTokens < this.tokens || k === 0) {
      // a compacted context (or the first turn): the history restarts with the whole input
      this.messages.length = 0;
      this.jsonLen = 0;
      this.tokens = 0;
      this.push({ role: "user", content: this.text(0, turn.inputTokens) });
      this.tokens = turn.inputTokens;
    } else {
      const added = turn.inputTokens - this.tokens;
      this.push({ role: "user", content: this.text(this.tokens, Math.max(1, added)) });
      this.tokens = turn.inputTokens;
    }
  }

  /** `n` tokens of text from token position `from` */
  private text(from: number, n: number): string {
    const words = Math.max(1, Math.round(n / this.tokensPerWord));
    const step = n / words;
    const out = new Array<string>(words);
    for (let i = 0; i < words; i++) {
      const p = from + Math.floor(i * step);
      const block = Math.floor(p / this.blockTokens);
      const h =
        block < this.hashIds.length
          ? mix(this.hashIds[block]! ^ this.keyspace, p % this.blockTokens)
          : mix(0x7a3c0000 ^ this.key ^ this.keyspace, p);
      out[i] = this.words[h % this.words.length]!;
    }
    return out.join(" ");
  }
}
