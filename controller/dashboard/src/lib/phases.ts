/**
 * The phase timeline of an attempt: per gang rank, one segment per phase in lifecycle order with
 * its duration. The controller keys phases `<rank>:<phase>` (a bare `<phase>` counts as rank 0). Pure.
 */
export const PHASE_ORDER = ["prepare", "launch", "ready", "warmup", "load", "eval", "teardown"] as const;

export interface PhaseSegment {
  phase: string;
  status: string;
  ms: number;
  reason?: string;
}

type PhaseEntry = { status: string; at: string; durationMs?: number; reason?: string };

export function phaseSegmentsByRank(phases: Record<string, PhaseEntry>, now: number): Map<number, PhaseSegment[]> {
  const byRank = new Map<number, Map<string, PhaseEntry>>();
  for (const [key, entry] of Object.entries(phases)) {
    const i = key.indexOf(":");
    const rank = i > 0 ? Number(key.slice(0, i)) : 0;
    const phase = i > 0 ? key.slice(i + 1) : key;
    if (!Number.isInteger(rank)) continue;
    let m = byRank.get(rank);
    if (!m) {
      m = new Map();
      byRank.set(rank, m);
    }
    m.set(phase, entry);
  }
  const out = new Map<number, PhaseSegment[]>();
  for (const rank of [...byRank.keys()].sort((a, b) => a - b)) {
    const m = byRank.get(rank)!;
    const segs: PhaseSegment[] = [];
    for (const phase of PHASE_ORDER) {
      const p = m.get(phase);
      if (!p) continue;
      const ms = p.durationMs ?? (p.status === "started" ? Math.max(0, now - Date.parse(p.at)) : 0);
      segs.push({ phase, status: p.status, ms, ...(p.reason ? { reason: p.reason } : {}) });
    }
    out.set(rank, segs);
  }
  return out;
}
