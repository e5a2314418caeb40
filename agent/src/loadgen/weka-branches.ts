/**
 * Where a branch of a Weka trace (a subagent, or a parallel chain split off the top-level calls)
 * attaches to the trajectory's main chain, as the lab's AIPerf fork anchors them. Pure.
 *
 * - It is spawned by the last main turn that precedes it in the trace's `requests` (its marker's
 *   position for a subagent, its first request's for a chain).
 * - It is joined by the first main turn after that position that starts (recorded `t`) at or after
 *   the branch's recorded end; when no later main turn starts that late, no turn waits for it.
 */

/** a main-chain turn as anchoring reads it */
export interface MainTurn {
  /** its position in the trace's `requests` */
  pos: number;
  /** its recorded start, s */
  t: number;
}

const EPSILON_S = 1e-6;

/** the main turn that spawns a branch at position `pos`; undefined where no main turn precedes it */
export function spawnTurnOf(main: readonly MainTurn[], pos: number): number | undefined {
  let k: number | undefined;
  main.forEach((m, i) => {
    if (m.pos < pos && (k === undefined || i > k)) k = i;
  });
  return k;
}

/**
 * the main turn that waits for a branch at position `pos` recorded as ending at `endS`, or null
 * where none does; never a turn at or before `spawn`, the one that spawns it
 */
export function joinTurnOf(main: readonly MainTurn[], pos: number, endS: number, spawn: number): number | null {
  let best: number | null = null;
  main.forEach((m, i) => {
    if (i <= spawn || m.pos <= pos || m.t + EPSILON_S < endS) return;
    if (best === null || m.pos < main[best]!.pos) best = i;
  });
  return best;
}
