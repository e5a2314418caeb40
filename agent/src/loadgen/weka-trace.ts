/**
 * The reference lab's agentic traces: the Weka kv-cache-tester format its AIPerf fork loads
 * (`--input-file` of per-conversation JSON files, or the Hugging Face mirrors' rows, one trace
 * object each). A trace is `{id, models, block_size, hash_id_scope: "local", requests}`; its
 * `requests` interleave API calls (`type` "n" normal, "s" streaming; `t` start s, `in`/`out`
 * tokens, `hash_ids`, `api_time` s) and subagent markers (`type: "subagent"`, `t` spawn s, nested
 * `requests`), with keys as strict as the lab's pydantic models.
 *
 * Mapping onto the trace model, as the lab's loader builds its DAG: the top-level API calls are
 * split into chains by the lab's hash-id prefix detection (weka-chains.ts, as for a subagent's
 * requests): the main chain's calls are the trajectory's turns, and every other chain (a parallel
 * agent or one-shot call the capture flattened among them) is a branch (`<trace>::c000`,
 * `::c001`, …). A subagent is a branch too, its inner requests split into chains the same way (each
 * chain a branch: `<trace>::sa:<agent>` the subagent's main chain, `…:c000`, … the others).
 * Branches attach to the main chain as the lab's loader attaches them (weka-branches.ts): spawned
 * when the main turn preceding them completes; joined by the first later main turn recorded as
 * starting after the branch ended, or, where none did, by the lane before its next trajectory.
 * Once spawned, each chain starts at its recorded offset from its group's start, as the lab
 * dispatches them (a group: the subagents, or the top-level chains, one turn spawns and one turn
 * joins; its start: their earliest spawn marker, or first request). A group recorded as starting
 * before its spawning turn ended is spawned when that turn is sent, its chains at their offsets
 * from the turn's start (the lab's dispatch at issue). A subagent with no preceding main turn is
 * dropped, as the lab drops it, and counted. Idle gaps are end-to-start: a turn's start minus the
 * end (`t + api_time`) of what it waits for. Inner request times before their spawn time are
 * relative to it (older captures), as the lab reads them. Hash ids are scoped per trace: they are
 * renumbered so that two traces never share a block while a branch shares its parent's.
 */
import { z } from "zod";
import { type AgenticTrace, TraceError, type TraceTurn, type Trajectory } from "./agentic-trace.js";
import { joinTurnOf, spawnTurnOf } from "./weka-branches.js";
import { detectChains } from "./weka-chains.js";

const count = z.number().int().nonnegative();
const seconds = z.number().finite();

const ApiCall = {
  t: seconds,
  model: z.string(),
  in: count,
  out: count,
  hash_ids: z.array(count).optional(),
  input_types: z.array(z.string()).optional(),
  output_types: z.array(z.string()).optional(),
  stop: z.string().optional(),
  api_time: z.number().nullable().optional(),
  think_time: z.number().nullable().optional(),
};
const NormalCall = z.object({ ...ApiCall, type: z.literal("n") }).strict();
const StreamingCall = z.object({ ...ApiCall, type: z.literal("s"), ttft: z.number().nullable().optional() }).strict();
const Call = z.discriminatedUnion("type", [NormalCall, StreamingCall]);
type Call = z.infer<typeof Call>;

const Subagent = z
  .object({
    t: seconds,
    type: z.literal("subagent"),
    agent_id: z.string(),
    subagent_type: z.string(),
    duration_ms: z.number().int().nullable().optional(),
    total_tokens: z.number().int().nullable().optional(),
    tool_use_count: z.number().int().nullable().optional(),
    status: z.string(),
    requests: z.array(Call),
    models: z.array(z.string()),
    tool_tokens: count.optional(),
    system_tokens: count.optional(),
  })
  .strict();

