/**
 * The phase book of an attempt: `phases` keyed `<rank>:<phase>`, one entry per member and phase.
 * Once an attempt has ended no phase of any member may still read `started`: `closeOpenPhases`
 * closes them at the attempt's end with the attempt's outcome, and `recordPhase` takes the phase
 * reports of members that arrive after the end (a gang member tearing down after the leader's
 * success) only when they close a phase. Pure.
 */
import type { AttemptRecord, Phase } from "@benchfleet/shared";

const isLive = (att: AttemptRecord) => att.state === "dispatched" || att.state === "running";

export interface PhaseReport {
  phase: Phase;
  status: "started" | "finished" | "failed";
  at: string;
  durationMs?: number;
  reason?: string;
}

/** The status a phase still open at the attempt's end is closed with. */
function closingStatus(att: AttemptRecord): string {
  if (att.state === "succeeded") return "finished";
  if (att.state === "cancelled") return "cancelled";
  return "failed";
}

/** Closes every phase still `started` of an ended attempt at its end; returns how many it closed. */
export function closeOpenPhases(att: AttemptRecord, fallbackNowMs: number): number {
  if (isLive(att)) return 0;
  const endMs = att.finishedAtMs ?? (att.finishedAt ? Date.parse(att.finishedAt) : fallbackNowMs);
  let closed = 0;
  for (const entry of Object.values(att.phases)) {
    if (entry.status !== "started") continue;
    entry.status = closingStatus(att);
    entry.durationMs = Math.max(0, endMs - Date.parse(entry.at));
    entry.reason ??= `attempt ${att.state}${att.reason ? `: ${att.reason}` : ""}`;
    closed++;
  }
  return closed;
}

/**
 * Records one member's phase report. A live attempt takes every report; an ended one only reports
 * that close a phase (a late `started` would reopen what the end closed). Returns whether it took it.
 */
export function recordPhase(att: AttemptRecord, rank: number, msg: PhaseReport): boolean {
  if (!isLive(att) && msg.status === "started") return false;
  if (isLive(att) && (rank === 0 || !att.phase)) att.phase = msg.phase;
  att.phases[`${rank}:${msg.phase}`] = {
    status: msg.status,
    at: msg.at,
    durationMs: msg.durationMs,
    reason: msg.reason,
  };
  return true;
}
