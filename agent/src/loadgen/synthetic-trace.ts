/**
 * Seeded synthetic agentic traces: trajectories of growing context with recorded idle gaps and a
 * system prefix shared by all trajectories. Every distribution is a parameter; lengths are
 * log-normal (median, sigma), turn counts uniform in [min, max]. The defaults are benchfleet's
 * working assumptions for coding-agent sessions (a long shared system prompt, many short tool
 * turns, short outputs), not figures published by the reference lab.
 */
import { Rng } from "@benchfleet/shared";
import type { AgenticTrace, TraceTurn, Trajectory } from "./agentic-trace.js";

export interface LogNormal {
  median: number;
  sigma: number;
}

export interface SyntheticTraceParams {
  seed: number;
  trajectories: number;
  turns: { min: number; max: number };
  /** tokens of the system prompt every trajectory starts with (the cross-trajectory shared prefix) */
  sharedPrefixTokens: number;
  /** the first turn's own tokens after the shared prefix */
  firstTurnTokens: LogNormal;
  /** tokens each later turn adds (tool results, user messages) */
  newTokensPerTurn: LogNormal;
  outputTokens: LogNormal;
  /** idle before each later turn, ms */
  gapMs: LogNormal;
  /** tokens per hash-id block (Mooncake uses 512) */
  blockTokens: number;
}

export const DEFAULT_SYNTHETIC_TRACE: Omit<SyntheticTraceParams, "seed" | "trajectories"> = {
  turns: { min: 5, max: 40 },
  sharedPrefixTokens: 12_000,
  firstTurnTokens: { median: 4_000, sigma: 0.8 },
  newTokensPerTurn: { median: 1_500, sigma: 1.0 },
  outputTokens: { median: 300, sigma: 0.9 },
  gapMs: { median: 2_000, sigma: 1.0 },
  blockTokens: 512,
};

function draw(rng: Rng, d: LogNormal, min = 1): number {
  return Math.max(min, Math.round(d.median * Math.exp(d.sigma * rng.normal())));
}

/**
 * Deterministic for a given params object. Hash ids: the shared prefix's blocks are the same ids in
 * every trajectory; the rest of a trajectory's context gets ids of its own, extended turn by turn.
 */
export function syntheticTrace(p: SyntheticTraceParams): AgenticTrace {
  if (!Number.isInteger(p.trajectories) || p.trajectories < 1)
    throw new RangeError(`trajectories must be a positive integer (got ${p.trajectories})`);
  if (!(p.turns.min >= 1 && p.turns.max >= p.turns.min))
    throw new RangeError(`turns must satisfy 1 <= min <= max (got ${p.turns.min}..${p.turns.max})`);
  if (!(p.blockTokens >= 1)) throw new RangeError(`blockTokens must be positive (got ${p.blockTokens})`);
  const sharedBlocks = Math.floor(p.sharedPrefixTokens / p.blockTokens);
  const shared = Array.from({ length: sharedBlocks }, (_, i) => i);
  let nextId = sharedBlocks;
  const trajectories: Trajectory[] = [];
  for (let t = 0; t < p.trajectories; t++) {
    const rng = Rng.forStream(p.seed, t);
    const n = rng.int(p.turns.min, p.turns.max);
    const turns: TraceTurn[] = [];
    const ids = [...shared];
    let context = 0;
    for (let k = 0; k < n; k++) {
      const added = k === 0 ? p.sharedPrefixTokens + draw(rng, p.firstTurnTokens) : draw(rng, p.newTokensPerTurn);
      const input = context + added;
      const output = draw(rng, p.outputTokens);
      while (ids.length < Math.floor(input / p.blockTokens)) ids.push(nextId++);
      turns.push({
        inputTokens: input,
        newTokens: added,
        outputTokens: output,
        gapMs: k === 0 ? 0 : draw(rng, p.gapMs, 0),
        hashIds: ids.slice(),
      });
      context = input + output;
    }
    trajectories.push({ id: `s${p.seed}-t${t}`, turns });
  }
  return { source: `synthetic(seed=${p.seed})`, trajectories, blockTokens: p.blockTokens };
}