export const WekaTrace = z
  .object({
    id: z.string().min(1),
    models: z.array(z.string()),
    block_size: z.number().int().positive(),
    hash_id_scope: z.literal("local"),
    tool_tokens: count.optional(),
    system_tokens: count.optional(),
    requests: z.array(z.discriminatedUnion("type", [NormalCall, StreamingCall, Subagent])),
    totals: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .strict();
export type WekaTrace = z.infer<typeof WekaTrace>;

/** Is this parsed JSON value meant as a Weka trace (rather than a Mooncake line)? */
export function looksLikeWekaTrace(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "requests" in v && "block_size" in v;
}

const end = (c: Call) => c.t + Math.max(0, Number.isFinite(c.api_time ?? 0) ? (c.api_time ?? 0) : 0);
const gapMs = (startS: number, freeS: number) => Math.max(0, (startS - freeS) * 1000);

/** One trace as a trajectory with its branches; `ids` renumbers the trace's hash ids. */
function trajectoryOf(trace: WekaTrace, ids: (local: number) => number): { traj: Trajectory; dropped: number } {
  const turnsOf = (calls: readonly Call[], firstFreeS: number): TraceTurn[] => {
    let prev: { in: number; out: number } | undefined;
    let freeS = firstFreeS;
    return calls.map((c) => {
      const context = prev ? prev.in + prev.out : 0;
      const turn: TraceTurn = {
        inputTokens: Math.max(1, c.in),
        newTokens: Math.max(0, c.in - context),
        outputTokens: Math.max(1, c.out),
        gapMs: gapMs(c.t, freeS),
        ...(c.hash_ids?.length ? { hashIds: c.hash_ids.map(ids) } : {}),
      };
      prev = c;
      freeS = end(c);
      return turn;
    });
  };

  // the top-level calls with their positions in `requests`; the parallel agents a capture
  // flattened among them are split off the main chain as the lab's loader splits them
  const top: { c: Call; pos: number }[] = [];
  trace.requests.forEach((r, pos) => {
    if (r.type !== "subagent") top.push({ c: r, pos });
  });
  const chains = top.length > 1 ? detectChains(top.map((x) => x.c)).chains : [top.map((_, i) => i)];
  const main = chains[0]!.map((i) => top[i]!);
  const mainTurns = main.map((m) => ({ pos: m.pos, t: m.c.t }));
  /** per main turn: the branches it spawns, and the recorded ends of the branches it waits for */
  const spawned: Trajectory[][] = main.map(() => []);
  const joinedEnds: number[][] = main.map(() => []);
  let dropped = 0;
  const turns = turnsOf(
    main.map((m) => m.c),
    main[0]?.c.t ?? 0,
  );

  /**
   * the branches, before their first turns' gaps are known: the lab starts a branch's chains at
   * their recorded offsets from the branch group's start (the subagents, or the top-level chains,
   * that one turn spawns and one turn joins: the earliest spawn or first request among them)
   */
  const pending: {
    k: number;
    group: string;
    startS: number;
    make: (fromS: number, atSend: boolean) => Trajectory[];
  }[] = [];
  trace.requests.forEach((s, pos) => {
    if (s.type !== "subagent") return;
    const k = spawnTurnOf(mainTurns, pos);
    if (k === undefined) {
      dropped++;
      return;
    }
    if (!s.requests.length) return;
    const inner = s.requests.map((q) => (q.t + 1e-6 < s.t ? { ...q, t: s.t + q.t } : q));
    const innerEnd = Math.max(...inner.map(end));
    const recordedEnd = s.duration_ms == null ? innerEnd : s.t + Math.max(0, s.duration_ms) / 1000;
    const joinTurn = joinTurnOf(mainTurns, pos, recordedEnd, k);
    const chainsOf = detectChains(inner).chains;
    pending.push({
      k,
      group: `sa:${k}:${joinTurn}`,
      startS: s.t,
      make: (fromS, atSend) =>
        chainsOf.map((members, n) => ({
          id: `${trace.id}::sa:${s.agent_id}${n === 0 ? "" : `:c${String(n - 1).padStart(3, "0")}`}`,
          turns: turnsOf(
            members.map((m) => inner[m]!),
            fromS,
          ),
          joinTurn,
          ...(atSend ? { atSend } : {}),
        })),
    });
    // the joining turn idles from the later of the subagent's recorded end and its last request's
    if (joinTurn !== null) joinedEnds[joinTurn]!.push(Math.max(innerEnd, recordedEnd));
  });

  for (const [n, members] of chains.slice(1).entries()) {
    const calls = members.map((i) => top[i]!);
    const k = spawnTurnOf(mainTurns, calls[0]!.pos) ?? 0;
    const chainEnd = Math.max(...calls.map((x) => end(x.c)));
    const joinTurn = joinTurnOf(mainTurns, calls[0]!.pos, chainEnd, k);
    pending.push({
      k,
      group: `c:${k}:${joinTurn}`,
      startS: calls[0]!.c.t,
      make: (fromS, atSend) => [
        {
          id: `${trace.id}::c${String(n).padStart(3, "0")}`,
          turns: turnsOf(
            calls.map((x) => x.c),
            fromS,
          ),
          joinTurn,
          ...(atSend ? { atSend } : {}),
        },
      ],
    });
    if (joinTurn !== null) joinedEnds[joinTurn]!.push(chainEnd);
  }
  const groupStart = new Map<string, number>();
  for (const b of pending) groupStart.set(b.group, Math.min(groupStart.get(b.group) ?? b.startS, b.startS));
  for (const b of pending) {
    // a group recorded as starting before its spawning turn ended starts when that turn is sent,
    // its chains at their offsets from the turn's start
    const start = groupStart.get(b.group)!;
    const spawn = main[b.k]!.c;
    const atSend = start + 1e-6 < end(spawn);
    spawned[b.k]!.push(...b.make(atSend ? spawn.t : start, atSend));
  }

  for (const [k, turn] of turns.entries()) {
    const prevEnd = k === 0 ? main[0]!.c.t : end(main[k - 1]!.c);
    turn.gapMs = k === 0 ? 0 : gapMs(main[k]!.c.t, Math.max(prevEnd, ...joinedEnds[k]!));
    if (spawned[k]!.length) turn.spawns = spawned[k];
  }
  return { traj: { id: trace.id, turns }, dropped };
}

/** Where in the text a JSON.parse error points, from its "position N" (1-based line and column). */
function jsonErrorAt(text: string, e: Error, baseLine: number): { line: number; col: number } {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return { line: baseLine, col: 1 };
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf("\n");
  return { line: baseLine + (before.match(/\n/g)?.length ?? 0), col: pos - nl };
}

export interface WekaDoc {
  /** the trace object's text */
  text: string;
  /** its line in the file (1-based) */
  line: number;
}

/**
 * Reads Weka traces (one per doc) into one agentic trace; throws a {@link TraceError} at
 * file:line:col of the first bad value. Every trace must share one block size.
 */
export function parseWekaTraces(docs: ReadonlyArray<{ file: string } & WekaDoc>, source: string): AgenticTrace {
  const trajectories: Trajectory[] = [];
  let blockTokens: number | undefined;
  let dropped = 0;
  let nextId = 0;
  for (const d of docs) {
    let value: unknown;
    try {
      value = JSON.parse(d.text);
    } catch (e) {
      const at = jsonErrorAt(d.text, e as Error, d.line);
      throw new TraceError(d.file, at.line, `not JSON: ${(e as Error).message}`, at.col);
    }
    const r = WekaTrace.safeParse(value);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      // an unknown key is placed at the key
      const path = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]!] : iss.path;
      const at = locateInJson(d.text, path, d.line);
      throw new TraceError(d.file, at.line, `${formatIssuePath(path)}: ${iss.message}`, at.col);
    }
    const t = r.data;
    if (blockTokens !== undefined && t.block_size !== blockTokens)
      throw new TraceError(
        d.file,
        locateInJson(d.text, ["block_size"], d.line).line,
        `block_size ${t.block_size} differs from the other traces' ${blockTokens}`,
      );
    blockTokens = t.block_size;
    if (!t.requests.some((q) => q.type !== "subagent"))
      throw new TraceError(d.file, locateInJson(d.text, ["requests"], d.line).line, `trace ${t.id} has no API call`);
    const local = new Map<number, number>();
    const ids = (h: number) => {
      let g = local.get(h);
      if (g === undefined) {
        g = nextId++;
        local.set(h, g);
      }
      return g;
    };
    const { traj, dropped: n } = trajectoryOf(t, ids);
    dropped += n;
    trajectories.push(traj);
  }
  if (!trajectories.length) throw new TraceError(docs[0]?.file ?? source, 1, "empty trace: no trajectories");
  return { source, trajectories, blockTokens: blockTokens!, ...(dropped ? { droppedSubagents: dropped } : {}) };
}

