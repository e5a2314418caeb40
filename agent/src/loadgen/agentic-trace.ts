/**
 * Agentic trace model and the Mooncake-style JSONL reader. A trace is a set of trajectories; each
 * trajectory is an ordered list of turns whose context grows: turn t sends everything of turn t-1
 * (its input and its answer) plus new tokens. `gapMs` is the idle time the trace records before
 * a turn (tool execution, the user); replay caps it (see {@link capGap}).
 *
 * Mooncake-style lines are `{"timestamp": ms, "input_length": n, "output_length": n,
 * "hash_ids": [..]}` with one hash id per shared-prefix block. Lines form trajectories by prefix:
 * a request joins the trajectory whose latest request's hash ids are a prefix of its own; a
 * request extending no trajectory starts one. An optional `"session_id"` groups explicitly.
 */
import { z } from "zod";

export interface TraceTurn {
  /** prompt tokens of this turn: the whole context so far plus the new tokens */
  inputTokens: number;
  /** tokens the turn adds to the context before sending */
  newTokens: number;
  outputTokens: number;
  /** idle before this turn is sent, as recorded (0 for a trajectory's first turn) */
  gapMs: number;
  /** shared-prefix block ids, where the format has them */
  hashIds?: number[];
  /**
   * branches spawned when this turn completes (subagents, parallel agents): each runs its own turns
   * (its own context) at once beside the others; the turn each names in `joinTurn` waits for it
   */
  spawns?: Trajectory[];
}

export interface Trajectory {
  id: string;
  turns: TraceTurn[];
  /**
   * as a branch: the parent's turn that waits for it before it is sent (absent: the turn after the
   * one that spawned it; null: no turn, the parent waits for it after its last turn)
   */
  joinTurn?: number | null;
  /**
   * as a branch: started when the turn that spawns it is sent, not when it completes (its first
   * turn's gap then counts from the send)
   */
  atSend?: boolean;
}

export interface AgenticTrace {
  /** file name or `synthetic(seed=…)` */
  source: string;
  trajectories: Trajectory[];
  /** tokens per hash-id block */
  blockTokens: number;
  /** subagents the format could not anchor to a parent turn, left out as the lab's loader leaves them */
  droppedSubagents?: number;
}

/** A problem in a trace file, placed at file:line (and column, where known). */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
    readonly col?: number,
  ) {
    super(`${file}:${line}${col === undefined ? "" : `:${col}`}: ${detail}`);
    this.name = "TraceError";
  }
}

/** The idle-gap cap of replay, in ms; the recorded gap is used as is below it. */
export function capGap(gapMs: number, capMs: number): number {
  return Math.max(0, Math.min(gapMs, capMs));
}

/** Mooncake's hash-id block size */
const MOONCAKE_BLOCK_TOKENS = 512;

const nonNegInt = z.number().int().nonnegative();
const MooncakeLine = z
  .object({
    timestamp: z.number().nonnegative(),
    input_length: z.number().int().positive(),
    output_length: z.number().int().positive(),
    hash_ids: z.array(nonNegInt).optional(),
    session_id: z.union([z.string().min(1), nonNegInt]).optional(),
  })
  .passthrough();

function isPrefix(a: number[], b: number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads Mooncake-style JSONL; throws {@link TraceError} naming the first bad line. */
export function parseMooncakeJsonl(text: string, file: string): AgenticTrace {
  interface Open {
    traj: Trajectory;
    lastHashes: number[];
    lastInput: number;
    lastOutput: number;
    lastAt: number;
  }
  const open: Open[] = [];
  const bySession = new Map<string, Open>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new TraceError(file, i + 1, `not JSON: ${(e as Error).message}`);
    }
    const r = MooncakeLine.safeParse(value);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      throw new TraceError(file, i + 1, `${iss.path.join(".") || "line"}: ${iss.message}`);
    }
    const l = r.data;
    const hashes = l.hash_ids ?? [];
    const session = l.session_id === undefined ? undefined : String(l.session_id);
    let o = session !== undefined ? bySession.get(session) : undefined;
    if (session === undefined && hashes.length) {
      // the longest chain this request extends
      let best: Open | undefined;
      for (const c of open)
        if (
          c.lastHashes.length &&
          isPrefix(c.lastHashes, hashes) &&
          (!best || c.lastHashes.length > best.lastHashes.length)
        )
          best = c;
      o = best;
    }
    if (o && l.timestamp < o.lastAt)
      throw new TraceError(
        file,
        i + 1,
        `timestamp ${l.timestamp} is earlier than the trajectory's previous turn (${o.lastAt})`,
      );
    if (!o) {
      o = {
        traj: { id: session ?? `t${open.length}`, turns: [] },
        lastHashes: [],
        lastInput: 0,
        lastOutput: 0,
        lastAt: l.timestamp,
      };
      open.push(o);
      if (session !== undefined) bySession.set(session, o);
    }
    const context = o.lastInput + o.lastOutput;
    o.traj.turns.push({
      inputTokens: l.input_length,
      newTokens: Math.max(0, l.input_length - context),
      outputTokens: l.output_length,
      // the idle time is what passes between the previous request and this one
      gapMs: o.traj.turns.length ? l.timestamp - o.lastAt : 0,
      ...(hashes.length ? { hashIds: hashes } : {}),
    });
    o.lastHashes = hashes;
    o.lastInput = l.input_length;
    o.lastOutput = l.output_length;
    o.lastAt = l.timestamp;
  }
  if (!open.length) throw new TraceError(file, 1, "empty trace: no requests");
  return { source: file, trajectories: open.map((o) => o.traj), blockTokens: MOONCAKE_BLOCK_TOKENS };
}
