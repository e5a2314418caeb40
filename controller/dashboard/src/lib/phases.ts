/** The phase timeline of an attempt: one segment per phase in lifecycle order, with its duration. Pure. */
export const PHASE_ORDER = ["prepare", "launch", "ready", "warmup", "load", "eval", "teardown"] as const;

export interface PhaseSegment {
  phase: string;
  status: string;
  ms: number;
  reason?: string;
}

export function phaseSegments(phases: Record<string, { status: string; at: string; durationMs?: number; reason?: string }>, now: number): PhaseSegment[] {
  const out: PhaseSegment[] = [];
  for (const phase of PHASE_ORDER) {
    const p = phases[phase];
    if (!p) continue;
    const ms = p.durationMs ?? (p.status === "started" ? Math.max(0, now - Date.parse(p.at)) : 0);
    out.push({ phase, status: p.status, ms, ...(p.reason ? { reason: p.reason } : {}) });
  }
  return out;
}