function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || "trace";
}

/**
 * The line and column of the value at `path` in JSON text, by a scan of the text (only on an
 * error); the closest existing ancestor where the path ends early.
 */
export function locateInJson(
  text: string,
  path: ReadonlyArray<PropertyKey>,
  baseLine = 1,
): { line: number; col: number } {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === "{" || c === "[") {
      let depth = 0;
      do {
        const ch = text[i];
        if (ch === '"') {
          skipString();
          continue;
        }
        if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") depth--;
        i++;
      } while (depth > 0 && i < text.length);
      return;
    }
    while (i < text.length && !/[,}\]\s]/.test(text[i]!)) i++;
  };
  ws();
  let at = i;
  outer: for (const seg of path) {
    ws();
    if (typeof seg === "number" && text[i] === "[") {
      i++;
      for (let k = 0; ; k++) {
        ws();
        if (text[i] === "]") break outer;
        if (k === seg) {
          at = i;
          continue outer;
        }
        skipValue();
        ws();
        if (text[i] === ",") i++;
      }
    } else if (typeof seg === "string" && text[i] === "{") {
      i++;
      for (;;) {
        ws();
        if (text[i] !== '"') break outer;
        const keyStart = i;
        skipString();
        const key = JSON.parse(text.slice(keyStart, i)) as string;
        ws();
        i++; // the colon
        ws();
        if (key === seg) {
          at = i;
          continue outer;
        }
        skipValue();
        ws();
        if (text[i] === ",") i++;
        else break outer;
      }
    } else break;
  }
  const before = text.slice(0, at);
  return { line: baseLine + (before.match(/\n/g)?.length ?? 0), col: at - before.lastIndexOf("\n") };
}
