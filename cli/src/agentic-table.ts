/** Table rows of agentic frontier points (`results agentic`, the end of `up`). Pure. */
import { type AgenticFrontier, roleHitRatesText } from "@benchfleet/shared";

const fixed = (v: number | null, digits: number) => (v === null || !Number.isFinite(v) ? "–" : v.toFixed(digits));

export function agenticTableRows(groups: readonly AgenticFrontier[]): Array<Record<string, string>> {
  return groups.flatMap((g) =>
    g.points.map((p) => ({
      group: g.key,
      "tok/s/user": fixed(p.x, 1),
      "tok/s/GPU": fixed(p.y, 0),
      "hit rate": p.hitRate === null ? "–" : `${(p.hitRate * 100).toFixed(1)}%`,
      "hit by role": roleHitRatesText(p.roleHitRates) || "–",
      conc: String(p.concurrency),
      "p99 TTFT ms": fixed(p.ttftP99Ms, 0),
      turns: String(p.requests),
      errors: `${(p.errorRatio * 100).toFixed(1)}%`,
      "host tier": p.hostTier?.label ?? "–",
      "DRAM budget GB": String(p.dramOffloadGb),
      sweep: p.sweepId,
    })),
  );
}
